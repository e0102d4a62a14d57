//! The second factor at sign-in: time-based one-time passwords (RFC 6238, HMAC-SHA-1, 30 s,
//! 6 digits) as authenticator apps compute them, and the `otpauth://` link they enrol from.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

/// Length of a secret in bytes (RFC 4226 recommends 160 bits).
pub const SECRET_LEN: usize = 20;
/// Seconds one code is valid for.
pub const STEP_SECONDS: i64 = 30;
/// Steps before and after now that are still accepted (clock drift of the phone).
const DRIFT_STEPS: i64 = 1;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A shared secret, written as unpadded base32 in the enrolment link and in storage.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(pub [u8; SECRET_LEN]);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

impl TotpSecret {
    /// A fresh random secret from the operating system.
    pub fn generate() -> Result<TotpSecret, getrandom::Error> {
        let mut bytes = [0u8; SECRET_LEN];
        getrandom::fill(&mut bytes)?;
        Ok(TotpSecret(bytes))
    }

    /// Unpadded RFC 4648 base32, as authenticator apps expect it.
    pub fn to_base32(&self) -> String {
        let mut out = String::with_capacity(SECRET_LEN * 8 / 5 + 1);
        let (mut buffer, mut bits) = (0u32, 0u32);
        for byte in self.0 {
            buffer = (buffer << 8) | u32::from(byte);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
            }
        }
        if bits > 0 {
            out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
        }
        out
    }

    /// Reads what [`TotpSecret::to_base32`] wrote (case and spaces ignored).
    pub fn from_base32(text: &str) -> Option<TotpSecret> {
        let mut bytes = Vec::with_capacity(SECRET_LEN);
        let (mut buffer, mut bits) = (0u32, 0u32);
        for c in text.chars().filter(|c| !c.is_whitespace()) {
            let value = BASE32.iter().position(|&b| char::from(b) == c.to_ascii_uppercase())?;
            buffer = (buffer << 5) | value as u32;
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                bytes.push((buffer >> bits) as u8);
            }
        }
        bytes.try_into().ok().map(TotpSecret)
    }

    /// The 6-digit code of one time step (RFC 4226 dynamic truncation).
    pub fn code_at_step(&self, step: i64) -> u32 {
        let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(&step.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        let offset = usize::from(digest[digest.len() - 1] & 0x0f);
        let binary = u32::from_be_bytes([
            digest[offset],
            digest[offset + 1],
            digest[offset + 2],
            digest[offset + 3],
        ]) & 0x7fff_ffff;
        binary % 1_000_000
    }

    /// The time step a code given at `unix_seconds` matches, within the drift window and
    /// after `last_used` (a code is accepted once); None when it matches none.
    pub fn verify(&self, code: &str, unix_seconds: i64, last_used: Option<i64>) -> Option<i64> {
        let code = code.trim();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let given: u32 = code.parse().ok()?;
        let now = unix_seconds.div_euclid(STEP_SECONDS);
        (now - DRIFT_STEPS..=now + DRIFT_STEPS)
            .filter(|step| last_used.is_none_or(|used| *step > used))
            .find(|step| self.code_at_step(*step) == given)
    }

    /// The enrolment link an authenticator app reads from the QR code.
    pub fn enrolment_uri(&self, issuer: &str, account: &str) -> String {
        format!(
            "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits=6&period={STEP_SECONDS}",
            issuer = uri_component(issuer),
            account = uri_component(account),
            secret = self.to_base32(),
        )
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn uri_component(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The RFC 6238 appendix B secret for SHA-1.
    fn rfc_secret() -> TotpSecret {
        TotpSecret(*b"12345678901234567890")
    }

    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        // Appendix B gives 8 digits; the last 6 are the 6-digit code.
        for (time, code) in [
            (59, 287_082),
            (1_111_111_109, 81_804),
            (1_234_567_890, 5_924),
            (2_000_000_000, 279_037),
        ] {
            assert_eq!(rfc_secret().code_at_step(time / STEP_SECONDS), code, "T = {time}");
        }
    }

    #[test]
    fn a_code_is_accepted_within_one_step_and_only_once() {
        let secret = rfc_secret();
        let code = format!("{:06}", secret.code_at_step(1_111_111_109 / 30));
        assert_eq!(code, "081804");
        let step = secret.verify(&code, 1_111_111_109, None).expect("accepted now");
        assert!(secret.verify(&code, 1_111_111_109 + 30, None).is_some(), "next step");
        assert!(
            secret.verify(&code, 1_111_111_109 + 90, None).is_none(),
            "three steps later"
        );
        assert!(secret.verify(&code, 1_111_111_109, Some(step)).is_none(), "replayed");
        assert!(secret.verify("81804", 1_111_111_109, None).is_none(), "five digits");
        assert!(secret.verify("08180x", 1_111_111_109, None).is_none());
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        let secret = rfc_secret();
        assert_eq!(secret.to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            TotpSecret::from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq"),
            Some(secret)
        );
        assert_eq!(TotpSecret::from_base32("GEZDGNBV"), None, "too short");
        assert_eq!(
            TotpSecret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1"),
            None,
            "1 is not base32"
        );
    }

    #[test]
    fn the_enrolment_link_names_issuer_and_account() {
        let uri = rfc_secret().enrolment_uri("kvalreg", "kari@ahus");
        assert!(
            uri.starts_with("otpauth://totp/kvalreg:kari%40ahus?secret=GEZDGNBV"),
            "{uri}"
        );
        assert!(
            uri.ends_with("&issuer=kvalreg&algorithm=SHA1&digits=6&period=30"),
            "{uri}"
        );
    }
}
