//! The sandbox's configuration: both the library's config struct and the command line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use clap::Parser;

use crate::contract::limits;

/// Requests allowed per fixed minute and per UTC day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    pub per_minute: u32,
    pub per_day: u32,
}

/// The rate-limit table, per credential kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    pub anon: Quota,
    pub key: Quota,
    pub oauth: Quota,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            anon: Quota { per_minute: limits::ANON_PER_MINUTE, per_day: limits::ANON_PER_DAY },
            key: Quota { per_minute: limits::API_KEY_PER_MINUTE, per_day: limits::API_KEY_PER_DAY },
            oauth: Quota { per_minute: limits::OAUTH_PER_MINUTE, per_day: limits::OAUTH_PER_DAY },
        }
    }
}

impl FromStr for RateLimits {
    type Err = String;

    /// Parses `anon=60/1000,key=300/10000,oauth=600/50000`; kinds left out keep their defaults.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = RateLimits::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (kind, value) =
                part.split_once('=').ok_or_else(|| format!("`{part}`: expected KIND=PER_MINUTE/PER_DAY"))?;
            let (minute, day) =
                value.split_once('/').ok_or_else(|| format!("`{part}`: expected KIND=PER_MINUTE/PER_DAY"))?;
            let quota = Quota {
                per_minute: minute
                    .trim()
                    .parse()
                    .map_err(|_| format!("`{part}`: `{minute}` is not a count"))?,
                per_day: day.trim().parse().map_err(|_| format!("`{part}`: `{day}` is not a count"))?,
            };
            match kind.trim() {
                "anon" => out.anon = quota,
                "key" => out.key = quota,
                "oauth" => out.oauth = quota,
                other => return Err(format!("unknown credential kind `{other}` (use anon, key or oauth)")),
            }
        }
        Ok(out)
    }
}

/// Everything the sandbox can be told, from code or from the command line.
#[derive(Clone, Debug)]
pub struct Config {
    pub addr: SocketAddr,
    /// Approve every authorization request at once, as the demo user (for automated tests).
    pub auto_approve: bool,
    pub access_ttl_secs: u64,
    pub refresh_ttl_secs: u64,
    pub code_ttl_secs: u64,
    pub skills: usize,
    pub seed: u64,
    /// `None` switches rate limiting off.
    pub rate_limits: Option<RateLimits>,
    /// Where state is persisted (SQLite); `None` keeps it in memory.
    pub data_dir: Option<PathBuf>,
    /// Serve the test hooks under `/__sandbox/` (stats, reset, faults). Off unless asked for: any web
    /// page the user visits could otherwise reset the sandbox or arm faults.
    pub test_hooks: bool,
    /// Issue refresh tokens (the default); off, the sandbox behaves like a server that lets a client
    /// stay signed in only as long as its access token lives.
    pub refresh_tokens: bool,
    /// Serve HTTPS with this certificate and key (PEM) instead of plain HTTP. Needs the `tls` feature
    /// (the standalone binary has it; the app's embedded sandbox does not).
    pub tls: Option<TlsFiles>,
    /// Serve an update feed for the app's tests from this folder (`updates.rs`); none when `None`.
    pub updates_dir: Option<PathBuf>,
}

/// A PEM certificate chain and its private key.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Config {
    /// `https` when serving TLS.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() {
            "https"
        } else {
            "http"
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            auto_approve: false,
            access_ttl_secs: limits::ACCESS_TOKEN_TTL_SECS,
            refresh_ttl_secs: limits::REFRESH_TOKEN_TTL_SECS,
            code_ttl_secs: limits::CODE_TTL_SECS,
            skills: limits::DEMO_SKILLS_DEFAULT,
            seed: 42,
            rate_limits: Some(RateLimits::default()),
            data_dir: None,
            test_hooks: false,
            refresh_tokens: true,
            tls: None,
            updates_dir: None,
        }
    }
}

/// The `atom-sandbox` command line.
#[derive(Parser, Debug)]
#[command(name = "atom-sandbox", version, about = "Local ATOM Public Marketplace API and OAuth 2.0 server")]
pub struct Cli {
    /// Address to listen on; loopback unless told otherwise.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub addr: SocketAddr,
    /// Approve every authorization request at once as the demo user (automated tests only).
    #[arg(long)]
    pub auto_approve: bool,
    /// Access token lifetime in seconds.
    #[arg(long, default_value_t = limits::ACCESS_TOKEN_TTL_SECS, value_parser = clap::value_parser!(u64).range(1..))]
    pub access_ttl: u64,
    /// Refresh token lifetime in seconds (restarted by each rotation).
    #[arg(long, default_value_t = limits::REFRESH_TOKEN_TTL_SECS, value_parser = clap::value_parser!(u64).range(1..))]
    pub refresh_ttl: u64,
    /// Authorization code lifetime in seconds.
    #[arg(long, default_value_t = limits::CODE_TTL_SECS, value_parser = clap::value_parser!(u64).range(1..))]
    pub code_ttl: u64,
    /// Number of demo skills (1 to 10,000).
    #[arg(long, default_value_t = limits::DEMO_SKILLS_DEFAULT, value_parser = parse_skill_count)]
    pub skills: usize,
    /// Seed of the demo catalogue: the same seed gives the same catalogue.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Switch rate limiting off.
    #[arg(long, conflicts_with = "rate_limits")]
    pub no_rate_limits: bool,
    /// Rate limits as KIND=PER_MINUTE/PER_DAY, comma-separated (kinds: anon, key, oauth).
    #[arg(long, value_name = "anon=60/1000,key=300/10000,oauth=600/50000")]
    pub rate_limits: Option<RateLimits>,
    /// Persist submissions, ratings, reviews and grants in DIR (SQLite); in memory otherwise.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Serve the test hooks under /__sandbox/ (stats, reset, faults): for automated tests only.
    #[arg(long)]
    pub test_hooks: bool,
    /// Issue no refresh tokens: a client stays signed in only as long as its access token lives.
    #[arg(long)]
    pub no_refresh_tokens: bool,
    /// Serve HTTPS with this PEM certificate (chain), with --tls-key.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve HTTPS with a certificate from a throwaway test CA, written to DIR (ca.pem is the CA to
    /// trust, for example with SSL_CERT_FILE=DIR/ca.pem).
    #[arg(long, value_name = "DIR", conflicts_with = "tls_cert")]
    pub tls_test_ca: Option<PathBuf>,
    /// Serve an update feed for the app's tests: DIR/latest.json at /updates/latest.json and DIR's
    /// files at /updates/files/NAME (add ?cut=half to break a download half way).
    #[arg(long, value_name = "DIR")]
    pub updates_dir: Option<PathBuf>,
}

fn parse_skill_count(s: &str) -> Result<usize, String> {
    let n: usize = s.parse().map_err(|_| format!("`{s}` is not a count"))?;
    if (1..=limits::DEMO_SKILLS_MAX).contains(&n) {
        Ok(n)
    } else {
        Err(format!("must be between 1 and {}", limits::DEMO_SKILLS_MAX))
    }
}

impl From<Cli> for Config {
    fn from(cli: Cli) -> Self {
        Config {
            addr: cli.addr,
            auto_approve: cli.auto_approve,
            access_ttl_secs: cli.access_ttl,
            refresh_ttl_secs: cli.refresh_ttl,
            code_ttl_secs: cli.code_ttl,
            skills: cli.skills,
            seed: cli.seed,
            rate_limits: if cli.no_rate_limits { None } else { Some(cli.rate_limits.unwrap_or_default()) },
            data_dir: cli.data_dir,
            test_hooks: cli.test_hooks,
            refresh_tokens: !cli.no_refresh_tokens,
            tls: match (cli.tls_cert, cli.tls_key) {
                (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
                _ => None,
            },
            updates_dir: cli.updates_dir,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_partial_rate_limit_table() {
        let limits: RateLimits = "anon=2/5, oauth=10/100".parse().unwrap();
        assert_eq!(limits.anon, Quota { per_minute: 2, per_day: 5 });
        assert_eq!(limits.key, RateLimits::default().key);
        assert_eq!(limits.oauth, Quota { per_minute: 10, per_day: 100 });
    }

    #[test]
    fn rejects_unknown_rate_limit_kind() {
        assert!("bogus=1/1".parse::<RateLimits>().is_err());
        assert!("anon=1".parse::<RateLimits>().is_err());
        assert!("anon=x/1".parse::<RateLimits>().is_err());
    }

    #[test]
    fn cli_defaults_bind_loopback_with_guide_limits() {
        let cfg: Config = Cli::parse_from(["atom-sandbox"]).into();
        assert!(cfg.addr.ip().is_loopback());
        assert_eq!(cfg.addr.port(), 0);
        assert_eq!(cfg.rate_limits, Some(RateLimits::default()));
        assert!(!cfg.auto_approve);
        assert!(!cfg.test_hooks, "test hooks are off unless asked for");
        let off: Config = Cli::parse_from(["atom-sandbox", "--no-rate-limits"]).into();
        assert_eq!(off.rate_limits, None);
    }
}
