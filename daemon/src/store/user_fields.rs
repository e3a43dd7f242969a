//! Rules for the fields of a user record: extension, admin login name, display name, email,
//! time zone.
//!
//! Pure checks with errors that name the field and the bad value; the repository functions in
//! `users.rs` call them before touching the database, and the CLI and portal show their text.

/// A field value that breaks its rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field} {value:?}: {reason}")]
pub struct FieldError {
    pub field: &'static str,
    pub value: String,
    pub reason: &'static str,
}

fn bad(field: &'static str, value: &str, reason: &'static str) -> FieldError {
    // Cap what is echoed back so a huge bad value does not flood a log or a page.
    let value: String = value.chars().take(64).collect();
    FieldError {
        field,
        value,
        reason,
    }
}

pub const EXTENSION_MIN: usize = 2;
pub const EXTENSION_MAX: usize = 15;
pub const DISPLAY_NAME_MAX: usize = 100;
pub const EMAIL_MAX: usize = 254;
pub const LOGIN_MAX: usize = 32;

/// An extension is 2–15 digits (leading zeros are part of it).
pub fn check_extension(extension: &str) -> Result<(), FieldError> {
    if extension.is_empty() || !extension.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("extension", extension, "must be digits only"));
    }
    if !(EXTENSION_MIN..=EXTENSION_MAX).contains(&extension.len()) {
        return Err(bad("extension", extension, "must be 2 to 15 digits long"));
    }
    Ok(())
}

/// An admin's login: an extension, or a name of letters, digits, `.`, `_`, `-` starting with a
/// letter (at most 32 characters), so it can never be mistaken for a dial string.
pub fn check_login(login: &str) -> Result<(), FieldError> {
    if login.bytes().all(|b| b.is_ascii_digit()) && !login.is_empty() {
        return check_extension(login);
    }
    if !login.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(bad(
            "login",
            login,
            "must start with a letter or be an extension",
        ));
    }
    if login.len() > LOGIN_MAX {
        return Err(bad("login", login, "must be at most 32 characters long"));
    }
    if !login
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(bad(
            "login",
            login,
            "may contain only letters, digits, '.', '_' and '-'",
        ));
    }
    Ok(())
}

/// A display name is 1–100 characters, not only blanks, with no control characters.
pub fn check_display_name(name: &str) -> Result<(), FieldError> {
    if name.trim().is_empty() {
        return Err(bad("name", name, "must not be empty"));
    }
    if name.chars().count() > DISPLAY_NAME_MAX {
        return Err(bad("name", name, "must be at most 100 characters long"));
    }
    if name.chars().any(char::is_control) {
        return Err(bad("name", name, "must not contain control characters"));
    }
    Ok(())
}

/// An email is empty (none) or `local@domain` with a dot in the domain and no blanks.
pub fn check_email(email: &str) -> Result<(), FieldError> {
    if email.is_empty() {
        return Ok(());
    }
    if email.len() > EMAIL_MAX {
        return Err(bad("email", email, "must be at most 254 characters long"));
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("email", email, "must not contain blanks"));
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(bad("email", email, "must look like name@example.com"));
    };
    let domain_ok = domain.contains('.')
        && !domain.contains('@')
        && !domain.starts_with('.')
        && !domain.ends_with('.');
    if local.is_empty() || !domain_ok {
        return Err(bad("email", email, "must look like name@example.com"));
    }
    Ok(())
}

/// The extension after the highest one in use, as wide as it (`0199` → `0200`), for the
/// administrator creating a user. Logins that are not extensions are ignored; `None` when no
/// extension is in use or the highest has no successor of its width (`999`).
pub fn next_extension<'a>(existing: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let highest = existing
        .into_iter()
        .filter(|e| check_extension(e).is_ok())
        .max_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)))?;
    let next = highest.parse::<u64>().ok()?.checked_add(1)?;
    let text = format!("{next:0width$}", width = highest.len());
    (text.len() == highest.len()).then_some(text)
}

/// A user's time zone: empty (follow the portal's default) or an IANA name, returned in its
/// canonical spelling (`europe/berlin` → `Europe/Berlin`).
pub fn check_time_zone(zone: &str) -> Result<String, FieldError> {
    let zone = zone.trim();
    if zone.is_empty() {
        return Ok(String::new());
    }
    crate::schedule::zone::Zone::parse(zone)
        .map(|z| z.name().to_owned())
        .map_err(|_| {
            bad(
                "time_zone",
                zone,
                "is not a time zone name such as Europe/Berlin",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_extension_follows_the_highest_and_keeps_its_width() {
        assert_eq!(
            next_extension(["201", "1001", "999", "admin"]),
            Some("1002".into())
        );
        assert_eq!(next_extension(["0199"]), Some("0200".into()));
    }

    #[test]
    fn no_extension_is_suggested_without_one_to_follow() {
        assert_eq!(next_extension(["admin"]), None);
        assert_eq!(next_extension(["99"]), None);
    }

    #[test]
    fn time_zone_is_kept_in_its_canonical_spelling() {
        assert_eq!(
            check_time_zone(" europe/berlin "),
            Ok("Europe/Berlin".into())
        );
        assert_eq!(check_time_zone(""), Ok(String::new()));
    }

    #[test]
    fn unknown_time_zone_is_rejected_on_the_time_zone_field() {
        let err = check_time_zone("Mars/Olympus").expect_err("unknown zone");
        assert_eq!(err.field, "time_zone");
        assert!(err.to_string().contains("Mars/Olympus"), "{err}");
    }

    #[test]
    fn extension_of_digits_with_leading_zero_is_accepted() {
        assert_eq!(check_extension("0101"), Ok(()));
        assert_eq!(check_extension("12"), Ok(()));
        assert_eq!(check_extension("123456789012345"), Ok(()));
    }

    #[test]
    fn extension_with_a_letter_is_rejected_naming_it() {
        let err = check_extension("10a1").expect_err("letter");
        assert_eq!(err.field, "extension");
        assert!(err.to_string().contains("\"10a1\""), "{err}");
    }

    #[test]
    fn extension_of_wrong_length_is_rejected() {
        assert!(check_extension("1").is_err());
        assert!(check_extension("1234567890123456").is_err());
        assert!(check_extension("").is_err());
    }

    #[test]
    fn admin_login_may_be_a_name_or_an_extension() {
        assert_eq!(check_login("alice.admin"), Ok(()));
        assert_eq!(check_login("1001"), Ok(()));
        assert!(check_login("1").is_err());
    }

    #[test]
    fn admin_login_with_blank_or_leading_symbol_is_rejected() {
        assert!(check_login("bob smith").is_err());
        assert!(check_login("-bob").is_err());
        assert!(check_login("").is_err());
        assert!(check_login(&"a".repeat(33)).is_err());
    }

    #[test]
    fn blank_display_name_is_rejected() {
        assert_eq!(check_display_name("  ").map_err(|e| e.field), Err("name"));
    }

    #[test]
    fn display_name_with_newline_is_rejected() {
        assert!(check_display_name("Alice\nEvil").is_err());
        assert_eq!(check_display_name("Zoë O'Brien, Sales"), Ok(()));
    }

    #[test]
    fn empty_email_means_none_and_is_accepted() {
        assert_eq!(check_email(""), Ok(()));
    }

    #[test]
    fn malformed_emails_are_rejected() {
        for e in [
            "alice",
            "alice@",
            "@example.com",
            "a@b",
            "a b@example.com",
            "a@@b.com",
        ] {
            assert!(check_email(e).is_err(), "{e} accepted");
        }
        assert_eq!(check_email("alice@example.com"), Ok(()));
    }

    #[test]
    fn error_echo_is_capped() {
        let err = check_extension(&"x".repeat(10_000)).expect_err("bad");
        assert_eq!(err.value.len(), 64);
    }
}
