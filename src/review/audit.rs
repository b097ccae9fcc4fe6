//! Reading the audit: every change and every view, of one chart or all,
//! for `chartmill audit` and the station's audit page.

use crate::store::{AuditRecord, Store, StoreError};

/// Which audit rows to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum AuditKind {
    /// Changes, views and logins.
    #[default]
    All,
    /// Who saw a chart's values or images.
    Views,
    /// What was loaded, corrected, waived, approved, rejected.
    Changes,
    /// Logins, failed logins, logouts, user management.
    Access,
}

/// Actions that record access rather than a change of a chart.
const ACCESS: &[&str] = &[
    "login",
    "login_failed",
    "login_locked",
    "logout",
    "session_expired",
    "user_added",
    "user_disabled",
    "password_changed",
];

impl AuditKind {
    pub fn parse(s: Option<&str>) -> AuditKind {
        match s {
            Some("views") => AuditKind::Views,
            Some("changes") => AuditKind::Changes,
            Some("access") => AuditKind::Access,
            _ => AuditKind::All,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::All => "all",
            AuditKind::Views => "views",
            AuditKind::Changes => "changes",
            AuditKind::Access => "access",
        }
    }

    /// Whether an audit action is of this kind.
    pub fn holds(self, action: &str) -> bool {
        let view = action == "viewed" || action == "exported_worklist";
        let access = ACCESS.contains(&action);
        match self {
            AuditKind::All => true,
            AuditKind::Views => view,
            AuditKind::Access => access,
            AuditKind::Changes => !view && !access,
        }
    }
}

/// The audit rows of one chart (or all), of one kind, oldest first.
pub fn audit_rows(store: &Store, chart: Option<&str>, kind: AuditKind) -> Result<Vec<AuditRecord>, StoreError> {
    Ok(store.audit_log(chart)?.into_iter().filter(|r| kind.holds(&r.action)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_changes_and_access_are_told_apart() {
        assert!(AuditKind::Views.holds("viewed") && !AuditKind::Views.holds("set"));
        assert!(AuditKind::Changes.holds("approved") && !AuditKind::Changes.holds("viewed") && !AuditKind::Changes.holds("login"));
        assert!(AuditKind::Access.holds("login_failed"));
        assert!(AuditKind::All.holds("anything"));
    }
}
