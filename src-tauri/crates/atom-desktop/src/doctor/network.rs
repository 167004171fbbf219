//! The way to the server, in findings: the proxy in effect and where it came from, the name lookup, the
//! server's answer (TLS with this computer's trust store, a proxy's refusal), its metadata, and the
//! clock against the server's. What `atom_core::probe` measured, put in the user's words.

use std::time::Duration;

use atom_core::probe::{Answer, Lookup, ProxyRoute, ProxySource};
use atom_core::Error;

use super::{Finding, Verdict};

pub const PROXY: &str = "Proxy";
pub const LOOKUP: &str = "Name lookup";
pub const SERVER: &str = "Server";
pub const METADATA: &str = "Server metadata";
pub const CLOCK: &str = "Clock";

/// A clock this far off the server's is worth a word.
const SKEW_WARNING_SECS: i64 = 60;
/// This far off, tokens look expired or not yet valid (ID tokens are checked with a minute's leeway).
const SKEW_PROBLEM_SECS: i64 = 5 * 60;

const CLOCK_FIX: &str =
    "Turn on setting the time automatically (network time) in your system's date and time \
                         settings, then sign in again.";

/// `d` in whole units a person reads at a glance: "850 ms", "42 s", "7 min", "2 h 5 min".
pub fn spoken(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0 if d.as_millis() == 0 => "under 1 ms".into(),
        0 => format!("{} ms", d.as_millis()),
        1..=119 => format!("{secs} s"),
        120..=7199 => format!("{} min", secs / 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

/// The findings for a server: proxy, name lookup, answer, metadata (when asked for), clock.
pub fn findings(route: &ProxyRoute, lookup: &Lookup, answer: &Answer) -> Vec<Finding> {
    let failed = answer.result.as_ref().err();
    let mut out = vec![proxy(route, failed), name_lookup(route, lookup), server(answer)];
    if let Ok(answered) = &answer.result {
        if let Some(metadata) = &answered.metadata {
            out.push(match metadata {
                Ok(()) => Finding::new(
                    METADATA,
                    Verdict::Ok,
                    "the server's metadata names it as the app expects, with sign-in addresses the app accepts",
                ),
                Err(e) => problem(METADATA, e),
            });
        }
        out.push(clock(answered.clock_skew_secs));
    }
    out
}

fn problem(check: &str, e: &Error) -> Finding {
    let info = e.info();
    let finding = Finding::new(check, Verdict::Problem, info.message);
    if info.hint.is_empty() {
        finding
    } else {
        finding.with_fix(info.hint)
    }
}

fn is_proxy_error(e: &Error) -> bool {
    matches!(e, Error::ProxyRefused | Error::ProxyWantsPassword)
        || matches!(e, Error::Network(m) if m.contains("proxy"))
}

fn proxy(route: &ProxyRoute, failed: Option<&Error>) -> Finding {
    let shown = |p: &Option<url::Url>| p.as_ref().map_or("a proxy".to_string(), |p| p.to_string());
    let detail = match (&route.source, route.excepted) {
        (ProxySource::Environment(var), true) => {
            format!("none for this server: NO_PROXY names it (the environment variable {var} names a proxy)")
        }
        (ProxySource::Environment(var), false) => {
            format!("through {}, from the environment variable {var}", shown(&route.proxy))
        }
        (ProxySource::Desktop, _) => match &route.proxy {
            Some(_) => format!("through {}, from the desktop's network settings", shown(&route.proxy)),
            None => "none: the desktop's network settings say to connect directly".into(),
        },
        (ProxySource::System, _) => "as the system's network settings say (read by the app)".into(),
        (ProxySource::None, _) => "none: the app connects to the server directly".into(),
    };
    match failed {
        Some(e) if is_proxy_error(e) => {
            let mut finding = problem(PROXY, e);
            finding.detail = format!("{detail}; {}", finding.detail);
            finding
        }
        _ => Finding::new(PROXY, Verdict::Ok, detail),
    }
}

fn name_lookup(route: &ProxyRoute, lookup: &Lookup) -> Finding {
    match &lookup.result {
        Ok(ips) if ips.is_empty() => {
            Finding::new(LOOKUP, Verdict::Ok, format!("{} is an address: nothing to look up", lookup.host))
        }
        Ok(ips) => {
            let more = if ips.len() > 1 { format!(" (and {} more)", ips.len() - 1) } else { String::new() };
            Finding::new(
                LOOKUP,
                Verdict::Ok,
                format!("{} is at {}{more}, found in {}", lookup.host, ips[0], spoken(lookup.took)),
            )
        }
        // Through a proxy, the proxy looks the name up: a company network often has no public names.
        Err(e) if route.proxy.is_some() => Finding::new(
            LOOKUP,
            Verdict::Warning,
            format!("this computer cannot look {} up ({e}); the proxy looks it up instead", lookup.host),
        ),
        Err(e) => {
            Finding::new(LOOKUP, Verdict::Problem, format!("this computer cannot find {} ({e})", lookup.host))
                .with_fix(format!(
                "Check the server's address and this computer's network connection. On a company network or \
                 a VPN, ask whether {} can be reached from it.",
                lookup.host
            ))
        }
    }
}

fn server(answer: &Answer) -> Finding {
    let host = answer.url.host_str().unwrap_or_default();
    match &answer.result {
        Ok(answered) => {
            let issuer = answered.certificate.as_deref().and_then(super::certificate::issuer);
            let trusted = match (answer.url.scheme(), &issuer) {
                ("https", Some(issuer)) => {
                    format!(", over HTTPS with a certificate this computer trusts, issued by {issuer}")
                }
                ("https", None) => ", over HTTPS with a certificate this computer trusts".to_string(),
                _ => ", over plain HTTP, which only a server on this computer may use".to_string(),
            };
            let said = format!("{host} answered in {}{trusted}", spoken(answer.took));
            if let Some(product) = issuer.as_deref().and_then(super::certificate::inspector) {
                return Finding::new(
                    SERVER,
                    Verdict::Warning,
                    format!("{said}: {product} opens HTTPS on the way and sees what the app sends, tokens included"),
                )
                .with_fix(format!(
                    "Usual on a company network. If you did not expect it, or sign-in fails with a certificate \
                     error, ask whoever runs {product} (your IT team) to leave {host} uninspected."
                ));
            }
            match answered.status {
                500.. => Finding::new(
                    SERVER,
                    Verdict::Warning,
                    format!("{said}, with an error of its own (HTTP {})", answered.status),
                )
                .with_fix("The server has trouble of its own: try again in a few minutes."),
                _ => Finding::new(SERVER, Verdict::Ok, said),
            }
        }
        Err(e) if is_proxy_error(e) => Finding::new(
            SERVER,
            Verdict::NotChecked,
            format!("{host} was not reached: the proxy stopped the request (see Proxy)"),
        ),
        Err(e) => {
            let mut finding = problem(SERVER, e);
            finding.detail = format!("{host} was not reached: {}", finding.detail);
            finding
        }
    }
}

fn clock(skew: Option<i64>) -> Finding {
    let Some(skew) = skew else {
        return Finding::new(CLOCK, Verdict::NotChecked, "the server did not say its time");
    };
    let off = Duration::from_secs(skew.unsigned_abs());
    // The server's clock minus this one's: a server ahead means this computer is behind.
    let side = if skew > 0 { "behind" } else { "ahead of" };
    match skew.abs() {
        s if s <= SKEW_WARNING_SECS => Finding::new(
            CLOCK,
            Verdict::Ok,
            "this computer's clock agrees with the server's, within a minute",
        ),
        s if s <= SKEW_PROBLEM_SECS => Finding::new(
            CLOCK,
            Verdict::Warning,
            format!("this computer's clock is {} {side} the server's", spoken(off)),
        )
        .with_fix(CLOCK_FIX),
        _ => Finding::new(
            CLOCK,
            Verdict::Problem,
            format!(
                "this computer's clock is {} {side} the server's: sign-in tokens look expired or not yet \
                 valid",
                spoken(off)
            ),
        )
        .with_fix(CLOCK_FIX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atom_core::probe::Answered;
    use atom_core::Result;

    fn route(source: ProxySource, proxy: Option<&str>) -> ProxyRoute {
        ProxyRoute { source, proxy: proxy.map(|p| p.parse().unwrap()), excepted: false }
    }

    fn looked_up(ok: bool) -> Lookup {
        Lookup {
            host: "api.example.com".into(),
            took: Duration::from_millis(12),
            result: if ok { Ok(vec!["192.0.2.7".parse().unwrap()]) } else { Err("no such host".into()) },
        }
    }

    fn answer(result: Result<Answered>) -> Answer {
        Answer { url: "https://api.example.com/x".parse().unwrap(), took: Duration::from_millis(85), result }
    }

    fn verdicts(f: &[Finding]) -> Vec<(&str, Verdict)> {
        f.iter().map(|f| (f.check.as_str(), f.verdict)).collect()
    }

    #[test]
    fn a_healthy_path_is_all_ok_and_says_what_it_found() {
        let ok =
            Answered { status: 200, clock_skew_secs: Some(3), metadata: Some(Ok(())), certificate: None };
        let f = findings(&route(ProxySource::None, None), &looked_up(true), &answer(Ok(ok)));
        assert_eq!(
            verdicts(&f),
            [
                (PROXY, Verdict::Ok),
                (LOOKUP, Verdict::Ok),
                (SERVER, Verdict::Ok),
                (METADATA, Verdict::Ok),
                (CLOCK, Verdict::Ok)
            ]
        );
        assert!(f[1].detail.contains("192.0.2.7"), "{}", f[1].detail);
        assert!(f[2].detail.contains("85 ms") && f[2].detail.contains("trusts"), "{}", f[2].detail);
    }

    #[test]
    #[cfg(any(target_os = "linux", windows))]
    fn an_inspecting_products_certificate_is_named_as_such() {
        let der = include_bytes!("../../tests/fixtures/inspecting-ca.der").to_vec();
        let ok = Answered { status: 200, clock_skew_secs: Some(0), metadata: None, certificate: Some(der) };
        let f = findings(&route(ProxySource::None, None), &looked_up(true), &answer(Ok(ok)));
        assert_eq!(f[2].verdict, Verdict::Warning);
        assert!(f[2].detail.contains("issued by Zscaler Root CA Test"), "{}", f[2].detail);
        assert!(f[2].detail.contains("Zscaler opens HTTPS on the way"), "{}", f[2].detail);
        assert!(f[2].fix.as_deref().unwrap().contains("api.example.com"));
    }

    #[test]
    fn a_name_that_does_not_resolve_is_a_problem_unless_a_proxy_resolves_it() {
        let failed = answer(Err(Error::Network("dns error".into())));
        let f = findings(&route(ProxySource::None, None), &looked_up(false), &failed);
        assert_eq!(f[1].verdict, Verdict::Problem);
        assert!(f[1].fix.as_deref().unwrap().contains("api.example.com"));
        let via = route(ProxySource::Environment("HTTPS_PROXY"), Some("http://proxy.corp:3128"));
        let f = findings(&via, &looked_up(false), &failed);
        assert_eq!(f[1].verdict, Verdict::Warning);
        assert!(f[0].detail.contains("http://proxy.corp:3128/ from") || f[0].detail.contains("HTTPS_PROXY"));
    }

    #[test]
    fn a_proxy_that_refuses_is_the_proxys_problem_not_the_servers() {
        let via = route(ProxySource::Desktop, Some("http://proxy.corp:3128"));
        let f = findings(&via, &looked_up(true), &answer(Err(Error::ProxyWantsPassword)));
        assert_eq!(
            verdicts(&f),
            [(PROXY, Verdict::Problem), (LOOKUP, Verdict::Ok), (SERVER, Verdict::NotChecked)]
        );
        assert!(f[0].detail.contains("desktop's network settings"), "{}", f[0].detail);
        assert!(f[0].fix.is_some());
    }

    #[test]
    fn an_untrusted_certificate_says_so_with_the_fix() {
        let f = findings(
            &route(ProxySource::None, None),
            &looked_up(true),
            &answer(Err(Error::Certificate("self-signed certificate".into()))),
        );
        assert_eq!(f[2].verdict, Verdict::Problem);
        assert!(f[2].detail.contains("self-signed"), "{}", f[2].detail);
        assert!(f[2].fix.is_some());
        assert_eq!(f.len(), 3, "no metadata or clock without an answer");
    }

    #[test]
    fn the_clock_is_judged_by_how_far_off_it_is() {
        for (skew, verdict, words) in [
            (Some(-40), Verdict::Ok, "agrees"),
            (Some(150), Verdict::Warning, "2 min behind"),
            (Some(-3 * 3600), Verdict::Problem, "3 h 0 min ahead of"),
            (None, Verdict::NotChecked, "did not say"),
        ] {
            let f = clock(skew);
            assert_eq!(f.verdict, verdict, "{skew:?}");
            assert!(f.detail.contains(words), "{skew:?}: {}", f.detail);
        }
    }

    #[test]
    fn durations_are_spoken_in_units_read_at_a_glance() {
        assert_eq!(spoken(Duration::from_micros(300)), "under 1 ms");
        assert_eq!(spoken(Duration::from_millis(850)), "850 ms");
        assert_eq!(spoken(Duration::from_secs(42)), "42 s");
        assert_eq!(spoken(Duration::from_secs(7 * 60 + 5)), "7 min");
        assert_eq!(spoken(Duration::from_secs(2 * 3600 + 5 * 60)), "2 h 5 min");
    }
}
