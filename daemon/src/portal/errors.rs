//! Turning the daemon's errors into the portal's [`BackendError`]: plain words for what the
//! user can fix, `Internal` (logged by the portal, never shown) for everything else.

use ringside_portal::{BackendError, FieldError};

use crate::store::StoreError;
use crate::store::passwords::PasswordError;

/// The portal's view of a store failure. `password_field` names the input a password rule
/// applies to on the calling form (`password` when creating a user, `new_password` when
/// changing one).
pub fn from_store(err: StoreError, password_field: &str) -> BackendError {
    match err {
        StoreError::NotFound { .. } => BackendError::NotFound,
        StoreError::Conflict { what, key } => {
            let what = if what == "user" { "extension" } else { what };
            BackendError::Conflict(format!("{what} {key} already exists"))
        }
        StoreError::Invalid(field) => {
            BackendError::Validation(vec![FieldError::new(field_name(field.field), field.reason)])
        }
        StoreError::Password(PasswordError::Hash(detail)) => {
            BackendError::Internal(format!("password hashing failed: {detail}"))
        }
        StoreError::Password(rule) => {
            BackendError::Validation(vec![FieldError::new(password_field, rule.to_string())])
        }
        StoreError::InvalidCredentials => BackendError::WrongPassword,
        StoreError::Import(problem) => BackendError::Rejected(problem.to_string()),
        StoreError::InvalidCallHandling(invalid) => BackendError::Validation(
            invalid
                .problems
                .iter()
                .map(|p| FieldError::new(p.field(), p.to_string()))
                .collect(),
        ),
        other => BackendError::Internal(other.to_string()),
    }
}

/// The portal's name for a field the store names: an admin login is entered in the
/// `extension` input.
fn field_name(store_field: &str) -> &str {
    match store_field {
        "login" => "extension",
        other => other,
    }
}

/// Shorthand for store calls whose errors carry no password rule.
pub fn store(err: StoreError) -> BackendError {
    from_store(err, "password")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::FieldError as StoreFieldError;

    #[test]
    fn taken_extension_is_a_conflict_naming_it() {
        let err = store(StoreError::Conflict {
            what: "user",
            key: "201".into(),
        });
        assert_eq!(
            err,
            BackendError::Conflict("extension 201 already exists".into())
        );
    }

    #[test]
    fn invalid_email_is_a_validation_error_on_the_email_field() {
        let err = store(StoreError::Invalid(StoreFieldError {
            field: "email",
            value: "x".into(),
            reason: "must look like name@example.com",
        }));
        assert_eq!(
            err,
            BackendError::Validation(vec![FieldError::new(
                "email",
                "must look like name@example.com"
            )])
        );
    }

    #[test]
    fn invalid_admin_login_is_reported_on_the_extension_field() {
        let err = store(StoreError::Invalid(StoreFieldError {
            field: "login",
            value: "9x".into(),
            reason: "must start with a letter or be an extension",
        }));
        let BackendError::Validation(fields) = err else {
            panic!("expected a validation error");
        };
        assert_eq!(fields[0].field, "extension");
    }

    #[test]
    fn short_password_is_reported_on_the_given_field() {
        let err = from_store(
            StoreError::Password(PasswordError::TooShort),
            "new_password",
        );
        let BackendError::Validation(fields) = err else {
            panic!("expected a validation error");
        };
        assert_eq!(fields[0].field, "new_password");
        assert!(fields[0].message.contains("too short"), "{fields:?}");
    }

    #[test]
    fn database_failure_is_internal() {
        let err = store(StoreError::Corrupt("steps".into()));
        assert!(matches!(err, BackendError::Internal(_)), "{err:?}");
    }
}
