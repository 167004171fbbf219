//! Command-line arguments, read tolerantly: the OS may start the app with a lone callback URL, and
//! unknown arguments must never stop it.

/// What the app understood of its arguments.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Args {
    /// `--sandbox`, or `ATOM_ENV=sandbox`: run against the embedded sandbox (development builds).
    pub sandbox: bool,
    /// `--server URL` (or `--server=URL`): run against the ATOM-compatible server at URL, for this run.
    pub server: Option<String>,
    /// Callback URLs in the app's scheme.
    pub urls: Vec<String>,
}

impl Args {
    pub fn parse(args: impl IntoIterator<Item = String>, scheme: &str) -> Args {
        let mut out = Args {
            sandbox: std::env::var("ATOM_ENV").is_ok_and(|v| v.eq_ignore_ascii_case("sandbox")),
            server: None,
            urls: Vec::new(),
        };
        let prefix = format!("{}:", scheme.to_ascii_lowercase());
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if arg == "--sandbox" {
                out.sandbox = true;
            } else if arg == "--server" {
                out.server = args.next().filter(|u| !u.starts_with("--"));
            } else if let Some(url) = arg.strip_prefix("--server=") {
                out.server = Some(url.to_string()).filter(|u| !u.is_empty());
            } else if arg.to_ascii_lowercase().starts_with(&prefix) {
                out.urls.push(arg);
            }
            // Anything else (flags of a launcher, a file path) is ignored.
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEME: &str = "com.atomagentos.marketplace";

    fn parse(args: &[&str]) -> Args {
        Args::parse(args.iter().map(|s| s.to_string()), SCHEME)
    }

    #[test]
    fn a_lone_url_is_a_callback() {
        let a = parse(&["com.atomagentos.marketplace://oauth/callback?code=x&state=y"]);
        assert_eq!(a.urls.len(), 1);
    }

    #[test]
    fn unknown_arguments_are_ignored() {
        let a = parse(&["--sandbox", "--no-such-flag", "-psn_0_12345", "/tmp/file", "https://example.com"]);
        assert!(a.sandbox);
        assert!(a.urls.is_empty());
    }

    #[test]
    fn a_server_is_named_either_way() {
        assert_eq!(
            parse(&["--server", "https://staging.example.com"]).server.as_deref(),
            Some("https://staging.example.com")
        );
        assert_eq!(
            parse(&["--server=http://127.0.0.1:4000"]).server.as_deref(),
            Some("http://127.0.0.1:4000")
        );
        assert_eq!(parse(&["--server"]).server, None, "no address: ignored");
        assert_eq!(parse(&["--server", "--sandbox"]).server, None);
    }

    #[test]
    fn scheme_match_ignores_case() {
        assert_eq!(parse(&["COM.ATOMAGENTOS.MARKETPLACE://oauth/callback"]).urls.len(), 1);
    }
}
