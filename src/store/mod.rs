//! The chart database: the only code that opens it.
//!
//! A chartmill database is one SQLite file (WAL mode, foreign keys on, a busy
//! timeout, schema version in `PRAGMA user_version`, `PRAGMA application_id`
//! "CHML"). [`Store::open`] creates it readable by its owner only and brings
//! its schema up to date; [`Store::lock_for_run`] makes sure only one
//! `chartmill run` writes to it at a time.
//!
//! # What is stored
//!
//! - `batches`: one row per run — archive, pipeline version, operator, start,
//!   end and counts. A batch without `finished_at` was killed.
//! - `charts`: one row per chart id with its status (`accepted`, `review`,
//!   `failed`, `rejected`), the fingerprint of its source files and the
//!   pipeline version that read it; `sources`, `pages` and `chart_errors`
//!   for every chart, whatever its status.
//! - The **validated tables**: `charts.document` and `chart_values` (every
//!   value with its provenance) of accepted charts, and the typed views
//!   `v_patients`, `v_allergies`, `v_encounters`, `v_diagnoses`,
//!   `v_medications`, `v_immunizations` over them.
//! - The **review queue**: `review_queue` (with the staged document),
//!   `review_values` (staged values) and `flags` of charts in review.
//! - `audit`: append-only; who did what to which chart, when and why.
//!
//! # Invariants
//!
//! - Review values never reach `chart_values` and an accepted chart is never
//!   queued or flagged open: the loader keeps to it and triggers in the
//!   database refuse anything else (see [`schema::SCHEMA_V1`]).
//! - One chart is loaded in one transaction: a crash leaves the previous
//!   version of the chart or the new one, never half of either.
//! - A chart whose source files (names and content hashes, see
//!   [`fingerprint`]) and pipeline version are unchanged is never loaded
//!   again; a changed chart replaces its previous rows and the audit says so.
//! - The audit cannot be changed or deleted (triggers `RAISE(ABORT)`).
//! - Every SQL statement is a constant; values are always parameters.
//! - Error messages name the database file, the chart id and the operation,
//!   never a patient value.
//!
//! # Changing a chart's status (for the review station)
//!
//! The triggers fix the order: to accept a chart in review, resolve its flags
//! (`resolved_at`), close its queue entry (`state` 'approved'), then set
//! `charts.status` = 'accepted' together with `charts.document`, then copy
//! the values into `chart_values`. A chart leaves 'accepted' only after its
//! `chart_values` rows are removed.
//!
//! The schema for people is `docs/schema.md`, included below.
#![doc = include_str!("../../docs/schema.md")]

mod export;
mod load;
mod query;
mod reconcile;
mod review;
pub mod schema;
mod users;
#[cfg(test)]
mod tests;

pub use export::{create_private, csv_safe, CSV_HEADER, EXPORT_KEYS};
pub use load::{fingerprint, ChartState, LoadOutcome};
pub use query::{AuditRecord, BatchRecord, ChartRow, KnownPatient, StagedValue, StoredFlag, StoredValue, Verified};
pub use reconcile::{ReconcileSnapshot, StoredPage, StoredSource, UnreadableFlag};
pub use users::{Role, Session, User};
pub use review::{Hold, HoldKind, OpenFlag, QueueEntry, QueuedChart, ReviewState, ReviewTx};

use crate::model::{ChartResult, ChartStatus, FlagCode, PageStatus};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a statement waits for another connection's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Everything that can go wrong with the database. Messages name the file,
/// the chart id and the operation — never a patient value.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("database {}: {op}", path.display())]
    Sqlite {
        path: PathBuf,
        op: &'static str,
        #[source]
        source: Box<rusqlite::Error>,
    },
    #[error("database {}: chart {chart_id}: {op}", path.display())]
    Chart {
        path: PathBuf,
        chart_id: String,
        op: &'static str,
        #[source]
        source: Box<rusqlite::Error>,
    },
    #[error("database {}: chart {chart_id}: the stored {what} is not valid", path.display())]
    Corrupt { path: PathBuf, chart_id: String, what: &'static str },
    #[error("database {}: no batch {id}", path.display())]
    UnknownBatch { path: PathBuf, id: i64 },
    #[error("{} is not a chartmill database", path.display())]
    Foreign { path: PathBuf },
    #[error(
        "database {} has schema version {found}, newer than this chartmill knows ({supported}); use a newer chartmill",
        path.display()
    )]
    NewerSchema { path: PathBuf, found: i64, supported: i64 },
    #[error("database {} cannot be put in WAL mode (journal mode is {mode})", path.display())]
    NoWal { path: PathBuf, mode: String },
    #[error(
        "database {} is in use by another chartmill run{} (lock file {}); wait for it to finish",
        path.display(),
        holder.map(|p| format!(" (process {p})")).unwrap_or_default(),
        lock.display()
    )]
    Locked { path: PathBuf, lock: PathBuf, holder: Option<u32> },
    #[error("cannot lock database {} (lock file {})", path.display(), lock.display())]
    Lock {
        path: PathBuf,
        lock: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot write the export")]
    Write {
        #[source]
        source: io::Error,
    },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An open chartmill database. Not `Sync`: one thread loads; parallel stages
/// hand their `ChartResult`s to it.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish_non_exhaustive()
    }
}

/// The run lock of a database: held while a `chartmill run` writes to it,
/// released when dropped (or when the process dies — it is an advisory
/// `flock` on `PATH.lock`, which is left in place).
#[derive(Debug)]
pub struct RunLock {
    _file: File,
    path: PathBuf,
}

impl RunLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// What a batch is: recorded in `batches` when it begins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchInfo {
    /// The archive folder as the operator gave it.
    pub archive: String,
    /// `name@version` of the pipeline, see `Pipeline::id`.
    pub pipeline_id: String,
    /// `--operator` or the OS user.
    pub operator: String,
    pub started_at: chrono::DateTime<chrono::Utc>,
}

impl BatchInfo {
    /// A batch starting now.
    pub fn new(archive: impl Into<String>, pipeline_id: impl Into<String>, operator: impl Into<String>) -> BatchInfo {
        BatchInfo {
            archive: archive.into(),
            pipeline_id: pipeline_id.into(),
            operator: operator.into(),
            started_at: chrono::Utc::now(),
        }
    }
}

/// What a batch did, recorded when it finishes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchCounts {
    /// Charts discovered in the archive.
    pub charts_seen: u64,
    /// Charts read and loaded in this batch.
    pub charts_processed: u64,
    /// Charts skipped because their fingerprint was unchanged.
    pub charts_skipped: u64,
    pub accepted: u64,
    pub review: u64,
    pub failed: u64,
    /// Pages of the processed charts.
    pub pages: u64,
    pub blank_pages: u64,
    /// Processed charts carrying each flag code (a chart counts once per code).
    pub flags: BTreeMap<FlagCode, u64>,
}

impl BatchCounts {
    /// Count one processed chart: its status, pages and flag codes.
    pub fn count_chart(&mut self, chart: &ChartResult) {
        self.charts_processed += 1;
        match chart.status() {
            ChartStatus::Accepted => self.accepted += 1,
            ChartStatus::Review => self.review += 1,
            ChartStatus::Failed | ChartStatus::Rejected => self.failed += 1,
        }
        self.pages += chart.pages.len() as u64;
        self.blank_pages += chart.pages.iter().filter(|p| p.status == PageStatus::Blank).count() as u64;
        let codes: std::collections::BTreeSet<FlagCode> = chart.flags.iter().map(|f| f.code).collect();
        for code in codes {
            *self.flags.entry(code).or_default() += 1;
        }
    }
}

/// One entry to append to the audit. `at` is set by the store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditEntry<'a> {
    pub operator: &'a str,
    /// What was done, e.g. `loaded`, `queued`, `reprocessed`, `set`, `approved`.
    pub action: &'a str,
    pub chart_id: Option<&'a str>,
    pub field: Option<&'a str>,
    pub old_value: Option<&'a str>,
    pub new_value: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub batch_id: Option<i64>,
}

/// Current time as stored: RFC 3339, UTC, milliseconds (sorts as text).
pub(crate) fn now() -> String {
    timestamp(chrono::Utc::now())
}

fn timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = OsString::from(path.as_os_str());
    s.push(suffix);
    PathBuf::from(s)
}

fn chmod_private(path: &Path) -> io::Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

impl Store {
    /// Open (or create) the database at `path`: a new file is created with
    /// mode 0600 before SQLite touches it; WAL mode, foreign keys and a busy
    /// timeout are switched on and the schema is created or migrated.
    pub fn open(path: &Path) -> Result<Store> {
        let open_err = |source| StoreError::Open { path: path.to_path_buf(), source };
        match OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(open_err(e)),
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Sqlite {
            path: path.to_path_buf(),
            op: "open",
            source: Box::new(source),
        })?;
        let store = Store { conn, path: path.to_path_buf() };
        store.configure()?;
        store.migrate()?;
        for suffix in ["-wal", "-shm"] {
            let side = with_suffix(path, suffix);
            if side.exists() {
                chmod_private(&side).map_err(open_err)?;
            }
        }
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn err(&self, op: &'static str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::Sqlite { path: self.path.clone(), op, source: Box::new(source) }
    }

    pub(crate) fn chart_err<'a>(
        &'a self,
        chart_id: &'a str,
        op: &'static str,
    ) -> impl Fn(rusqlite::Error) -> StoreError + 'a {
        move |source| StoreError::Chart {
            path: self.path.clone(),
            chart_id: chart_id.to_string(),
            op,
            source: Box::new(source),
        }
    }

    fn configure(&self) -> Result<()> {
        let err = self.err("configure the connection");
        self.conn.busy_timeout(BUSY_TIMEOUT).map_err(&err)?;
        let mode: String =
            self.conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0)).map_err(&err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::NoWal { path: self.path.clone(), mode });
        }
        self.conn.pragma_update(None, "foreign_keys", true).map_err(&err)?;
        self.conn.pragma_update(None, "synchronous", "FULL").map_err(&err)?;
        Ok(())
    }

    /// Create or upgrade the schema. The version is read again inside an
    /// IMMEDIATE transaction, so two processes opening a new file at once do
    /// not both create it.
    fn migrate(&self) -> Result<()> {
        let err = self.err("migrate the schema");
        let versions = |conn: &Connection| -> rusqlite::Result<(i32, i64, bool)> {
            let app: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
            let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
            let has_tables: bool =
                conn.query_row("SELECT EXISTS (SELECT 1 FROM sqlite_master)", [], |r| r.get(0))?;
            Ok((app, version, has_tables))
        };
        let check = |(app, version, has_tables): (i32, i64, bool)| -> Result<bool> {
            if app != schema::APPLICATION_ID && (app != 0 || version != 0 || has_tables) {
                return Err(StoreError::Foreign { path: self.path.clone() });
            }
            if version > schema::SCHEMA_VERSION {
                return Err(StoreError::NewerSchema {
                    path: self.path.clone(),
                    found: version,
                    supported: schema::SCHEMA_VERSION,
                });
            }
            Ok(version < schema::SCHEMA_VERSION)
        };
        if !check(versions(&self.conn).map_err(&err)?)? {
            return Ok(());
        }
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate).map_err(&err)?;
        let found = versions(&tx).map_err(&err)?;
        if check(found)? {
            for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(found.1 as usize) {
                tx.execute_batch(sql).map_err(&err)?;
                tx.pragma_update(None, "user_version", i as i64 + 1).map_err(&err)?;
            }
            tx.pragma_update(None, "application_id", schema::APPLICATION_ID).map_err(&err)?;
        }
        tx.commit().map_err(&err)
    }

    /// Take the run lock: an exclusive advisory lock on `PATH.lock`, held
    /// until the returned guard is dropped. A second run on the same database
    /// gets [`StoreError::Locked`] at once instead of waiting.
    pub fn lock_for_run(&self) -> Result<RunLock> {
        let lock = with_suffix(&self.path, ".lock");
        let lock_err = |source| StoreError::Lock { path: self.path.clone(), lock: lock.clone(), source };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&lock)
            .map_err(lock_err)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut text = String::new();
                let holder = file.read_to_string(&mut text).ok().and_then(|_| text.trim().parse().ok());
                return Err(StoreError::Locked { path: self.path.clone(), lock, holder });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(lock_err(e)),
        }
        // Record who holds it, for the message another run prints.
        file.set_len(0)
            .and_then(|_| file.rewind())
            .and_then(|_| writeln!(file, "{}", std::process::id()))
            .map_err(lock_err)?;
        Ok(RunLock { _file: file, path: lock })
    }

    /// Record the start of a batch; returns its id.
    pub fn begin_batch(&self, info: &BatchInfo) -> Result<i64> {
        self.conn
            .execute(
                "INSERT INTO batches (archive, pipeline_id, operator, started_at) VALUES (?1, ?2, ?3, ?4)",
                (&info.archive, &info.pipeline_id, &info.operator, timestamp(info.started_at)),
            )
            .map_err(self.err("begin a batch"))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Record the end of a batch with its counts; `interrupted` when it was
    /// stopped (Ctrl-C) before every chart was done.
    pub fn finish_batch(&self, id: i64, counts: &BatchCounts, interrupted: bool) -> Result<()> {
        let flags = serde_json::to_string(&counts.flags).expect("flag counts serialize");
        let n = self
            .conn
            .execute(
                "UPDATE batches SET finished_at = ?2, interrupted = ?3, charts_seen = ?4, charts_processed = ?5,
                        charts_skipped = ?6, charts_accepted = ?7, charts_review = ?8, charts_failed = ?9,
                        pages = ?10, blank_pages = ?11, flag_counts = ?12
                 WHERE id = ?1",
                rusqlite::params![
                    id,
                    now(),
                    interrupted,
                    counts.charts_seen,
                    counts.charts_processed,
                    counts.charts_skipped,
                    counts.accepted,
                    counts.review,
                    counts.failed,
                    counts.pages,
                    counts.blank_pages,
                    flags
                ],
            )
            .map_err(self.err("finish a batch"))?;
        if n == 0 {
            return Err(StoreError::UnknownBatch { path: self.path.clone(), id });
        }
        Ok(())
    }

    /// Append one entry to the audit; returns its id.
    pub fn audit(&self, entry: &AuditEntry<'_>) -> Result<i64> {
        audit_in(&self.conn, entry).map_err(|source| match entry.chart_id {
            Some(chart_id) => self.chart_err(chart_id, "append to the audit")(source),
            None => self.err("append to the audit")(source),
        })
    }

    /// The operator of a batch, `None` if there is no such batch.
    fn batch_operator(conn: &Connection, id: i64) -> rusqlite::Result<Option<String>> {
        conn.query_row("SELECT operator FROM batches WHERE id = ?1", [id], |r| r.get(0)).optional()
    }
}

/// Append to the audit on any connection or transaction.
fn audit_in(conn: &Connection, e: &AuditEntry<'_>) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO audit (at, operator, action, chart_id, field, old_value, new_value, reason, batch_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(rusqlite::params![
        now(),
        e.operator,
        e.action,
        e.chart_id,
        e.field,
        e.old_value,
        e.new_value,
        e.reason,
        e.batch_id
    ])?;
    Ok(conn.last_insert_rowid())
}
