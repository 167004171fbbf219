//! Who signed in, from an OpenID Connect server's ID token (OpenID Connect Core §3.1.3.7), for servers
//! that offer one (their discovery lists `openid` and its signing keys; ATOM's guide documents none).
//! An ID token is a claim anyone could write until it is verified, so it names an account only when:
//! its signature verifies with a key the server publishes at its `jwks_uri` (fetched over the app's
//! HTTPS stack), with an asymmetric algorithm that key is for (never `none`, never a shared secret);
//! `iss` is the server's issuer; `aud` holds this app's client ID (and `azp`, if present, is it); it
//! has not expired; and its `nonce` is the one this sign-in sent. Anything else names nobody: the
//! sign-in itself stands (its tokens came from the token endpoint), and the name comes from elsewhere.
//!
//! Userinfo is not read: a marketplace access token is for the marketplace (a resource indicator, RFC
//! 8707, as the interop server issues them), so the userinfo endpoint refuses it; asking for a second
//! token on every sign-in and refresh to learn a name the ID token already carries is not worth it.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::identity::clean_text;
use super::Identity;
use crate::env::Environment;
use crate::error::{Error, Result};
use crate::http::{client_for, read_body};

/// The algorithms an ID token may be signed with: public-key ones only.
const ASYMMETRIC: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Clock skew allowed on `exp` and `iat`.
const LEEWAY_SECS: u64 = 60;

#[derive(Deserialize)]
struct Claims {
    #[allow(dead_code)]
    sub: String,
    nonce: Option<String>,
    azp: Option<String>,
    name: Option<serde_json::Value>,
    preferred_username: Option<serde_json::Value>,
    email: Option<serde_json::Value>,
    email_verified: Option<bool>,
}

/// The server's signing keys.
pub async fn fetch_keys(env: &Environment) -> Result<JwkSet> {
    let url =
        env.jwks_uri.as_ref().ok_or_else(|| Error::Config("this server publishes no signing keys".into()))?;
    let reply = client_for(url).await?.get(url.as_str()).send().await.map_err(Error::from_reqwest)?;
    if !reply.status().is_success() {
        return Err(Error::BadResponse(format!(
            "the server's signing keys answered HTTP {}",
            reply.status()
        )));
    }
    let body = read_body(reply).await?;
    serde_json::from_slice(&body)
        .map_err(|_| Error::BadResponse("the server's signing keys are not a key set".into()))
}

/// Who `id_token` says signed in, if it verifies against `keys` for this `env` and `nonce`.
pub fn verify(env: &Environment, id_token: &str, nonce: Option<&str>, keys: &JwkSet) -> Result<Identity> {
    let refuse = |why: &str| Error::BadResponse(format!("the ID token was not accepted: {why}"));
    let issuer = env.issuer.as_deref().ok_or_else(|| refuse("the server names no issuer"))?;
    let header = jsonwebtoken::decode_header(id_token).map_err(|_| refuse("it is not a signed token"))?;
    if !ASYMMETRIC.contains(&header.alg) {
        return Err(refuse("it is not signed with a public key"));
    }
    let jwk = match &header.kid {
        Some(kid) => keys.find(kid),
        None if keys.keys.len() == 1 => keys.keys.first(),
        None => None,
    }
    .ok_or_else(|| refuse("it names no key the server publishes"))?;
    if jwk.common.key_algorithm.is_some_and(|a| a.to_string() != format!("{:?}", header.alg)) {
        return Err(refuse("its key is for another algorithm"));
    }
    let key = DecodingKey::from_jwk(jwk).map_err(|_| refuse("the server's key cannot be read"))?;
    let mut rules = Validation::new(header.alg);
    rules.set_issuer(&[issuer, &format!("{issuer}/")]);
    rules.set_audience(&[&env.client_id]);
    rules.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    rules.leeway = LEEWAY_SECS;
    let claims = jsonwebtoken::decode::<Claims>(id_token, &key, &rules)
        .map_err(|e| refuse(&format!("{:?}", e.kind())))?
        .claims;
    if claims.azp.as_deref().is_some_and(|azp| azp != env.client_id) {
        return Err(refuse("it was issued to another app"));
    }
    if nonce.is_some() && claims.nonce.as_deref() != nonce {
        return Err(refuse("it belongs to another sign-in"));
    }
    let email = clean_text(claims.email, 254).filter(|_| claims.email_verified != Some(false));
    let name = clean_text(claims.name, 100)
        .or_else(|| clean_text(claims.preferred_username, 100))
        .or_else(|| email.clone())
        .ok_or_else(|| refuse("it carries no name"))?;
    Ok(Identity { name, email })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::CustomEnvironment;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    // Two Ed25519 keys made for these tests (PKCS#8, and the public half as a JWK's `x`).
    const KEY_A: &str = "MC4CAQAwBQYDK2VwBCIEII+alNDFMckhthaBBqlE7ef3JTJ+iIOV03ugnCoOwvkk";
    const PUBLIC_A: &str = "SScGBooKL7UzG9zeEW3rsaYGHT65iRjFm9PL5QTE7Hk";
    const KEY_B: &str = "MC4CAQAwBQYDK2VwBCIEILkztrhtr38/UgA73BJEliLOzingiMsVH1Y9Ve4bdl6s";

    fn env() -> Environment {
        Environment::custom(&CustomEnvironment {
            name: "OIDC".into(),
            api_base: "https://id.example.com".into(),
            issuer: Some("https://id.example.com".into()),
            authorize_url: "https://id.example.com/auth".into(),
            token_url: "https://id.example.com/token".into(),
            client_id: "atom-desktop".into(),
            jwks_uri: Some("https://id.example.com/jwks".into()),
            ..Default::default()
        })
        .unwrap()
    }

    fn keys() -> JwkSet {
        serde_json::from_value(json!({"keys": [
            {"kty": "OKP", "crv": "Ed25519", "x": PUBLIC_A, "kid": "a", "alg": "EdDSA", "use": "sig"}
        ]}))
        .unwrap()
    }

    fn now() -> u64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
    }

    fn claims() -> serde_json::Value {
        json!({"iss": "https://id.example.com", "aud": "atom-desktop", "sub": "sam", "exp": now() + 300,
               "iat": now(), "nonce": "n-1", "name": "Sam Okafor", "email": "sam@example.com"})
    }

    fn sign(claims: &serde_json::Value, key: &str, kid: &str) -> String {
        use base64::Engine;
        let der = base64::engine::general_purpose::STANDARD.decode(key).unwrap();
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.into());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(&der)).unwrap()
    }

    #[test]
    fn a_token_signed_by_the_servers_key_for_this_sign_in_names_the_account() {
        let who = verify(&env(), &sign(&claims(), KEY_A, "a"), Some("n-1"), &keys()).unwrap();
        assert_eq!(who, Identity { name: "Sam Okafor".into(), email: Some("sam@example.com".into()) });
    }

    #[test]
    fn any_other_token_names_nobody() {
        let env = env();
        let with = |change: serde_json::Value| {
            let mut c = claims();
            c.as_object_mut().unwrap().extend(change.as_object().unwrap().clone());
            c
        };
        let refused = |token: String, nonce: Option<&str>| verify(&env, &token, nonce, &keys()).is_err();
        // Another key, even under the right key id; a key id the server does not publish.
        assert!(refused(sign(&claims(), KEY_B, "a"), Some("n-1")));
        assert!(refused(sign(&claims(), KEY_A, "z"), Some("n-1")));
        // Another sign-in's nonce, another issuer, another app, expired, issued to another party.
        assert!(refused(sign(&claims(), KEY_A, "a"), Some("n-2")));
        assert!(refused(sign(&with(json!({"iss": "https://evil.example"})), KEY_A, "a"), Some("n-1")));
        assert!(refused(sign(&with(json!({"aud": "someone-else"})), KEY_A, "a"), Some("n-1")));
        assert!(refused(sign(&with(json!({"exp": now() - 3600})), KEY_A, "a"), Some("n-1")));
        let both = json!({"aud": ["atom-desktop", "other"], "azp": "other"});
        assert!(refused(sign(&with(both), KEY_A, "a"), Some("n-1")));
        // Unsigned, and signed with a shared secret (the public key used as an HMAC key).
        let unsigned = format!(
            "{}.{}.",
            "eyJhbGciOiJub25lIiwia2lkIjoiYSJ9",
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, claims().to_string())
        );
        assert!(refused(unsigned, Some("n-1")));
        let mut hs = Header::new(Algorithm::HS256);
        hs.kid = Some("a".into());
        let hmac =
            jsonwebtoken::encode(&hs, &claims(), &EncodingKey::from_secret(PUBLIC_A.as_bytes())).unwrap();
        assert!(refused(hmac, Some("n-1")));
        assert!(refused("not a token".into(), None));
    }

    #[test]
    fn an_unverified_email_is_not_shown() {
        let mut c = claims();
        c["email_verified"] = json!(false);
        let who = verify(&env(), &sign(&c, KEY_A, "a"), Some("n-1"), &keys()).unwrap();
        assert_eq!(who.email, None);
    }
}
