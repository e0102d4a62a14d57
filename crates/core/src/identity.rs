//! Keeps national ids out of clinical data: an AES-256-GCM ciphertext for the copy letters
//! need and an HMAC-SHA-256 look-up key (architecture.md §6). Keys come from the caller.
//!
//! The caller (the key file created by `kvalreg init`) owns the keys; this module only turns
//! them into text and back and uses them. A national id is always passed in normalized form
//! (digits only, see [`crate::national_id`]) so the same person gets the same look-up key.

use std::fmt;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, Key, KeyInit, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const HEADER: &str = "kvalreg-keys v1";

/// The two secrets of a platform installation: one encrypts national ids, the other makes
/// their look-up keys. `Debug` never shows them.
#[derive(Clone)]
pub struct IdentityKeys {
    encryption: [u8; KEY_LEN],
    lookup: [u8; KEY_LEN],
}

impl fmt::Debug for IdentityKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdentityKeys { encryption: <secret>, lookup: <secret> }")
    }
}

/// A key file that cannot be read, or a ciphertext that cannot be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    pub message: String,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for KeyError {}

fn key_error(message: impl Into<String>) -> KeyError {
    KeyError {
        message: message.into(),
    }
}

impl IdentityKeys {
    /// Fresh keys from the operating system's random source.
    pub fn generate() -> Result<Self, KeyError> {
        let mut encryption = [0u8; KEY_LEN];
        let mut lookup = [0u8; KEY_LEN];
        getrandom::fill(&mut encryption)
            .and_then(|()| getrandom::fill(&mut lookup))
            .map_err(|e| key_error(format!("the operating system gave no random bytes for new keys: {e}")))?;
        Ok(IdentityKeys { encryption, lookup })
    }

    /// The same look-up key with a fresh encryption key: what a key rotation moves to. The
    /// look-up key stays, because reservations keep nothing else to recognise a person by.
    pub fn with_new_encryption_key(&self) -> Result<Self, KeyError> {
        let mut encryption = [0u8; KEY_LEN];
        getrandom::fill(&mut encryption)
            .map_err(|e| key_error(format!("the operating system gave no random bytes for a new key: {e}")))?;
        Ok(IdentityKeys {
            encryption,
            lookup: self.lookup,
        })
    }

    /// The key file's text: a header line, then `encryption=<hex>` and `lookup=<hex>`.
    pub fn to_file_text(&self) -> String {
        format!(
            "{HEADER}\nencryption={}\nlookup={}\n",
            hex::encode(self.encryption),
            hex::encode(self.lookup)
        )
    }

    /// Reads a key file's text; an error names the line (1-based) and what is wrong.
    pub fn from_file_text(text: &str) -> Result<Self, KeyError> {
        let mut lines = text.lines().enumerate().map(|(i, line)| (i + 1, line.trim()));
        match lines.next() {
            Some((_, HEADER)) => {}
            Some((n, other)) => {
                return Err(key_error(format!(
                    "key file line {n}: expected `{HEADER}`, found `{}`",
                    shorten(other)
                )));
            }
            None => {
                return Err(key_error(format!(
                    "the key file is empty; expected `{HEADER}` on line 1"
                )));
            }
        }
        let mut encryption = None;
        let mut lookup = None;
        for (n, line) in lines {
            if line.is_empty() {
                continue;
            }
            let Some((name, value)) = line.split_once('=') else {
                return Err(key_error(format!(
                    "key file line {n}: expected `encryption=<hex>` or `lookup=<hex>`"
                )));
            };
            let slot = match name.trim() {
                "encryption" => &mut encryption,
                "lookup" => &mut lookup,
                other => {
                    return Err(key_error(format!(
                        "key file line {n}: unknown key `{}`; the keys are `encryption` and `lookup`",
                        shorten(other)
                    )));
                }
            };
            if slot.is_some() {
                return Err(key_error(format!(
                    "key file line {n}: `{}` is given twice",
                    name.trim()
                )));
            }
            let mut key = [0u8; KEY_LEN];
            hex::decode_to_slice(value.trim(), &mut key).map_err(|_| {
                key_error(format!(
                    "key file line {n}: `{}` must be {} hexadecimal digits",
                    name.trim(),
                    KEY_LEN * 2
                ))
            })?;
            *slot = Some(key);
        }
        match (encryption, lookup) {
            (Some(encryption), Some(lookup)) => Ok(IdentityKeys { encryption, lookup }),
            (None, _) => Err(key_error("the key file has no `encryption=` line")),
            (_, None) => Err(key_error("the key file has no `lookup=` line")),
        }
    }

    /// HMAC-SHA-256 of the normalized id under the look-up key, as lowercase hex: the same
    /// person always gets the same look-up key, and it cannot be turned back into the id.
    pub fn lookup_key(&self, normalized_id: &str) -> String {
        // HMAC pads a key shorter than the hash's block to the block length with zeros
        // (RFC 2104), so padding it here gives the same MAC through the infallible `new`.
        let mut block = [0u8; 64];
        block[..KEY_LEN].copy_from_slice(&self.lookup);
        let mut mac = <Hmac<Sha256> as KeyInit>::new(&block.into());
        mac.update(normalized_id.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Encrypts the id: a fresh random 12-byte nonce followed by the ciphertext and its tag.
    pub fn encrypt(&self, normalized_id: &str) -> Result<Vec<u8>, KeyError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce)
            .map_err(|e| key_error(format!("the operating system gave no random bytes for a nonce: {e}")))?;
        let ciphertext = self
            .cipher()
            .encrypt(&Nonce::<Aes256Gcm>::from(nonce), normalized_id.as_bytes())
            .map_err(|_| key_error("encryption of the national id failed"))?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// Opens what [`IdentityKeys::encrypt`] sealed; refuses anything altered or sealed
    /// under other keys.
    pub fn decrypt(&self, sealed: &[u8]) -> Result<String, KeyError> {
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return Err(key_error(format!(
                "the encrypted national id is {} bytes; at least {} are needed",
                sealed.len(),
                NONCE_LEN + TAG_LEN
            )));
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::<Aes256Gcm>::try_from(nonce)
            .map_err(|_| key_error("the encrypted national id has a malformed nonce"))?;
        let plain = self.cipher().decrypt(&nonce, ciphertext).map_err(|_| {
            key_error("the encrypted national id could not be opened: it was altered or sealed with other keys")
        })?;
        String::from_utf8(plain).map_err(|_| key_error("the decrypted national id is not text"))
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&Key::<Aes256Gcm>::from(self.encryption))
    }
}

/// A line from a key file, cut short so an error message never echoes a whole secret.
fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(20).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}
