//! Password hashing (argon2id, default parameters), password rules, and random secrets.
//!
//! Pure and synchronous: hashing is deliberately slow, so async callers run it on a blocking
//! thread. This module does not know about users or the database; see `store::users`.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::Rng;

/// Shortest password accepted from a person.
pub const MIN_PASSWORD_LEN: usize = 8;
/// Longest password accepted; caps the work an attacker can make the hasher do.
pub const MAX_PASSWORD_LEN: usize = 1024;
/// Length of passwords made by [`generate_password`].
pub const GENERATED_PASSWORD_LEN: usize = 16;

/// Letters and digits without look-alikes (0/O, 1/l/I), so a printed password can be typed.
const PASSWORD_ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("password is too short: at least {MIN_PASSWORD_LEN} characters are required")]
    TooShort,
    #[error("password is too long: at most {MAX_PASSWORD_LEN} characters are allowed")]
    TooLong,
    #[error("password must not contain control characters (such as a newline)")]
    ControlCharacter,
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// Checks a password chosen by a person against the length and character rules.
pub fn check_password_rules(password: &str) -> Result<(), PasswordError> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err(PasswordError::TooShort);
    }
    if len > MAX_PASSWORD_LEN {
        return Err(PasswordError::TooLong);
    }
    if password.chars().any(char::is_control) {
        return Err(PasswordError::ControlCharacter);
    }
    Ok(())
}

/// Hashes `password` with argon2id (default parameters) and a fresh random salt, giving a PHC
/// string (`$argon2id$v=19$...`) that carries its own parameters.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let salt_bytes: [u8; 16] = rand::rng().random();
    let salt =
        SaltString::encode_b64(&salt_bytes).map_err(|e| PasswordError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// True when `password` matches the PHC string `hash`. The comparison is constant-time; an
/// unparseable hash never matches.
pub fn verify_password(hash: &str, password: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(e) => {
            tracing::warn!(error = %e, "stored password hash cannot be parsed");
            false
        }
    }
}

/// A hash of a random password, verified against when the user does not exist so that an
/// unknown login costs as much time as a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&generate_password()).unwrap_or_default())
}

/// A random password of [`GENERATED_PASSWORD_LEN`] characters from an unambiguous alphabet
/// (about 93 bits of entropy).
pub fn generate_password() -> String {
    let mut rng = rand::rng();
    (0..GENERATED_PASSWORD_LEN)
        .map(|_| char::from(PASSWORD_ALPHABET[rng.random_range(0..PASSWORD_ALPHABET.len())]))
        .collect()
}

/// 256 random bits as 64 lowercase hex digits: session ids and CSRF tokens.
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A one-way digest of a random token (BLAKE2s-256, hex), stored instead of the token so a
/// copy of the database does not hand out live sessions. A fast hash is enough here: the
/// token is 256 random bits, not something a person chose.
pub fn token_digest(token: &str) -> String {
    use blake2::{Blake2s256, Digest};
    Blake2s256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_password_verifies() {
        let hash = hash_password("correct horse").expect("hash");
        assert!(verify_password(&hash, "correct horse"));
    }

    #[test]
    fn wrong_password_does_not_verify() {
        let hash = hash_password("correct horse").expect("hash");
        assert!(!verify_password(&hash, "correct horsf"));
    }

    #[test]
    fn hash_is_argon2id_phc_string_without_the_password() {
        let hash = hash_password("correct horse").expect("hash");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains("correct horse"));
    }

    #[test]
    fn same_password_hashes_differently_each_time() {
        let a = hash_password("correct horse").expect("hash");
        let b = hash_password("correct horse").expect("hash");
        assert_ne!(a, b);
    }

    #[test]
    fn garbage_hash_never_verifies() {
        assert!(!verify_password("not a phc string", "anything"));
        assert!(!verify_password("", ""));
    }

    #[test]
    fn decoy_hash_does_not_verify_empty_or_common_passwords() {
        assert!(decoy_hash().starts_with("$argon2id$"));
        assert!(!verify_password(decoy_hash(), ""));
        assert!(!verify_password(decoy_hash(), "password"));
    }

    #[test]
    fn short_password_is_rejected() {
        assert_eq!(
            check_password_rules("1234567"),
            Err(PasswordError::TooShort)
        );
        assert_eq!(check_password_rules("12345678"), Ok(()));
    }

    #[test]
    fn overlong_password_is_rejected() {
        let long = "x".repeat(MAX_PASSWORD_LEN + 1);
        assert_eq!(check_password_rules(&long), Err(PasswordError::TooLong));
    }

    #[test]
    fn password_with_newline_is_rejected() {
        assert_eq!(
            check_password_rules("abcdefgh\n"),
            Err(PasswordError::ControlCharacter)
        );
    }

    #[test]
    fn generated_password_follows_the_rules_and_alphabet() {
        let p = generate_password();
        assert_eq!(p.len(), GENERATED_PASSWORD_LEN);
        assert!(p.bytes().all(|b| PASSWORD_ALPHABET.contains(&b)), "{p}");
        assert_eq!(check_password_rules(&p), Ok(()));
    }

    #[test]
    fn generated_passwords_differ() {
        assert_ne!(generate_password(), generate_password());
    }

    #[test]
    fn token_digest_is_stable_and_differs_from_the_token() {
        let t = random_token();
        assert_eq!(token_digest(&t), token_digest(&t));
        assert_ne!(token_digest(&t), t);
        assert_eq!(token_digest(&t).len(), 64);
        assert_ne!(token_digest(&t), token_digest(&random_token()));
    }

    #[test]
    fn random_token_is_64_hex_digits_and_unique() {
        let t = random_token();
        assert_eq!(t.len(), 64);
        assert!(
            t.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_ne!(t, random_token());
    }
}
