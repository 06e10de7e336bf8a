//! Devices that have signed in to an account before: a successful sign-in leaves the browser a
//! tag for the account, an HMAC of its email under a key derived from the secret key, so it
//! cannot be forged and reveals nothing. Attempts that carry the account's tag are not held back
//! by the account's failure count, which strangers can raise (see `throttle`).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::secrets::Sealer;

/// Tags one browser keeps: one per account signed in to there, newest first.
pub const MAX_TAGS: usize = 5;

pub struct DeviceKey([u8; 32]);

impl DeviceKey {
    pub fn new(sealer: &Sealer) -> DeviceKey {
        DeviceKey(sealer.derive("storelink device tags"))
    }

    /// The tag for an account, by its normalised email.
    pub fn tag(&self, normalized_email: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(normalized_email.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    /// Whether any of `tags` is the account's, compared in constant time.
    pub fn knows(&self, tags: &[String], normalized_email: &str) -> bool {
        let expected = self.tag(normalized_email);
        tags.iter().any(|tag| bool::from(tag.as_bytes().ct_eq(expected.as_bytes())))
    }

    /// `tags` with the account's tag first, at most [`MAX_TAGS`].
    pub fn remember(&self, tags: &[String], normalized_email: &str) -> Vec<String> {
        let tag = self.tag(normalized_email);
        let mut kept = vec![tag.clone()];
        kept.extend(tags.iter().filter(|t| **t != tag).take(MAX_TAGS - 1).cloned());
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_belongs_to_one_account_and_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let key = DeviceKey::new(&Sealer::load(None, dir.path()).unwrap());
        let tags = key.remember(&[], "ada@example.com");
        assert!(key.knows(&tags, "ada@example.com"));
        assert!(!key.knows(&tags, "bob@example.com"));
        let other =
            DeviceKey::new(&Sealer::load(Some(&crate::secrets::Secret::new("22".repeat(32))), dir.path()).unwrap());
        assert!(!other.knows(&tags, "ada@example.com"));
        let many = (0..8).fold(Vec::new(), |tags, n| key.remember(&tags, &format!("user{n}@example.com")));
        assert_eq!(many.len(), MAX_TAGS);
        assert!(key.knows(&many, "user7@example.com") && !key.knows(&many, "user0@example.com"));
    }
}
