//! Password hashing (argon2id, default parameters), password rules, and random secrets.
//!
//! Pure and synchronous: hashing is deliberately slow, so async callers run it on a blocking
//! thread. Hashing reuses a small pool of argon2 working memory (one buffer per core) instead
//! of allocating 19 MiB per hash, so a burst of logins cannot grow the process beyond it.
//! This module does not know about users or the database; see `store::users`.

use std::sync::{Condvar, Mutex, OnceLock};

use argon2::password_hash::{self, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
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

/// Argon2 working memory (19 MiB per hash with the default parameters), kept and reused.
///
/// Allocating it per hash made the process grow under a burst of logins and keep what it
/// grew: the allocator rarely hands blocks this size back. The pool holds at most one
/// buffer per core; a hash waits for a free buffer instead of allocating another, so
/// password hashing never holds more than `limit` buffers however many requests arrive.
struct MemoryPool {
    limit: usize,
    state: Mutex<PoolState>,
    freed: Condvar,
}

#[derive(Default)]
struct PoolState {
    idle: Vec<Vec<Block>>,
    created: usize,
}

impl MemoryPool {
    fn new(limit: usize) -> MemoryPool {
        MemoryPool {
            limit: limit.max(1),
            state: Mutex::new(PoolState::default()),
            freed: Condvar::new(),
        }
    }

    /// Runs `work` with at least `blocks` blocks of memory, waiting for a buffer when all are
    /// in use.
    fn with_blocks<T>(&self, blocks: usize, work: impl FnOnce(&mut [Block]) -> T) -> T {
        let mut lent = Lent {
            pool: self,
            buffer: self.take(),
        };
        if lent.buffer.len() < blocks {
            // A stored hash with a larger memory cost than the default: grow this buffer
            // once; it stays in the pool at that size.
            lent.buffer.resize(blocks, Block::default());
        }
        work(&mut lent.buffer[..blocks])
    }

    fn take(&self) -> Vec<Block> {
        let mut state = self.lock();
        loop {
            if let Some(buffer) = state.idle.pop() {
                return buffer;
            }
            if state.created < self.limit {
                state.created += 1;
                return Vec::new();
            }
            state = self
                .freed
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    fn give_back(&self, buffer: Vec<Block>) {
        self.lock().idle.push(buffer);
        self.freed.notify_one();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PoolState> {
        // The state is a list of buffers and a count; a panic elsewhere cannot break it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    #[cfg(test)]
    fn created(&self) -> usize {
        self.lock().created
    }
}

/// A buffer taken from the pool; it goes back when dropped, even if the hash panicked.
struct Lent<'a> {
    pool: &'a MemoryPool,
    buffer: Vec<Block>,
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        self.pool.give_back(std::mem::take(&mut self.buffer));
    }
}

fn pool() -> &'static MemoryPool {
    static POOL: OnceLock<MemoryPool> = OnceLock::new();
    POOL.get_or_init(|| {
        MemoryPool::new(std::thread::available_parallelism().map_or(1, |n| n.get()))
    })
}

/// Hashes `password` with argon2id (default parameters) and a fresh random salt, giving a PHC
/// string (`$argon2id$v=19$...`) that carries its own parameters.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let hash_err = |e: &dyn std::fmt::Display| PasswordError::Hash(e.to_string());
    let salt_bytes: [u8; 16] = rand::rng().random();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| hash_err(&e))?;
    let params = Params::default();
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    pool()
        .with_blocks(params.block_count(), |blocks| {
            argon.hash_password_into_with_memory(password.as_bytes(), &salt_bytes, &mut out, blocks)
        })
        .map_err(|e| hash_err(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| hash_err(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| hash_err(&e))?),
    };
    Ok(phc.to_string())
}

/// True when `password` matches the PHC string `hash`. The comparison is constant-time; an
/// unparseable hash never matches.
pub fn verify_password(hash: &str, password: &str) -> bool {
    match verify_phc(hash, password) {
        Ok(matches) => matches,
        Err(e) => {
            tracing::warn!(error = %e, "stored password hash cannot be used");
            false
        }
    }
}

fn verify_phc(hash: &str, password: &str) -> Result<bool, password_hash::Error> {
    let parsed = PasswordHash::new(hash)?;
    let algorithm = Algorithm::try_from(parsed.algorithm)?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()?
        .unwrap_or_default();
    let params = Params::try_from(&parsed)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(password_hash::Error::PhcStringField);
    };
    let mut salt_buf = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_buf)?;
    let argon = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    pool().with_blocks(params.block_count(), |blocks| {
        argon.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, blocks)
    })?;
    Ok(Output::new(&out)? == expected)
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
    fn hash_made_by_the_stock_argon2_hasher_verifies() {
        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::encode_b64(b"0123456789abcdef").expect("salt");
        let stock = Argon2::default()
            .hash_password(b"correct horse", &salt)
            .expect("stock hash")
            .to_string();
        assert!(verify_password(&stock, "correct horse"));
        assert!(!verify_password(&stock, "correct horsf"));
    }

    #[test]
    fn hash_made_here_verifies_with_the_stock_argon2_verifier() {
        use argon2::password_hash::PasswordVerifier;
        let hash = hash_password("correct horse").expect("hash");
        let parsed = PasswordHash::new(&hash).expect("phc string");
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
    }

    #[test]
    fn hash_with_a_larger_memory_cost_than_the_default_verifies() {
        use argon2::password_hash::PasswordHasher;
        let params = Params::new(Params::DEFAULT_M_COST + 1024, 1, 1, None).expect("params");
        let salt = SaltString::encode_b64(b"0123456789abcdef").expect("salt");
        let hash = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"correct horse", &salt)
            .expect("hash")
            .to_string();
        assert!(verify_password(&hash, "correct horse"));
    }

    #[test]
    fn parallel_hashes_share_at_most_the_pools_buffers() {
        let pool = std::sync::Arc::new(MemoryPool::new(2));
        let workers: Vec<_> = (0..8)
            .map(|_| {
                let pool = pool.clone();
                std::thread::spawn(move || {
                    pool.with_blocks(64, |blocks| {
                        std::thread::sleep(std::time::Duration::from_millis(5));
                        blocks.len()
                    })
                })
            })
            .collect();
        for worker in workers {
            assert_eq!(worker.join().expect("worker"), 64);
        }
        assert!(pool.created() <= 2, "{} buffers made", pool.created());
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
