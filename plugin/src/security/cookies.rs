//! Reading the `Cookie` header and building `Set-Cookie` values for the portal's cookies.

use axum::http::{HeaderMap, HeaderValue, header};

/// The session cookie (HttpOnly, SameSite=Lax).
pub const SESSION_COOKIE: &str = "ringside_session";
/// Double-submit token protecting the login form before a session exists.
pub const LOGIN_CSRF_COOKIE: &str = "ringside_login_csrf";

/// The value of cookie `name`, if the request carries it.
pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value; `max_age_secs: 0` deletes the cookie.
pub fn set_cookie(name: &str, value: &str, max_age_secs: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text =
        format!("{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}");
    // Names are constants and values are hex tokens, so the header is always valid ASCII.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_value_finds_a_cookie_among_several() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; ringside_session=abc; b=2"),
        );
        assert_eq!(cookie_value(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie_value(&headers, "missing"), None);
    }

    #[test]
    fn set_cookie_is_http_only_lax_and_secure_only_when_asked() {
        let plain = set_cookie("n", "v", 60, false);
        let plain = plain.to_str().expect("ascii");
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Lax"));
        assert!(!plain.contains("Secure"));
        let secure = set_cookie("n", "v", 60, true);
        assert!(secure.to_str().expect("ascii").ends_with("; Secure"));
    }
}
