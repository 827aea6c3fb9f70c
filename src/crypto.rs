//! Contact data at rest: AES-256-GCM encryption with a key id on every value, and HMAC-SHA256
//! blind indexes for dedupe and exact search.
//!
//! A stored value is `0x01 | key id (4 bytes) | nonce (12 bytes) | ciphertext + tag`. The key id is
//! the first four bytes of SHA-256 of the key, so several keys can be configured at once (the
//! current one encrypts; older ones only decrypt) and keys can be rotated. The purpose of a value
//! (`phone`, `email`, ...) is bound in as associated data, so values cannot be swapped between
//! columns. Blind indexes use a separate key that must stay the same for the life of the data.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

crate::domain::text_enum::text_enum! {
    /// What a key recorded in the database's key registry (`crypto_keys`) does: encrypt `data`,
    /// or key the blind `index`es.
    KeyRole {
        Data = "data",
        Index = "index",
    }
}

/// What a sealed value or a blind index is for. Its label is bound into the ciphertext as
/// associated data (and into the blind index's HMAC), so a value sealed for one purpose never opens
/// as another. The labels are part of the stored data: never change one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A lead's phone number (E.164).
    Phone,
    /// A lead's email address.
    Email,
    /// A lead's WeChat id.
    Wechat,
    /// A lead's identity key (the blind index dedupe matches people by; never sealed).
    Identity,
    /// A quarantined or merged intake payload.
    Payload,
    /// An import's stored chunk rows and rejected rows.
    ImportRows,
    /// The body of an intake request, for its Idempotency-Key (blind index only).
    IdempotencyRequest,
}

impl Purpose {
    /// The label bound into what is stored.
    pub const fn label(self) -> &'static str {
        match self {
            Purpose::Phone => "phone",
            Purpose::Email => "email",
            Purpose::Wechat => "wechat",
            Purpose::Identity => "identity",
            Purpose::Payload => "payload",
            Purpose::ImportRows => "import_rows",
            Purpose::IdempotencyRequest => "idempotency_request",
        }
    }
}

impl std::fmt::Display for Purpose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// `N` bytes from the operating system's random source.
#[allow(
    clippy::expect_used,
    reason = "without a random source no key, nonce or token can be made: nothing sensible is left to do"
)]
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random source is unavailable");
    bytes
}

/// HMAC-SHA256 keyed by `key`.
#[allow(clippy::expect_used, reason = "HMAC takes a key of any length")]
fn hmac(key: &[u8]) -> Hmac<Sha256> {
    <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length")
}

const FORMAT_V1: u8 = 1;
const KEY_ID_LEN: usize = 4;
const NONCE_LEN: usize = 12;
/// Blind indexes are truncated HMACs: 16 bytes keep collisions out of reach and indexes small.
const BLIND_INDEX_LEN: usize = 16;

/// A 256-bit key.
#[derive(Clone, PartialEq, Eq)]
pub struct Key([u8; 32]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key(id {})", hex::encode(self.id()))
    }
}

impl Key {
    /// Parses 64 hexadecimal characters.
    pub fn from_hex(text: &str) -> Result<Self, String> {
        let bytes = hex::decode(text.trim())
            .map_err(|_| "must be 64 hexadecimal characters".to_string())?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "must be 64 hexadecimal characters (32 bytes)".to_string())?;
        Ok(Self(bytes))
    }

    pub fn random() -> Self {
        Self(random_bytes())
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Identifies the key without revealing it.
    pub fn id(&self) -> [u8; KEY_ID_LEN] {
        let digest = Sha256::digest(self.0);
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&digest[..KEY_ID_LEN]);
        id
    }

    /// A key for another purpose, derived from this one.
    pub fn derive(&self, purpose: &str) -> Key {
        let mut mac = hmac(&self.0);
        mac.update(purpose.as_bytes());
        let out = mac.finalize().into_bytes();
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&out);
        Key(bytes)
    }
}

/// Why a stored value could not be decrypted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("the value is not in a known format")]
    Format,
    #[error("the value was encrypted with key id {0}, which is not configured")]
    UnknownKey(String),
    #[error("the value does not decrypt (wrong key or tampered)")]
    Tampered,
}

/// Encrypts and decrypts contact data and computes blind indexes.
pub struct Vault {
    current: (Key, Aes256Gcm),
    older: Vec<(Key, Aes256Gcm)>,
    index_key: Key,
}

impl Vault {
    /// `current` encrypts; `older` keys only decrypt; `index` keys the blind indexes.
    pub fn new(current: Key, older: Vec<Key>, index: Key) -> Self {
        let cipher = |key: &Key| Aes256Gcm::new(&key.0.into());
        Self {
            current: (current.clone(), cipher(&current)),
            older: older.iter().map(|k| (k.clone(), cipher(k))).collect(),
            index_key: index,
        }
    }

    pub fn current_key_id(&self) -> [u8; KEY_ID_LEN] {
        self.current.0.id()
    }

    /// Ids of every key that can decrypt.
    pub fn key_ids(&self) -> Vec<[u8; KEY_ID_LEN]> {
        std::iter::once(&self.current)
            .chain(&self.older)
            .map(|(k, _)| k.id())
            .collect()
    }

    pub fn index_key_id(&self) -> [u8; KEY_ID_LEN] {
        self.index_key.id()
    }

    #[allow(
        clippy::expect_used,
        reason = "AES-GCM fails only for a message over 64 GiB, far above any value kept here"
    )]
    pub fn encrypt(&self, purpose: Purpose, plaintext: &[u8]) -> Vec<u8> {
        let nonce: [u8; NONCE_LEN] = random_bytes();
        let (key, cipher) = &self.current;
        let sealed = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: purpose.label().as_bytes(),
                },
            )
            .expect("AES-GCM encryption cannot fail for in-memory buffers");
        let mut out = Vec::with_capacity(1 + KEY_ID_LEN + NONCE_LEN + sealed.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&key.id());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    pub fn encrypt_str(&self, purpose: Purpose, plaintext: &str) -> Vec<u8> {
        self.encrypt(purpose, plaintext.as_bytes())
    }

    pub fn decrypt(&self, purpose: Purpose, stored: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if stored.len() < 1 + KEY_ID_LEN + NONCE_LEN + 16 || stored[0] != FORMAT_V1 {
            return Err(CryptoError::Format);
        }
        let key_id = &stored[1..1 + KEY_ID_LEN];
        let nonce: [u8; NONCE_LEN] = stored[1 + KEY_ID_LEN..1 + KEY_ID_LEN + NONCE_LEN]
            .try_into()
            .map_err(|_| CryptoError::Format)?;
        let sealed = &stored[1 + KEY_ID_LEN + NONCE_LEN..];
        let (_, cipher) = std::iter::once(&self.current)
            .chain(&self.older)
            .find(|(k, _)| k.id() == key_id)
            .ok_or_else(|| CryptoError::UnknownKey(hex::encode(key_id)))?;
        cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: purpose.label().as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Tampered)
    }

    pub fn decrypt_string(&self, purpose: Purpose, stored: &[u8]) -> Result<String, CryptoError> {
        self.decrypt(purpose, stored)
            .and_then(|bytes| String::from_utf8(bytes).map_err(|_| CryptoError::Format))
    }

    /// The blind index of a normalised value: equal values give equal indexes; nothing about the
    /// value can be learned from it without the index key.
    pub fn blind_index(&self, purpose: Purpose, normalised: &str) -> Vec<u8> {
        let mut mac = hmac(&self.index_key.0);
        mac.update(purpose.label().as_bytes());
        mac.update(&[0]);
        mac.update(normalised.as_bytes());
        mac.finalize().into_bytes()[..BLIND_INDEX_LEN].to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault() -> Vault {
        Vault::new(Key([1; 32]), vec![], Key([9; 32]))
    }

    #[test]
    fn round_trip_and_randomised() {
        let v = vault();
        let a = v.encrypt_str(Purpose::Phone, "+8613812345678");
        let b = v.encrypt_str(Purpose::Phone, "+8613812345678");
        assert_ne!(a, b, "a fresh nonce every time");
        assert!(!a.windows(11).any(|w| w == b"13812345678"));
        assert_eq!(
            v.decrypt_string(Purpose::Phone, &a).unwrap(),
            "+8613812345678"
        );
    }

    #[test]
    fn purpose_is_bound_and_tampering_detected() {
        let v = vault();
        let mut sealed = v.encrypt_str(Purpose::Phone, "+8613812345678");
        assert_eq!(
            v.decrypt(Purpose::Email, &sealed),
            Err(CryptoError::Tampered)
        );
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert_eq!(
            v.decrypt(Purpose::Phone, &sealed),
            Err(CryptoError::Tampered)
        );
        assert_eq!(
            v.decrypt(Purpose::Phone, b"short"),
            Err(CryptoError::Format)
        );
    }

    #[test]
    fn rotation_keeps_old_values_readable() {
        let old = Vault::new(Key([1; 32]), vec![], Key([9; 32]));
        let sealed = old.encrypt_str(Purpose::Email, "a@example.com");
        let rotated = Vault::new(Key([2; 32]), vec![Key([1; 32])], Key([9; 32]));
        assert_eq!(
            rotated.decrypt_string(Purpose::Email, &sealed).unwrap(),
            "a@example.com"
        );
        let fresh = rotated.encrypt_str(Purpose::Email, "a@example.com");
        assert_eq!(&fresh[1..5], &Key([2; 32]).id());
        let without_old = Vault::new(Key([2; 32]), vec![], Key([9; 32]));
        assert!(matches!(
            without_old.decrypt(Purpose::Email, &sealed),
            Err(CryptoError::UnknownKey(_))
        ));
        assert_eq!(
            old.blind_index(Purpose::Email, "a@example.com"),
            rotated.blind_index(Purpose::Email, "a@example.com")
        );
    }

    #[test]
    fn blind_indexes_depend_on_key_purpose_and_value() {
        let v = vault();
        assert_eq!(
            v.blind_index(Purpose::Phone, "+86138"),
            v.blind_index(Purpose::Phone, "+86138")
        );
        assert_ne!(
            v.blind_index(Purpose::Phone, "+86138"),
            v.blind_index(Purpose::Email, "+86138")
        );
        assert_ne!(
            v.blind_index(Purpose::Phone, "+86138"),
            v.blind_index(Purpose::Phone, "+86139")
        );
        let other = Vault::new(Key([1; 32]), vec![], Key([8; 32]));
        assert_ne!(
            v.blind_index(Purpose::Phone, "+86138"),
            other.blind_index(Purpose::Phone, "+86138")
        );
        assert_eq!(v.blind_index(Purpose::Phone, "+86138").len(), 16);
    }

    #[test]
    fn keys_parse_from_hex_only() {
        let key = Key::from_hex(&"ab".repeat(32)).unwrap();
        assert_eq!(key.to_hex(), "ab".repeat(32));
        assert!(Key::from_hex("abc").is_err());
        assert!(Key::from_hex(&"zz".repeat(32)).is_err());
        assert!(!format!("{key:?}").contains("abab"));
    }
}
