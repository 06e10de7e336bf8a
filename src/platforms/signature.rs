//! Webhook signatures: Shopify and WooCommerce both sign a delivery's exact bytes with
//! HMAC-SHA256 under the store's secret and send it in base64.

use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Whether `signature` is the base64 HMAC-SHA256 of `body` keyed with `secret`, compared in
/// constant time.
pub fn base64_hmac_sha256_matches(secret: &[u8], body: &[u8], signature: &str) -> bool {
    let Ok(expected) = STANDARD.decode(signature.trim()) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::base64_hmac_sha256_matches as verify;

    #[test]
    fn shopifys_test_vector_verifies_and_a_changed_byte_does_not() {
        let signature = "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=";
        assert!(verify(b"test_secret_key", br#"{"foo": "bar"}"#, signature));
        assert!(!verify(b"test_secret_key", br#"{"foo": "baz"}"#, signature));
        assert!(!verify(b"other_key", br#"{"foo": "bar"}"#, signature));
        assert!(!verify(b"test_secret_key", br#"{"foo": "bar"}"#, "not base64!"));
    }
}
