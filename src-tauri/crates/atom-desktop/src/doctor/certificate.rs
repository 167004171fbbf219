//! Who issued the certificate a server showed, in the words a person knows it by, read by the platform's
//! own certificate library (OpenSSL on Linux, CryptoAPI on Windows; not read on macOS yet); and whether
//! that issuer is a product that opens HTTPS on the way to inspect it (a company's proxy or a security
//! program), which then sees every token the app sends.

/// Words in the names of the certificate authorities that HTTPS-inspecting products install, each with
/// the product's name as the finding says it.
const INSPECTORS: &[(&str, &str)] = &[
    ("zscaler", "Zscaler"),
    ("netskope", "Netskope"),
    ("fortinet", "Fortinet"),
    ("fortigate", "Fortinet"),
    ("palo alto", "Palo Alto Networks"),
    ("bluecoat", "Blue Coat"),
    ("blue coat", "Blue Coat"),
    ("forcepoint", "Forcepoint"),
    ("websense", "Forcepoint"),
    ("sophos", "Sophos"),
    ("cisco umbrella", "Cisco Umbrella"),
    ("skyhigh", "Skyhigh"),
    ("mcafee web gateway", "McAfee Web Gateway"),
    ("check point", "Check Point"),
    ("checkpoint", "Check Point"),
    ("barracuda", "Barracuda"),
    ("kaspersky", "Kaspersky"),
    ("avast", "Avast"),
    ("eset", "ESET"),
    ("bitdefender", "Bitdefender"),
    ("mitmproxy", "mitmproxy"),
    ("fiddler", "Fiddler"),
    ("charles proxy", "Charles Proxy"),
    ("portswigger", "Burp Suite"),
];

/// The product an issuer's name says inspects HTTPS, if it is one of [`INSPECTORS`] (whole words).
pub fn inspector(issuer: &str) -> Option<&'static str> {
    let words: String =
        issuer.to_lowercase().chars().map(|c| if c.is_alphanumeric() { c } else { ' ' }).collect::<String>();
    let words = format!(" {} ", words.split_whitespace().collect::<Vec<_>>().join(" "));
    INSPECTORS.iter().find(|(word, _)| words.contains(&format!(" {word} "))).map(|(_, product)| *product)
}

/// The issuer of the certificate `der`: its common name, with its organisation where that adds to it.
#[cfg(target_os = "linux")]
pub fn issuer(der: &[u8]) -> Option<String> {
    use openssl::nid::Nid;
    let certificate = openssl::x509::X509::from_der(der).ok()?;
    let name = certificate.issuer_name();
    let field = |nid| {
        name.entries_by_nid(nid).next().and_then(|e| e.data().to_string().ok()).map(|s| s.trim().to_string())
    };
    match (field(Nid::COMMONNAME), field(Nid::ORGANIZATIONNAME)) {
        (Some(cn), Some(org)) if !cn.contains(&org) => Some(format!("{cn} ({org})")),
        (Some(cn), _) => Some(cn),
        (None, org) => org,
    }
}

/// The issuer of the certificate `der`, as Windows shows it (its simple display name).
#[cfg(windows)]
pub fn issuer(der: &[u8]) -> Option<String> {
    use windows_sys::Win32::Security::Cryptography::{
        CertCreateCertificateContext, CertFreeCertificateContext, CertGetNameStringW, CERT_NAME_ISSUER_FLAG,
        CERT_NAME_SIMPLE_DISPLAY_TYPE, PKCS_7_ASN_ENCODING, X509_ASN_ENCODING,
    };
    let len = u32::try_from(der.len()).ok()?;
    // SAFETY: `der` outlives the call, which copies what it decodes into the context it returns.
    let context =
        unsafe { CertCreateCertificateContext(X509_ASN_ENCODING | PKCS_7_ASN_ENCODING, der.as_ptr(), len) };
    if context.is_null() {
        return None;
    }
    let mut name = [0u16; 256];
    // SAFETY: `context` is the live context made above; `name` holds 256 UTF-16 units, the size given,
    // and the call writes at most that, NUL included, and returns how many it wrote.
    let written = unsafe {
        CertGetNameStringW(
            context,
            CERT_NAME_SIMPLE_DISPLAY_TYPE,
            CERT_NAME_ISSUER_FLAG,
            std::ptr::null(),
            name.as_mut_ptr(),
            name.len() as u32,
        )
    };
    // SAFETY: made by CertCreateCertificateContext above, freed once.
    unsafe { CertFreeCertificateContext(context) };
    let text = String::from_utf16_lossy(&name[..(written as usize).saturating_sub(1).min(name.len())]);
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// macOS' Security framework is not asked yet.
#[cfg(not(any(target_os = "linux", windows)))]
pub fn issuer(_der: &[u8]) -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inspecting_products_ca_is_known_by_a_whole_word() {
        assert_eq!(inspector("Zscaler Intermediate Root CA (zscaler.net)"), Some("Zscaler"));
        assert_eq!(inspector("FortiGate CA, Fortinet"), Some("Fortinet"));
        assert_eq!(inspector("Avast Web/Mail Shield Root"), Some("Avast"));
        assert_eq!(inspector("mitmproxy"), Some("mitmproxy"));
        for public in [
            "R11 (Let's Encrypt)",
            "DigiCert Global G2 TLS RSA SHA256 2020 CA1",
            "Preset CA",
            "ATOM sandbox test CA",
        ] {
            assert_eq!(inspector(public), None, "{public}");
        }
    }

    #[test]
    #[cfg(any(target_os = "linux", windows))]
    fn the_issuer_is_read_by_the_platforms_own_library() {
        // A self-signed certificate named as an inspecting product's CA (made with `openssl req -x509`;
        // public, holds no key).
        let inspecting_ca = include_bytes!("../../tests/fixtures/inspecting-ca.der");
        let issuer = issuer(inspecting_ca).expect("the issuer is read");
        assert!(issuer.starts_with("Zscaler Root CA Test"), "{issuer}");
        #[cfg(target_os = "linux")]
        assert_eq!(issuer, "Zscaler Root CA Test (Zscaler Test)");
        assert_eq!(inspector(&issuer), Some("Zscaler"));
        assert_eq!(super::issuer(b"not a certificate"), None);
        assert_eq!(super::issuer(&[]), None);
    }
}
