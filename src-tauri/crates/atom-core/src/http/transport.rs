//! Sorting the HTTP client's failures into the core's errors: a certificate the trust store refuses, a
//! proxy that will not open the tunnel, a server that cannot be reached or is slow. reqwest says which
//! only in words (and Windows in error codes), so they are read here, in one place.

use crate::error::Error;

impl Error {
    pub(crate) fn from_reqwest(e: reqwest::Error) -> Error {
        // A certificate the trust store does not accept (OpenSSL, SChannel and Security framework say
        // "certificate" in their messages); the message names the reason, never the URL. A proxy that
        // would not open the tunnel, in hyper-util's words: 407, or any other refusal; or that could
        // not be reached at all (the network, as far as the app can tell, is down).
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            let text = cause.to_string();
            match text.strip_prefix("tunnel error: ") {
                Some("proxy authorization required") => return Error::ProxyWantsPassword,
                Some("unsuccessful") => return Error::ProxyRefused,
                Some("failed to create underlying connection") => {
                    return Error::Network("the proxy did not answer".into())
                }
                _ => {}
            }
            // SChannel says it in Windows' language, and Wine not at all: its code says it everywhere.
            // native-tls keeps the I/O error inside its own (not as its source), so the code is read
            // from the words both print: "… (os error -2146762481)", "OS Error -2146762481 (…)".
            if let Some(reason) = os_error_code(&text).and_then(windows_certificate_reason) {
                return Error::Certificate(reason.into());
            }
            if text.to_ascii_lowercase().contains("certificate") {
                let reason = text.rsplit(':').next().unwrap_or(&text);
                let reason = reason.trim().trim_start_matches('(').trim_end_matches(')');
                return Error::Certificate(reason.chars().take(120).collect());
            }
            source = cause.source();
        }
        // A server that never answered is unreachable (offline, or a network that drops packets); one
        // that connected and then went quiet is slow.
        if e.is_connect() {
            return Error::Network(
                if e.is_timeout() { "connection timed out" } else { "connection failed" }.into(),
            );
        }
        if e.is_timeout() {
            return Error::Timeout;
        }
        // Say what failed without the URL, which may carry a search query.
        let kind = if e.is_body() || e.is_decode() {
            "the reply was cut off"
        } else if e.is_request() {
            "the request could not be sent"
        } else {
            "network error"
        };
        Error::Network(kind.into())
    }
}

/// The number in an operating-system error's text, as Rust's I/O errors print it.
fn os_error_code(text: &str) -> Option<i32> {
    let lower = text.to_ascii_lowercase();
    let rest = &lower[lower.find("os error ")? + "os error ".len()..];
    let end = rest
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && c == '-')))
        .map_or(rest.len(), |(i, _)| i);
    rest[..end].parse().ok()
}

/// The reason in a Windows certificate error (an `HRESULT` SChannel returns through native-tls as the
/// I/O error's code), or `None` for any other code. Unix error numbers are small and positive, so
/// they never match.
pub(crate) fn windows_certificate_reason(code: i32) -> Option<&'static str> {
    let reason = match code as u32 {
        0x800B_0101 | 0x8009_0328 => "the certificate has expired or is not yet valid",
        0x800B_0109 | 0x8009_0325 => "its root certificate is not trusted",
        0x800B_010A => "its chain does not lead to a trusted root",
        0x800B_010C => "the certificate has been revoked",
        0x800B_010E => "whether it was revoked could not be checked",
        0x800B_010F | 0x8009_0322 => "the certificate is for another name",
        0x800B_0106 | 0x800B_0110 => "the certificate is not meant for servers",
        0x8009_6004 => "its signature is not valid",
        0x800B_0100..=0x800B_01FF | 0x8009_0327 => "Windows does not accept it",
        _ => return None,
    };
    Some(reason)
}

#[cfg(test)]
mod tests {
    #[test]
    fn windows_certificate_errors_are_known_by_their_code_not_their_words() {
        use super::windows_certificate_reason as reason;
        // CERT_E_UNTRUSTEDROOT, SEC_E_UNTRUSTED_ROOT, CERT_E_CN_NO_MATCH as native-tls returns them.
        assert_eq!(reason(0x800B_0109_u32 as i32), Some("its root certificate is not trusted"));
        assert_eq!(reason(0x8009_0325_u32 as i32), Some("its root certificate is not trusted"));
        assert_eq!(reason(-2146762481), Some("the certificate is for another name"));
        assert_eq!(reason(0x800B_0150_u32 as i32), Some("Windows does not accept it"));
        // Connection refused on Linux and on Windows, and SEC_E_INTERNAL_ERROR: not certificates.
        for other in [111, 10061, 0x8009_0304_u32 as i32, 0] {
            assert_eq!(reason(other), None, "{other:#x}");
        }
        // The code as Windows prints it, as Wine does (it has no text for it), and as Linux prints errno.
        let windows = "The certificate's CN name does not match the passed value. (os error -2146762481)";
        let wine = "OS Error -2146762481 (FormatMessageW() returned error 317)";
        assert_eq!(super::os_error_code(windows), Some(-2146762481));
        assert_eq!(super::os_error_code(wine), Some(-2146762481));
        assert_eq!(super::os_error_code("Connection refused (os error 111)"), Some(111));
        assert_eq!(super::os_error_code("certificate verify failed"), None);
    }
}
