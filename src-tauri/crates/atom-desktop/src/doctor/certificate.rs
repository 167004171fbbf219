//! Who issued the certificate a server showed, in the words a person knows it by, read by the platform's
//! own certificate library (OpenSSL on Linux, CryptoAPI on Windows, the Security framework on macOS); and whether
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
    named(field(Nid::COMMONNAME), field(Nid::ORGANIZATIONNAME))
}

/// An issuer by its common name, with its organisation where that adds to it.
#[cfg(any(target_os = "linux", target_os = "macos"))]
fn named(common_name: Option<String>, organisation: Option<String>) -> Option<String> {
    match (common_name, organisation) {
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

/// The issuer of the certificate `der`, read by the Security framework (`SecCertificateCopyValues`):
/// the issuer name's parts, which it labels by their OIDs, as security-framework's own property reader
/// walks them (that crate names only the signature algorithm's OID, so the issuer name's is declared
/// here). Compiled and linted here; its test runs in the hosted macOS job.
#[cfg(target_os = "macos")]
pub fn issuer(der: &[u8]) -> Option<String> {
    use std::ffi::c_void;

    use core_foundation::array::{CFArray, CFArrayRef};
    use core_foundation::base::{CFType, TCFType, ToVoid};
    use core_foundation::dictionary::{CFDictionary, CFDictionaryRef};
    use core_foundation::error::CFError;
    use core_foundation::string::{CFString, CFStringRef};
    use security_framework::certificate::SecCertificate;
    use security_framework_sys::certificate::{
        kSecPropertyKeyLabel, kSecPropertyKeyValue, SecCertificateCopyValues,
    };

    #[link(name = "Security", kind = "framework")]
    unsafe extern "C" {
        static kSecOIDX509V1IssuerName: CFStringRef;
    }
    type Untyped = CFDictionary<*const c_void, *const c_void>;
    const COMMON_NAME: &str = "2.5.4.3";
    const ORGANISATION: &str = "2.5.4.10";

    let certificate = SecCertificate::from_der(der).ok()?;
    // SAFETY: a constant of the Security framework, a CFString that lives as long as the process.
    let oid = unsafe { CFString::wrap_under_get_rule(kSecOIDX509V1IssuerName) };
    let keys = CFArray::from_CFTypes(std::slice::from_ref(&oid));
    let mut error = std::ptr::null_mut();
    // SAFETY: the certificate and the keys are live; the call returns a dictionary the caller owns, or
    // sets an error the caller owns.
    let values = unsafe {
        SecCertificateCopyValues(certificate.as_concrete_TypeRef(), keys.as_concrete_TypeRef(), &mut error)
    };
    if !error.is_null() {
        // SAFETY: owned by the caller (the create rule), released once here.
        drop(unsafe { CFError::wrap_under_create_rule(error) });
    }
    if values.is_null() {
        return None;
    }
    // SAFETY: non-null and owned (the create rule): the certificate's properties by OID, each a
    // dictionary whose value, for a name, is an array of dictionaries (label, type, value).
    let values = unsafe { Untyped::wrap_under_create_rule(values) };
    // SAFETY: the property keys are constants of the Security framework, live as long as the process.
    let (label_key, value_key) = unsafe { (kSecPropertyKeyLabel, kSecPropertyKeyValue) };
    let name = values.find(oid.as_concrete_TypeRef().to_void())?;
    // SAFETY: the issuer name's property is a dictionary, held by `values` (the get rule retains it).
    let name = unsafe { Untyped::wrap_under_get_rule(*name as CFDictionaryRef) };
    let parts = name.find(value_key.to_void())?;
    // SAFETY: a name property's value is an array of property dictionaries, held by `name`.
    let parts = unsafe { CFArray::<Untyped>::wrap_under_get_rule(*parts as CFArrayRef) };
    let (mut common_name, mut organisation) = (None, None);
    for part in parts.iter() {
        let (Some(label), Some(value)) = (part.find(label_key.to_void()), part.find(value_key.to_void()))
        else {
            continue;
        };
        // SAFETY: a property's label is a CFString; its value any CF object, checked before it is read.
        let label = unsafe { CFString::wrap_under_get_rule(*label as CFStringRef) }.to_string();
        // SAFETY: as above; `downcast` checks its type.
        let Some(value) = unsafe { CFType::wrap_under_get_rule(*value) }.downcast::<CFString>() else {
            continue;
        };
        let slot = match label.as_str() {
            COMMON_NAME => &mut common_name,
            ORGANISATION => &mut organisation,
            _ => continue,
        };
        slot.get_or_insert_with(|| value.to_string().trim().to_string());
    }
    named(common_name, organisation)
}

/// Other systems: not read.
#[cfg(not(any(target_os = "linux", windows, target_os = "macos")))]
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

    /// Run on Linux and under Wine here; on macOS by the hosted workflow's macOS job.
    #[test]
    #[cfg(any(target_os = "linux", windows, target_os = "macos"))]
    fn the_issuer_is_read_by_the_platforms_own_library() {
        // A self-signed certificate named as an inspecting product's CA (made with `openssl req -x509`;
        // public, holds no key).
        let inspecting_ca = include_bytes!("../../tests/fixtures/inspecting-ca.der");
        let issuer = issuer(inspecting_ca).expect("the issuer is read");
        assert!(issuer.starts_with("Zscaler Root CA Test"), "{issuer}");
        #[cfg(any(target_os = "linux", target_os = "macos"))]
        assert_eq!(issuer, "Zscaler Root CA Test (Zscaler Test)");
        assert_eq!(inspector(&issuer), Some("Zscaler"));
        assert_eq!(super::issuer(b"not a certificate"), None);
        assert_eq!(super::issuer(&[]), None);
    }
}
