//! Who is at the station: passwords, sessions, CSRF tokens and roles.
//!
//! - Passwords are stored as argon2id hashes (the `argon2` crate's
//!   defaults, a random salt each); a password shorter than
//!   [`MIN_PASSWORD`] characters is refused.
//! - A login creates a session: a random 256-bit token goes to the browser
//!   in an HttpOnly, SameSite=Strict cookie (Secure over TLS); the store
//!   keeps only its blake3 hash, with a second random token for CSRF that
//!   every form carries.
//! - A session unused for the idle timeout is ended at its next use.
//! - After [`MAX_FAILURES`] failed logins of one name within
//!   [`LOCK_MINUTES`], that name cannot log in until the window has passed,
//!   even with the right password; every failure and lock-out is audited.

use crate::store::{AuditEntry, Role, Session, Store, StoreError};
use argon2::password_hash::{rand_core::OsRng, rand_core::RngCore, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::time::Duration;

pub const MIN_PASSWORD: usize = 10;
pub const MAX_FAILURES: u32 = 5;
pub const LOCK_MINUTES: i64 = 15;
/// The session cookie's name.
pub const COOKIE: &str = "chartmill_session";

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("a password needs at least {MIN_PASSWORD} characters")]
    ShortPassword,
    #[error("a user name is 1 to 64 letters, digits, '.', '-' or '_'")]
    BadName,
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A user name as the station accepts it (it is written to the audit).
pub fn check_name(name: &str) -> Result<&str, AuthError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(name)
    } else {
        Err(AuthError::BadName)
    }
}

pub fn hash_password(password: &str) -> Result<String, AuthError> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(AuthError::ShortPassword);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| AuthError::Hash(e.to_string()))
}

fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// 32 random bytes, hex.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the store keeps of a session token.
pub fn token_hash(token: &str) -> String {
    blake3::hash(token.as_bytes()).to_hex().to_string()
}

/// Equal, in time independent of where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The result of a login attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Login {
    /// The cookie token of the new session.
    Ok { token: String, role: Role },
    /// Wrong name or password (which, is not said).
    Refused,
    /// Too many failures of this name lately.
    Locked,
}

/// A hash to verify against when the name is unknown, so that an unknown
/// name costs the same time as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a password of anyone").unwrap_or_default())
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Check a name and password and open a session; every outcome audited.
pub fn login(store: &Store, name: &str, password: &str) -> Result<Login, AuthError> {
    // What is written to the audit as the operator: the name as typed,
    // kept to what a name can be.
    let shown: String = name.chars().filter(|c| !c.is_control()).take(64).collect();
    let since = rfc3339(chrono::Utc::now() - chrono::Duration::minutes(LOCK_MINUTES));
    if store.failed_logins_since(&shown, &since)? >= MAX_FAILURES {
        store.audit(&AuditEntry { operator: &shown, action: "login_locked", reason: Some("too many failed logins"), ..AuditEntry::default() })?;
        return Ok(Login::Locked);
    }
    let user = store.user(name)?.filter(|u| u.disabled_at.is_none());
    let hash = user.as_ref().map_or(dummy_hash(), |u| u.password_hash.as_str());
    let good = verify_password(hash, password);
    match user {
        Some(u) if good => {
            let token = random_token();
            store.create_session(&token_hash(&token), &u.name, &random_token())?;
            store.audit(&AuditEntry { operator: &u.name, action: "login", ..AuditEntry::default() })?;
            Ok(Login::Ok { token, role: u.role })
        }
        _ => {
            store.audit(&AuditEntry { operator: &shown, action: "login_failed", ..AuditEntry::default() })?;
            Ok(Login::Refused)
        }
    }
}

/// The live session of a cookie token, touched; `None` when there is none
/// or it has been idle longer than `idle` (it is then ended).
pub fn session(store: &Store, token: &str, idle: Duration) -> Result<Option<Session>, StoreError> {
    let hash = token_hash(token);
    let Some(s) = store.session(&hash)? else { return Ok(None) };
    let last = chrono::DateTime::parse_from_rfc3339(&s.last_seen).map(|t| t.with_timezone(&chrono::Utc));
    let idle = chrono::Duration::from_std(idle).unwrap_or(chrono::Duration::minutes(15));
    let fresh = last.is_ok_and(|t| chrono::Utc::now().signed_duration_since(t) < idle);
    if !fresh {
        store.end_session(&hash)?;
        store.audit(&AuditEntry { operator: &s.user, action: "session_expired", ..AuditEntry::default() })?;
        return Ok(None);
    }
    store.touch_session(&hash)?;
    Ok(Some(s))
}

pub fn logout(store: &Store, token: &str, user: &str) -> Result<(), StoreError> {
    store.end_session(&token_hash(token))?;
    store.audit(&AuditEntry { operator: user, action: "logout", ..AuditEntry::default() })?;
    Ok(())
}

/// The `Set-Cookie` value of a new session.
pub fn session_cookie(token: &str, secure: bool) -> String {
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{}", if secure { "; Secure" } else { "" })
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn cleared_cookie(secure: bool) -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}", if secure { "; Secure" } else { "" })
}

/// The session token in a `Cookie` header, if any.
pub fn token_from_cookies(header: &str) -> Option<&str> {
    header.split(';').map(str::trim).find_map(|kv| kv.strip_prefix(COOKIE)?.strip_prefix('=')).filter(|t| !t.is_empty())
}

/// May this role change records?
pub fn changes_records(role: Role) -> bool {
    role == Role::Technician
}

/// May this role manage users and read the whole audit?
pub fn manages(role: Role) -> bool {
    role == Role::Admin
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_hash_verifies_only_its_password() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "correct horse battery"));
        assert!(!verify_password(&h, "correct horse batterz"));
        assert!(matches!(hash_password("short"), Err(AuthError::ShortPassword)));
    }

    #[test]
    fn the_session_token_is_read_from_the_cookie_header() {
        assert_eq!(token_from_cookies("a=1; chartmill_session=abc; b=2"), Some("abc"));
        assert_eq!(token_from_cookies("chartmill_session="), None);
        assert_eq!(token_from_cookies("chartmill_sessionx=abc"), None);
        assert!(session_cookie("t", true).contains("HttpOnly; SameSite=Strict; Secure"));
        assert!(!session_cookie("t", false).contains("Secure"));
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("m.lopez").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("a b").is_err());
        assert!(same_token("abc", "abc") && !same_token("abc", "abd") && !same_token("abc", "ab"));
    }
}
