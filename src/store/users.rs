//! The verification station's users and login sessions.
//!
//! A user has a role and an argon2 password hash (hashed by the station,
//! never here); a session is the blake3 hash of its cookie token (the token
//! itself is never stored), its CSRF token and when it was last used. What
//! the store records here is only what was decided elsewhere: who may log
//! in, and for how long, is the station's business.

use super::{audit_in, now, AuditEntry, Result, Store};
use rusqlite::OptionalExtension;

/// What a person may do in the station.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reviews charts: corrects, confirms, waives, approves, rejects.
    Technician,
    /// Reads the queue, charts and page images; changes nothing.
    Viewer,
    /// Manages users and reads the audit; changes no record.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Technician => "technician",
            Role::Viewer => "viewer",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [Role::Technician, Role::Viewer, Role::Admin].into_iter().find(|r| r.as_str() == s)
    }
}

/// A user as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub created_at: String,
    pub created_by: String,
    pub disabled_at: Option<String>,
}

/// A live session with its user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub user: String,
    pub role: Role,
    pub csrf: String,
    pub created_at: String,
    pub last_seen: String,
}

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    let role: String = r.get(1)?;
    Ok(User {
        name: r.get(0)?,
        role: Role::parse(&role).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, "unknown role".into())
        })?,
        password_hash: r.get(2)?,
        created_at: r.get(3)?,
        created_by: r.get(4)?,
        disabled_at: r.get(5)?,
    })
}

impl Store {
    /// Add a user; `false` when the name is taken. Audited as `user_added`.
    pub fn add_user(&self, name: &str, role: Role, password_hash: &str, by: &str) -> Result<bool> {
        let err = self.err("add a user");
        let tx = self.conn.unchecked_transaction().map_err(&err)?;
        let added = tx
            .execute(
                "INSERT INTO users (name, role, password_hash, created_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (name) DO NOTHING",
                rusqlite::params![name, role.as_str(), password_hash, now(), by],
            )
            .map_err(&err)?
            == 1;
        if added {
            audit_in(
                &tx,
                &AuditEntry { operator: by, action: "user_added", field: Some(name), new_value: Some(role.as_str()), ..AuditEntry::default() },
            ).map_err(&err)?;
        }
        tx.commit().map_err(&err)?;
        Ok(added)
    }

    /// Change a user's password (and end their sessions); `false` when there is no such user.
    pub fn set_password(&self, name: &str, password_hash: &str, by: &str) -> Result<bool> {
        let err = self.err("change a password");
        let tx = self.conn.unchecked_transaction().map_err(&err)?;
        let changed = tx
            .execute("UPDATE users SET password_hash = ?2 WHERE name = ?1", rusqlite::params![name, password_hash])
            .map_err(&err)?
            == 1;
        if changed {
            tx.execute("DELETE FROM sessions WHERE user_name = ?1", [name]).map_err(&err)?;
            audit_in(&tx, &AuditEntry { operator: by, action: "password_changed", field: Some(name), ..AuditEntry::default() }).map_err(&err)?;
        }
        tx.commit().map_err(&err)?;
        Ok(changed)
    }

    /// Disable a user (kept, for the audit's sake) and end their sessions.
    pub fn disable_user(&self, name: &str, by: &str) -> Result<bool> {
        let err = self.err("disable a user");
        let tx = self.conn.unchecked_transaction().map_err(&err)?;
        let changed = tx
            .execute("UPDATE users SET disabled_at = ?2 WHERE name = ?1 AND disabled_at IS NULL", rusqlite::params![name, now()])
            .map_err(&err)?
            == 1;
        if changed {
            tx.execute("DELETE FROM sessions WHERE user_name = ?1", [name]).map_err(&err)?;
            audit_in(&tx, &AuditEntry { operator: by, action: "user_disabled", field: Some(name), ..AuditEntry::default() }).map_err(&err)?;
        }
        tx.commit().map_err(&err)?;
        Ok(changed)
    }

    pub fn user(&self, name: &str) -> Result<Option<User>> {
        let err = self.err("read a user");
        self.conn
            .query_row(
                "SELECT name, role, password_hash, created_at, created_by, disabled_at FROM users WHERE name = ?1",
                [name],
                user_row,
            )
            .optional()
            .map_err(&err)
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<User>> {
        let err = self.err("read the users");
        let mut st = self
            .conn
            .prepare_cached("SELECT name, role, password_hash, created_at, created_by, disabled_at FROM users ORDER BY name")
            .map_err(&err)?;
        let rows = st.query_map([], user_row).map_err(&err)?;
        rows.collect::<rusqlite::Result<_>>().map_err(&err)
    }

    /// Record a new session under the hash of its token.
    pub fn create_session(&self, token_hash: &str, user: &str, csrf: &str) -> Result<()> {
        let at = now();
        self.conn
            .execute(
                "INSERT INTO sessions (token_hash, user_name, csrf, created_at, last_seen) VALUES (?1, ?2, ?3, ?4, ?4)",
                rusqlite::params![token_hash, user, csrf, at],
            )
            .map_err(self.err("create a session"))?;
        Ok(())
    }

    /// The session of a token hash, with its user, if the user is enabled.
    pub fn session(&self, token_hash: &str) -> Result<Option<Session>> {
        let err = self.err("read a session");
        self.conn
            .query_row(
                "SELECT s.user_name, u.role, s.csrf, s.created_at, s.last_seen
                 FROM sessions s JOIN users u ON u.name = s.user_name
                 WHERE s.token_hash = ?1 AND u.disabled_at IS NULL",
                [token_hash],
                |r| {
                    let role: String = r.get(1)?;
                    Ok(Session {
                        user: r.get(0)?,
                        role: Role::parse(&role).unwrap_or(Role::Viewer),
                        csrf: r.get(2)?,
                        created_at: r.get(3)?,
                        last_seen: r.get(4)?,
                    })
                },
            )
            .optional()
            .map_err(&err)
    }

    /// Mark a session used now.
    pub fn touch_session(&self, token_hash: &str) -> Result<()> {
        self.conn
            .execute("UPDATE sessions SET last_seen = ?2 WHERE token_hash = ?1", rusqlite::params![token_hash, now()])
            .map_err(self.err("touch a session"))?;
        Ok(())
    }

    pub fn end_session(&self, token_hash: &str) -> Result<()> {
        self.conn.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash]).map_err(self.err("end a session"))?;
        Ok(())
    }

    /// Remove every session last used before `before` (RFC 3339).
    pub fn end_idle_sessions(&self, before: &str) -> Result<usize> {
        self.conn.execute("DELETE FROM sessions WHERE last_seen < ?1", [before]).map_err(self.err("end idle sessions"))
    }

    /// How many `login_failed` audit rows name this user since `since` (RFC 3339).
    pub fn failed_logins_since(&self, name: &str, since: &str) -> Result<u32> {
        self.conn
            .query_row(
                "SELECT count(*) FROM audit WHERE action = 'login_failed' AND operator = ?1 AND at >= ?2",
                rusqlite::params![name, since],
                |r| r.get(0),
            )
            .map_err(self.err("count failed logins"))
    }
}
