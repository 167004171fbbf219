//! The app's own links, in its scheme (`com.atomagentos.marketplace:`), sorted before anything acts on
//! them:
//!
//! - `…://skill/<id>` opens a skill: the id is a skill's id or slug ([`validate_skill_id`]), with at
//!   most a `/` after it. Nothing else is read from the link: no query, no fragment, no percent
//!   escape, no other path, so that a link cannot reach anything but the skill's page.
//! - `…://oauth/…` is a sign-in's callback, handed on whole to its own, stricter, checks
//!   ([`crate::login`]): this module never accepts or refuses a callback.
//! - `…://doctor/ping/<nonce>` is the sign-in doctor's own link, which the app sends itself through the
//!   desktop's opener to see that links come back: it only answers a check that waits for that nonce
//!   (16 to 64 letters, digits, `-` or `_`), and does nothing else.
//! - Anything else in the scheme is refused, and changes nothing.
//!
//! The web address of a skill's page on ATOM's site is not claimed (docs/architecture.md says why).

use crate::contract::{limits, paths};
use crate::error::{Error, Result};
use crate::models::validate_skill_id;

/// The host of a skill link: `com.atomagentos.marketplace://skill/<id>`.
pub const SKILL_HOST: &str = "skill";

/// The host of the sign-in doctor's link: `com.atomagentos.marketplace://doctor/ping/<nonce>`.
pub const DOCTOR_HOST: &str = "doctor";

/// What a link in the app's scheme asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppLink {
    /// Open the skill with this id or slug.
    Skill(String),
    /// A sign-in's callback, for `Account::complete_login` to check.
    Callback(String),
    /// The sign-in doctor's link, with its nonce.
    Ping(String),
}

/// The sign-in doctor's link for `nonce` (16 to 64 letters, digits, `-` or `_`).
pub fn ping_link(nonce: &str) -> Result<String> {
    if !is_nonce(nonce) {
        return Err(Error::BadAppLink("a ping's nonce is 16 to 64 letters, digits, '-' or '_'".into()));
    }
    Ok(format!("{}://{DOCTOR_HOST}/ping/{nonce}", paths::REDIRECT_SCHEME))
}

fn is_nonce(text: &str) -> bool {
    (16..=64).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The link to `id`'s page in the app (for "Copy link").
pub fn skill_link(id: &str) -> Result<String> {
    validate_skill_id(id)?;
    Ok(format!("{}://{SKILL_HOST}/{id}", paths::REDIRECT_SCHEME))
}

/// Sorts `text`, a link in the app's scheme (the scheme in any case, as the OS may hand it over).
pub fn read_app_link(text: &str) -> Result<AppLink> {
    let refuse = |why: &str| Err(Error::BadAppLink(why.to_string()));
    if text.len() > limits::APP_LINK_MAX {
        return refuse("it is too long");
    }
    let scheme = paths::REDIRECT_SCHEME;
    let Some(rest) = text
        .get(..scheme.len() + 1)
        .filter(|head| head.eq_ignore_ascii_case(&format!("{scheme}:")))
        .map(|_| &text[scheme.len() + 1..])
    else {
        return refuse("it is not one of the app's links");
    };
    let Some(after_slashes) = rest.strip_prefix("//") else {
        return refuse("it names no page of the app");
    };
    let end = after_slashes.find(['/', '?', '#']).unwrap_or(after_slashes.len());
    let (host, path) = after_slashes.split_at(end);
    if host.eq_ignore_ascii_case(paths::REDIRECT_HOST) {
        return Ok(AppLink::Callback(text.to_string()));
    }
    if host.eq_ignore_ascii_case(DOCTOR_HOST) {
        return match path.strip_prefix("/ping/") {
            Some(nonce) if is_nonce(nonce) => Ok(AppLink::Ping(nonce.to_string())),
            _ => refuse("it names no page of the app"),
        };
    }
    if !host.eq_ignore_ascii_case(SKILL_HOST) {
        return refuse("it names no page of the app");
    }
    let Some(id) = path.strip_prefix('/') else {
        return refuse("it names no skill");
    };
    let id = id.strip_suffix('/').unwrap_or(id);
    if id.is_empty() {
        return refuse("it names no skill");
    }
    if validate_skill_id(id).is_err() {
        return refuse(&format!(
            "a skill's id or slug is 1 to {} letters, digits, '-' or '_', with nothing after it",
            limits::SKILL_ID_MAX
        ));
    }
    Ok(AppLink::Skill(id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn skill(id: &str) -> Result<AppLink> {
        read_app_link(&format!("com.atomagentos.marketplace://skill/{id}"))
    }

    #[test]
    fn a_skill_link_names_one_skill() {
        assert_eq!(skill("github-helper").unwrap(), AppLink::Skill("github-helper".into()));
        assert_eq!(
            read_app_link("COM.AtomAgentOS.Marketplace://Skill/00000000-0000-4000-8000-000000000001/")
                .unwrap(),
            AppLink::Skill("00000000-0000-4000-8000-000000000001".into())
        );
        assert_eq!(skill_link("abc_1").unwrap(), "com.atomagentos.marketplace://skill/abc_1");
        assert!(skill_link("../x").is_err());
    }

    #[test]
    fn the_doctors_ping_carries_only_its_nonce() {
        let nonce = "a1B2c3D4e5F6g7H8_-";
        let link = ping_link(nonce).unwrap();
        assert_eq!(link, format!("com.atomagentos.marketplace://doctor/ping/{nonce}"));
        assert_eq!(read_app_link(&link).unwrap(), AppLink::Ping(nonce.into()));
        for bad in [
            "com.atomagentos.marketplace://doctor/ping/short",
            "com.atomagentos.marketplace://doctor/ping/a1B2c3D4e5F6g7H8?x=1",
            "com.atomagentos.marketplace://doctor/ping/a1B2c3D4e5F6g7H8/",
            "com.atomagentos.marketplace://doctor/ping/a1B2c3D4e5F6g7H8%2F",
            "com.atomagentos.marketplace://doctor/other/a1B2c3D4e5F6g7H8",
            "com.atomagentos.marketplace://doctor",
        ] {
            assert!(matches!(read_app_link(bad), Err(Error::BadAppLink(_))), "{bad}");
        }
        assert!(ping_link("../../x").is_err() && ping_link(&"a".repeat(65)).is_err());
    }

    #[test]
    fn anything_but_a_valid_id_is_refused() {
        for bad in [
            "",
            "/",
            "..",
            "%2e%2e",
            "a/b",
            "a?b=c",
            "a#x",
            "a%20b",
            "a b",
            "a\nb",
            "a//",
            "é",
            "<script>",
            "a/../../oauth/callback?code=x&state=y",
        ] {
            let got = skill(bad);
            assert!(
                matches!(got, Err(Error::BadAppLink(_))),
                "{bad:?} gave {got:?} (refusals are bad_link, not a sign-in's)"
            );
        }
        let too_long = "a".repeat(limits::SKILL_ID_MAX + 1);
        assert!(skill(&too_long).is_err());
        assert!(
            read_app_link(&format!("com.atomagentos.marketplace://skill/{}", "a".repeat(100_000))).is_err()
        );
    }

    #[test]
    fn other_links_are_refused_and_callbacks_go_to_their_own_checks() {
        let callback = "com.atomagentos.marketplace://oauth/callback?code=x&state=y";
        assert_eq!(read_app_link(callback).unwrap(), AppLink::Callback(callback.into()));
        // The callback's checks refuse what is wrong with it, not this module.
        let odd = "com.atomagentos.marketplace://OAUTH/other";
        assert_eq!(read_app_link(odd).unwrap(), AppLink::Callback(odd.into()));
        for bad in [
            "com.atomagentos.marketplace://settings/x",
            "com.atomagentos.marketplace:skill/x",
            "com.atomagentos.marketplace://",
            "com.atomagentos.marketplace://skill",
            "com.atomagentos.marketplace://skill@evil/x",
            "com.atomagentos.marketplace://skill:80/x",
            "https://atomagentos.com/skill/x",
            "com.atomagentos.marketplacex://skill/x",
            "skill/x",
        ] {
            assert!(matches!(read_app_link(bad), Err(Error::BadAppLink(_))), "{bad}");
        }
    }

    proptest! {
        /// Whatever follows `skill/`, the link opens the very id it names or is refused: it never
        /// becomes a callback, and an id it opens is one the marketplace's paths take as one segment.
        #[test]
        fn a_skill_link_opens_its_own_id_or_nothing(rest in "\\PC{0,60}") {
            match skill(&rest) {
                Ok(AppLink::Skill(id)) => {
                    prop_assert!(validate_skill_id(&id).is_ok());
                    let with_slash = format!("{}/", id);
                    prop_assert!(rest == id || rest == with_slash, "{:?} opened {:?}", rest, id);
                }
                Ok(other) => prop_assert!(false, "{rest:?} became {other:?}"),
                Err(e) => prop_assert_eq!(e.code(), crate::ErrorCode::BadLink),
            }
        }
    }
}
