//! Secrets: a type that never prints, and AES-256-GCM sealing under a key kept out of the
//! database (`STORELINK_SECRET_KEY`, or `secret.key` in the data directory, mode 0600).

use std::{fmt, io::Write, path::Path};

use aes_gcm::{
    aead::{Aead, AeadCore, KeyInit, OsRng},
    Aes256Gcm, Key, Nonce,
};
use rand::RngCore;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// A credential. Debug and Display print nothing, so it cannot slip into a log or an error; its
/// memory is wiped when it is dropped; two are compared in constant time.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(Zeroizing::new(value.into()))
    }

    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Secret) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("…")
    }
}

const KEY_FILE: &str = "secret.key";
const NONCE_LEN: usize = 12;

/// Seals and opens secrets for storage.
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
    /// Kept to derive keys for other purposes from (see [`Sealer::derive`]).
    key: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer(…)")
    }
}

impl Sealer {
    /// The key from `configured` (64 hex digits) or else the data directory's key file,
    /// created with a random key on first start.
    pub fn load(configured: Option<&Secret>, data_dir: &Path) -> anyhow::Result<Sealer> {
        let hex_key = match configured {
            Some(key) => key.expose().trim().to_owned(),
            None => {
                let path = data_dir.join(KEY_FILE);
                if !path.exists() {
                    create_key_file(&path)?;
                }
                std::fs::read_to_string(&path)?.trim().to_owned()
            }
        };
        let bytes = hex::decode(&hex_key)
            .ok()
            .map(Zeroizing::new)
            .filter(|b| b.len() == 32)
            .ok_or_else(|| anyhow::anyhow!("the secret key must be 64 hexadecimal digits (32 bytes)"))?;
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&bytes);
        Ok(Sealer { cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes)), key })
    }

    /// A random nonce followed by the ciphertext and tag.
    pub fn seal(&self, secret: &Secret) -> Vec<u8> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let mut sealed = nonce.to_vec();
        sealed.extend(self.cipher.encrypt(&nonce, secret.expose().as_bytes()).expect("AES-GCM encryption cannot fail"));
        sealed
    }

    pub fn open(&self, sealed: &[u8]) -> anyhow::Result<Secret> {
        anyhow::ensure!(sealed.len() > NONCE_LEN, "sealed secret too short");
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| anyhow::anyhow!("a stored secret could not be decrypted: was the secret key changed?"))?;
        Ok(Secret::new(String::from_utf8(plain)?))
    }
}

impl Sealer {
    /// A key for `purpose`, derived from the sealing key (HMAC-SHA256), so one secret key
    /// serves every purpose without one key's use revealing another.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        use hmac::{Hmac, Mac};
        let mut mac =
            <Hmac<sha2::Sha256> as Mac>::new_from_slice(self.key.as_slice()).expect("HMAC takes keys of any length");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// A new random key, as 64 hex digits.
    pub fn random_key() -> String {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        hex::encode(key)
    }

    /// Replaces the data directory's key file atomically (write aside, then rename).
    pub fn replace_key_file(data_dir: &Path, key: &Secret) -> anyhow::Result<()> {
        let aside = data_dir.join(format!("{KEY_FILE}.new"));
        let _ = std::fs::remove_file(&aside);
        create_key_file_with(&aside, key.expose())?;
        std::fs::rename(aside, data_dir.join(KEY_FILE))?;
        Ok(())
    }
}

/// A new secret token: 32 random bytes, in hex (a session's, an invitation's).
pub fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the database keeps of a secret token (a session's, an API token): its SHA-256, in hex,
/// so a copy of the database cannot be replayed as the token.
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn create_key_file(path: &Path) -> anyhow::Result<()> {
    create_key_file_with(path, &Sealer::random_key())
}

fn create_key_file_with(path: &Path, hex_key: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(hex_key.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("shpat_very_secret");
        assert!(!format!("{secret:?} {secret}").contains("very_secret"));
        assert_eq!(secret, Secret::new("shpat_very_secret"));
        assert_ne!(secret, Secret::new("shpat_very_secreT"));
    }

    #[test]
    fn sealing_round_trips_and_the_key_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let sealer = Sealer::load(None, dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let sealed = sealer.seal(&Secret::new("shpss_shared"));
        assert!(!sealed.windows(6).any(|w| w == b"shpss_"));
        assert_eq!(sealer.open(&sealed).unwrap().expose(), "shpss_shared");
        // The same key file opens it again; another key does not.
        assert_eq!(Sealer::load(None, dir.path()).unwrap().open(&sealed).unwrap().expose(), "shpss_shared");
        let other = Sealer::load(Some(&Secret::new("11".repeat(32))), dir.path()).unwrap();
        assert!(other.open(&sealed).is_err());
        assert!(Sealer::load(Some(&Secret::new("not hex")), dir.path()).is_err());
    }
}
