//! The SQL schema and its migrations, keyed by `PRAGMA user_version`.
//!
//! `MIGRATIONS[i]` takes a database from version `i` to `i + 1`; a new
//! version is a new entry at the end, never an edit of an old one. The
//! tables are described for people in `docs/schema.md`.

/// `PRAGMA application_id` of a chartmill database ("CHML"), so that
/// chartmill never writes its tables into somebody else's SQLite file.
pub const APPLICATION_ID: i32 = 0x4348_4D4C;

/// Migrations in order; the schema version is `MIGRATIONS.len()`.
pub const MIGRATIONS: &[&str] = &[SCHEMA_V1, SCHEMA_V2, SCHEMA_V3, SCHEMA_V4];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Version 4: the verification station's users (role, argon2 password
/// hash, disabled) and login sessions (the hash of the cookie's token, the
/// CSRF token, when last seen). Logins, failed logins and views go to the
/// audit, so that one append-only log holds who saw and who changed what.
pub const SCHEMA_V4: &str = r#"
CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL CHECK (role IN ('technician', 'viewer', 'admin')),
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    disabled_at   TEXT
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_name  TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen  TEXT NOT NULL
);
CREATE INDEX audit_action ON audit(action, operator, at);
"#;

/// Version 3: the review outcome stays with the chart. A value a person
/// typed or confirmed is marked verified (who, when) in both value tables;
/// a queue entry may be held or escalated (with the reason), is claimed by
/// one reviewer at a time, counts its changes (`revision`, so that a stale
/// edit is refused) and keeps the reason it was closed with.
pub const SCHEMA_V3: &str = r#"
ALTER TABLE chart_values ADD COLUMN verified_by TEXT;
ALTER TABLE chart_values ADD COLUMN verified_at TEXT;
ALTER TABLE review_values ADD COLUMN verified_by TEXT;
ALTER TABLE review_values ADD COLUMN verified_at TEXT;
ALTER TABLE review_queue ADD COLUMN hold TEXT CHECK (hold IS NULL OR hold IN ('held', 'escalated'));
ALTER TABLE review_queue ADD COLUMN hold_reason TEXT;
ALTER TABLE review_queue ADD COLUMN claimed_by TEXT;
ALTER TABLE review_queue ADD COLUMN claimed_at TEXT;
ALTER TABLE review_queue ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE review_queue ADD COLUMN close_reason TEXT;
"#;

/// Version 2: every read of a value read more than once (the page's read
/// and the second reads of its box, each with its text, confidence and
/// outcome), as a JSON array; NULL for a value read once.
pub const SCHEMA_V2: &str = r#"
ALTER TABLE chart_values ADD COLUMN reads TEXT;
ALTER TABLE review_values ADD COLUMN reads TEXT;
"#;

/// Version 1: the whole schema.
///
/// Invariants enforced by the database itself (not only by the loader):
/// `chart_values` only receives values of accepted charts, `review_values`
/// and `review_queue` only of charts in review; an accepted chart carries no
/// open flag and no open queue entry; only an accepted chart has a
/// `charts.document`; the `audit` is append-only.
pub const SCHEMA_V1: &str = r#"
CREATE TABLE batches (
    id               INTEGER PRIMARY KEY,
    archive          TEXT    NOT NULL,
    pipeline_id      TEXT    NOT NULL,
    operator         TEXT    NOT NULL,
    started_at       TEXT    NOT NULL,
    finished_at      TEXT,
    interrupted      INTEGER CHECK (interrupted IN (0, 1)),
    charts_seen      INTEGER NOT NULL DEFAULT 0,
    charts_processed INTEGER NOT NULL DEFAULT 0,
    charts_skipped   INTEGER NOT NULL DEFAULT 0,
    charts_accepted  INTEGER NOT NULL DEFAULT 0,
    charts_review    INTEGER NOT NULL DEFAULT 0,
    charts_failed    INTEGER NOT NULL DEFAULT 0,
    pages            INTEGER NOT NULL DEFAULT 0,
    blank_pages      INTEGER NOT NULL DEFAULT 0,
    flag_counts      TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(flag_counts))
);

CREATE TABLE charts (
    chart_id    TEXT    PRIMARY KEY,
    status      TEXT    NOT NULL CHECK (status IN ('accepted', 'review', 'failed', 'rejected')),
    fingerprint TEXT    NOT NULL,
    pipeline_id TEXT    NOT NULL,
    batch_id    INTEGER NOT NULL REFERENCES batches(id),
    loaded_at   TEXT    NOT NULL,
    document    TEXT    CHECK (document IS NULL OR (status = 'accepted' AND json_valid(document)))
);
CREATE INDEX charts_status ON charts(status);

CREATE TABLE sources (
    chart_id TEXT    NOT NULL REFERENCES charts(chart_id) ON DELETE CASCADE,
    seq      INTEGER NOT NULL,
    file     TEXT    NOT NULL,
    hash     TEXT    NOT NULL,
    bytes    INTEGER NOT NULL,
    PRIMARY KEY (chart_id, file)
);
CREATE INDEX sources_file ON sources(file);

CREATE TABLE pages (
    chart_id  TEXT    NOT NULL REFERENCES charts(chart_id) ON DELETE CASCADE,
    page      INTEGER NOT NULL,
    file      TEXT    NOT NULL,
    file_page INTEGER NOT NULL,
    doc_type  TEXT,
    status    TEXT    NOT NULL CHECK (status IN ('read', 'blank', 'unreadable', 'unknown')),
    rotation  INTEGER NOT NULL,
    skew      REAL    NOT NULL,
    words     INTEGER NOT NULL,
    mean_conf REAL    NOT NULL,
    PRIMARY KEY (chart_id, page)
);

CREATE TABLE chart_errors (
    chart_id TEXT    NOT NULL REFERENCES charts(chart_id) ON DELETE CASCADE,
    seq      INTEGER NOT NULL,
    message  TEXT    NOT NULL,
    PRIMARY KEY (chart_id, seq)
);

-- `value` has no declared type on purpose: it keeps the value's own type
-- (TEXT, INTEGER or REAL; NULL when the text could not be normalised).
-- A declared type would give it an affinity that turns the text '00482913'
-- into the integer 482913.
CREATE TABLE chart_values (
    id          INTEGER PRIMARY KEY,
    chart_id    TEXT    NOT NULL REFERENCES charts(chart_id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    path        TEXT    NOT NULL,
    field       TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    value,
    raw         TEXT    NOT NULL,
    error       TEXT,
    file        TEXT    NOT NULL,
    page        INTEGER NOT NULL,
    file_page   INTEGER NOT NULL,
    bbox_x      INTEGER NOT NULL,
    bbox_y      INTEGER NOT NULL,
    bbox_w      INTEGER NOT NULL,
    bbox_h      INTEGER NOT NULL,
    conf        REAL    NOT NULL,
    pipeline_id TEXT    NOT NULL,
    UNIQUE (chart_id, seq)
);
CREATE INDEX chart_values_path ON chart_values(path);

CREATE TABLE review_values (
    id          INTEGER PRIMARY KEY,
    chart_id    TEXT    NOT NULL REFERENCES charts(chart_id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    path        TEXT    NOT NULL,
    field       TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    value,
    raw         TEXT    NOT NULL,
    error       TEXT,
    file        TEXT    NOT NULL,
    page        INTEGER NOT NULL,
    file_page   INTEGER NOT NULL,
    bbox_x      INTEGER NOT NULL,
    bbox_y      INTEGER NOT NULL,
    bbox_w      INTEGER NOT NULL,
    bbox_h      INTEGER NOT NULL,
    conf        REAL    NOT NULL,
    pipeline_id TEXT    NOT NULL,
    UNIQUE (chart_id, seq)
);

CREATE TABLE review_queue (
    chart_id    TEXT PRIMARY KEY REFERENCES charts(chart_id) ON DELETE CASCADE,
    queued_at   TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'approved', 'rejected')),
    document    TEXT NOT NULL CHECK (json_valid(document)),
    resolved_by TEXT,
    resolved_at TEXT
);
CREATE INDEX review_queue_state ON review_queue(state, queued_at);

CREATE TABLE flags (
    id          INTEGER PRIMARY KEY,
    chart_id    TEXT    NOT NULL REFERENCES charts(chart_id) ON DELETE CASCADE,
    code        TEXT    NOT NULL CHECK (code IN ('missing_field', 'low_confidence', 'invalid_value',
                    'identity_mismatch', 'implausible_date', 'unreadable_page', 'unknown_document',
                    'duplicate_patient')),
    field       TEXT,
    page        INTEGER,
    reason      TEXT    NOT NULL,
    resolved_by TEXT,
    resolved_at TEXT,
    resolution  TEXT
);
CREATE INDEX flags_chart ON flags(chart_id);
CREATE INDEX flags_code ON flags(code);

CREATE TABLE audit (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT    NOT NULL,
    operator  TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    chart_id  TEXT,
    field     TEXT,
    old_value TEXT,
    new_value TEXT,
    reason    TEXT,
    batch_id  INTEGER REFERENCES batches(id)
);
CREATE INDEX audit_chart ON audit(chart_id);

-- The audit is append-only.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit is append-only: rows cannot be changed'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit is append-only: rows cannot be deleted'); END;

-- Validated values belong to accepted charts only; staged values and queue
-- entries to charts in review only.
CREATE TRIGGER chart_values_accepted_only BEFORE INSERT ON chart_values
WHEN (SELECT status FROM charts WHERE chart_id = NEW.chart_id) IS NOT 'accepted'
BEGIN SELECT RAISE(ABORT, 'chart_values only holds values of accepted charts'); END;
CREATE TRIGGER review_values_review_only BEFORE INSERT ON review_values
WHEN (SELECT status FROM charts WHERE chart_id = NEW.chart_id) IS NOT 'review'
BEGIN SELECT RAISE(ABORT, 'review_values only holds values of charts in review'); END;
CREATE TRIGGER review_queue_review_only BEFORE INSERT ON review_queue
WHEN (SELECT status FROM charts WHERE chart_id = NEW.chart_id) IS NOT 'review'
BEGIN SELECT RAISE(ABORT, 'only a chart in review can be queued'); END;
CREATE TRIGGER flags_not_on_accepted BEFORE INSERT ON flags
WHEN NEW.resolved_at IS NULL
 AND (SELECT status FROM charts WHERE chart_id = NEW.chart_id) IS 'accepted'
BEGIN SELECT RAISE(ABORT, 'an accepted chart cannot carry an open flag'); END;
CREATE TRIGGER charts_accept_needs_resolved BEFORE UPDATE OF status ON charts
WHEN NEW.status = 'accepted' AND OLD.status <> 'accepted' AND (
    EXISTS (SELECT 1 FROM flags WHERE chart_id = NEW.chart_id AND resolved_at IS NULL)
    OR EXISTS (SELECT 1 FROM review_queue WHERE chart_id = NEW.chart_id AND state = 'open'))
BEGIN SELECT RAISE(ABORT, 'resolve every flag and close the queue entry before accepting a chart'); END;
CREATE TRIGGER charts_leave_accepted BEFORE UPDATE OF status ON charts
WHEN OLD.status = 'accepted' AND NEW.status <> 'accepted'
 AND EXISTS (SELECT 1 FROM chart_values WHERE chart_id = OLD.chart_id)
BEGIN SELECT RAISE(ABORT, 'remove the validated values before a chart leaves accepted'); END;

-- Typed views over the documents of accepted charts, for people and reports.
CREATE VIEW v_patients AS
SELECT c.chart_id,
       json_extract(c.document, '$.patient.family')       AS family,
       json_extract(c.document, '$.patient.given')        AS given,
       json_extract(c.document, '$.patient.mrn')          AS mrn,
       json_extract(c.document, '$.patient.dob')          AS dob,
       json_extract(c.document, '$.patient.sex')          AS sex,
       json_extract(c.document, '$.patient.address.line')  AS address_line,
       json_extract(c.document, '$.patient.address.city')  AS city,
       json_extract(c.document, '$.patient.address.state') AS state,
       json_extract(c.document, '$.patient.address.zip')   AS zip,
       json_extract(c.document, '$.patient.phone')        AS phone,
       json_extract(c.document, '$.coverage.payer')       AS payer,
       json_extract(c.document, '$.coverage.member_id')   AS member_id,
       json_extract(c.document, '$.coverage.group')       AS group_number
FROM charts c
WHERE c.status = 'accepted';

CREATE VIEW v_allergies AS
SELECT c.chart_id,
       CAST(a.key AS INTEGER)                   AS idx,
       json_extract(a.value, '$.substance')     AS substance,
       json_extract(a.value, '$.reaction')      AS reaction
FROM charts c, json_each(c.document, '$.allergies') a
WHERE c.status = 'accepted';

CREATE VIEW v_encounters AS
SELECT c.chart_id,
       CAST(e.key AS INTEGER)                     AS idx,
       json_extract(e.value, '$.date')            AS date,
       json_extract(e.value, '$.provider')        AS provider,
       json_extract(e.value, '$.npi')             AS npi,
       json_extract(e.value, '$.vitals.bp')       AS bp,
       json_extract(e.value, '$.vitals.pulse')    AS pulse,
       json_extract(e.value, '$.vitals.temp_f')   AS temp_f,
       json_extract(e.value, '$.vitals.weight_lb') AS weight_lb,
       json_extract(e.value, '$.signed_by')       AS signed_by,
       json_extract(e.value, '$.signed_date')     AS signed_date
FROM charts c, json_each(c.document, '$.encounters') e
WHERE c.status = 'accepted';

CREATE VIEW v_diagnoses AS
SELECT c.chart_id,
       CAST(e.key AS INTEGER)             AS encounter_idx,
       json_extract(e.value, '$.date')    AS encounter_date,
       CAST(d.key AS INTEGER)             AS idx,
       json_extract(d.value, '$.code')    AS code,
       json_extract(d.value, '$.text')    AS text
FROM charts c, json_each(c.document, '$.encounters') e, json_each(e.value, '$.diagnoses') d
WHERE c.status = 'accepted';

CREATE VIEW v_medications AS
SELECT c.chart_id,
       CAST(m.key AS INTEGER)                  AS idx,
       json_extract(m.value, '$.name')         AS name,
       json_extract(m.value, '$.dose')         AS dose,
       json_extract(m.value, '$.route')        AS route,
       json_extract(m.value, '$.frequency')    AS frequency,
       json_extract(m.value, '$.start_date')   AS start_date
FROM charts c, json_each(c.document, '$.medications') m
WHERE c.status = 'accepted';

CREATE VIEW v_immunizations AS
SELECT c.chart_id,
       CAST(i.key AS INTEGER)             AS idx,
       json_extract(i.value, '$.vaccine') AS vaccine,
       json_extract(i.value, '$.cvx')     AS cvx,
       json_extract(i.value, '$.date')    AS date,
       json_extract(i.value, '$.lot')     AS lot
FROM charts c, json_each(c.document, '$.immunizations') i
WHERE c.status = 'accepted';
"#;
