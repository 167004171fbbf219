//! The account in the window, in one finding: how it is signed in and with what scope, when its token
//! was last renewed and when the next renewal is planned, and the requests its quota has left. Nothing
//! secret: the key's hint at most, which the Account page shows too.

use std::time::Duration;

use atom_core::{AuthMethod, AuthState, RateLimitStatus, TokenTimes};

use super::network::spoken;
use super::{Finding, Verdict};

pub const ACCOUNT: &str = "Account";

/// What the window's account is, at Unix second `now`.
pub fn finding(state: &AuthState, times: Option<TokenTimes>, quota: &RateLimitStatus, now: u64) -> Finding {
    let signed_in = match state {
        AuthState::SignedOut => {
            return Finding::new(ACCOUNT, Verdict::Ok, "no account is signed in on this server");
        }
        AuthState::NeedsReauth { reason } => {
            let f = Finding::new(ACCOUNT, Verdict::Problem, format!("the sign-in ended: {}", reason.message));
            return f.with_fix(if reason.hint.is_empty() { "Sign in again." } else { &reason.hint });
        }
        AuthState::SignedIn(s) | AuthState::Refreshing(s) => s,
    };
    let mut parts = vec![match signed_in.method {
        AuthMethod::Browser => format!("signed in through the browser, scope {}", signed_in.scopes.join(" ")),
        AuthMethod::ApiKey => format!(
            "signed in with an API key ({}), scope {}",
            signed_in.key_hint.as_deref().unwrap_or("hidden"),
            signed_in.scopes.join(" ")
        ),
    }];
    let ago = |t: u64| spoken(Duration::from_secs(now.saturating_sub(t)));
    let mut verdict = Verdict::Ok;
    let mut fix = None;
    if let Some(t) = times {
        parts.push(format!("its token was renewed {} ago", ago(t.issued_at)));
        match t.refresh_at {
            _ if matches!(state, AuthState::Refreshing(_)) => parts.push("a renewal is on its way".into()),
            Some(at) if at > now => parts
                .push(format!("the next renewal is planned in {}", spoken(Duration::from_secs(at - now)))),
            Some(_) if t.expires_at > now => parts.push("the next renewal is due now".into()),
            Some(_) => {
                verdict = Verdict::Warning;
                parts.push(format!("its token expired {} ago, unrenewed", ago(t.expires_at)));
                fix = Some(
                    "The app renews it with its next request; if that fails, sign in again.".to_string(),
                );
            }
            None if t.expires_at > now => parts.push(format!(
                "the server gave no refresh token: the sign-in ends in {}",
                spoken(Duration::from_secs(t.expires_at - now))
            )),
            None => {
                verdict = Verdict::Warning;
                parts.push("the server gave no refresh token, and the sign-in has ended".into());
                fix = Some("Sign in again.".to_string());
            }
        }
    }
    if let (Some(left), Some(limit)) = (quota.remaining, quota.limit) {
        parts.push(format!("{left} of {limit} requests left in this period"));
        if left == 0 {
            verdict = Verdict::Warning;
            let wait = quota.reset_at.map(|r| spoken(Duration::from_secs(r.saturating_sub(now))));
            fix = Some(match wait {
                Some(w) => format!("The server's limit is spent: requests wait until it resets, in {w}."),
                None => "The server's limit is spent: requests wait until it resets.".into(),
            });
        }
    }
    if !signed_in.can_write {
        parts.push("read only: submitting, rating and reviewing need the read_write scope".into());
    }
    let f = Finding::new(ACCOUNT, verdict, parts.join("; "));
    match fix {
        Some(fix) => f.with_fix(fix),
        None => f,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atom_core::{ErrorCode, ErrorInfo, SignedIn};

    fn browser(scopes: &[&str]) -> SignedIn {
        SignedIn {
            method: AuthMethod::Browser,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            can_write: scopes.contains(&"marketplace:write"),
            key_hint: None,
            persisted: true,
            keystore_error: None,
            keystore_refused: false,
            renewable: true,
            expires_at: None,
        }
    }

    const NOW: u64 = 1_800_000_000;

    #[test]
    fn a_browser_sign_in_tells_its_scope_its_renewals_and_its_quota() {
        let times = TokenTimes { issued_at: NOW - 600, refresh_at: Some(NOW + 2280), expires_at: NOW + 3000 };
        let quota = RateLimitStatus { limit: Some(600), remaining: Some(598), ..Default::default() };
        let f = finding(
            &AuthState::SignedIn(browser(&["marketplace:read", "marketplace:write"])),
            Some(times),
            &quota,
            NOW,
        );
        assert_eq!(f.verdict, Verdict::Ok);
        for words in ["browser", "marketplace:write", "renewed 10 min ago", "planned in 38 min", "598 of 600"]
        {
            assert!(f.detail.contains(words), "{words}: {}", f.detail);
        }
    }

    #[test]
    fn an_expired_unrenewed_token_a_spent_quota_and_a_read_scope_are_told() {
        let times = TokenTimes { issued_at: NOW - 20, refresh_at: Some(NOW - 15), expires_at: NOW - 10 };
        let f = finding(
            &AuthState::SignedIn(browser(&["marketplace:read"])),
            Some(times),
            &Default::default(),
            NOW,
        );
        assert_eq!(f.verdict, Verdict::Warning);
        assert!(f.detail.contains("expired 10 s ago") && f.detail.contains("read only"), "{}", f.detail);
        let spent = RateLimitStatus {
            limit: Some(60),
            remaining: Some(0),
            reset_at: Some(NOW + 42),
            ..Default::default()
        };
        let f = finding(&AuthState::SignedIn(browser(&["marketplace:read"])), None, &spent, NOW);
        assert_eq!(f.verdict, Verdict::Warning);
        assert!(f.fix.unwrap().contains("42 s"));
    }

    #[test]
    fn an_ended_sign_in_is_a_problem_with_the_servers_fix() {
        let reason = ErrorInfo::new(ErrorCode::InvalidGrant, "the refresh token was refused")
            .with_hint("Sign in again.");
        let f = finding(&AuthState::NeedsReauth { reason }, None, &Default::default(), NOW);
        assert_eq!(f.verdict, Verdict::Problem);
        assert_eq!(f.fix.as_deref(), Some("Sign in again."));
    }
}
