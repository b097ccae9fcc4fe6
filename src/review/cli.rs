//! `chartmill review …`: the review station's commands.
//!
//! Exit codes: 0 done; 1 refused (nothing was changed: an open flag, a value
//! that fails validation, a bad worklist row, …), with the reason on
//! standard error; errors that stop the command (no database, I/O) are
//! returned to the caller (exit 2).
//!
//! Only `show` prints patient values, to standard output; every other
//! message names charts, fields, flags and rules only.

use super::crop::{self, CropOutcome};
use super::duplicates::{Identity, MatchKind, Origin};
use super::{worklist, Action, FlagSelector, Refusal, Request, ReviewError, WaiveReason};
use crate::model::FlagCode;
use crate::pipeline::Pipeline;
use crate::store::{self, AuditEntry, ReviewState, Store};
use anyhow::Context as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Options every review command takes.
#[derive(clap::Args, Debug, Clone)]
pub struct Common {
    /// The chartmill database.
    #[arg(long, env = "CHARTMILL_DB")]
    pub db: PathBuf,
    /// Who does it, recorded in the audit; default: the OS user.
    #[arg(long, env = "CHARTMILL_OPERATOR")]
    pub operator: Option<String>,
}

impl Common {
    fn operator(&self) -> Result<String, Refusal> {
        let op = self.operator.clone().unwrap_or_else(crate::cli::os_user);
        if op.trim().is_empty() || (self.operator.is_none() && op == "unknown") {
            return Err(Refusal::NoOperator);
        }
        Ok(op.trim().to_string())
    }

    fn open(&self) -> anyhow::Result<Store> {
        if !self.db.is_file() {
            anyhow::bail!("no database at {}", self.db.display());
        }
        Ok(Store::open(&self.db)?)
    }
}

/// How a chart is shown (`show`, `next`).
#[derive(clap::Args, Debug, Clone)]
pub struct Shown {
    /// Folder for the crops (one folder per chart; files readable by their owner only).
    #[arg(long, default_value = "chartmill-crops")]
    pub crops: PathBuf,
    /// Do not write crops.
    #[arg(long)]
    pub no_crops: bool,
    /// The archive folder, when it is not where the batch found it.
    #[arg(long)]
    pub archive: Option<PathBuf>,
}

impl Shown {
    fn crops(&self) -> Option<&Path> {
        (!self.no_crops).then_some(self.crops.as_path())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum WorklistFormat {
    Csv,
}

fn parse_code(s: &str) -> Result<FlagCode, String> {
    FlagCode::parse(s).ok_or_else(|| {
        format!("unknown flag code; one of: {}", FlagCode::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "))
    })
}

/// The review station.
#[derive(clap::Subcommand, Debug)]
pub enum ReviewCommand {
    /// Charts waiting for review, oldest first, with their open flag codes.
    List {
        #[command(flatten)]
        common: Common,
        /// Only charts with an open flag of this code.
        #[arg(long, value_parser = parse_code)]
        code: Option<FlagCode>,
    },
    /// A chart's values (with confidence and page), its flags, and a cropped
    /// image of each flagged field.
    Show {
        chart: String,
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        shown: Shown,
    },
    /// The oldest chart waiting (not held, not claimed by someone else), shown as `show` shows it.
    Next {
        #[command(flatten)]
        common: Common,
        /// Only charts with an open flag of this code.
        #[arg(long, value_parser = parse_code)]
        code: Option<FlagCode>,
        #[command(flatten)]
        shown: Shown,
    },
    /// Write one page of a chart upright, with every value's box drawn (flagged fields red,
    /// verified green, the field given orange), as a PNG readable by its owner only.
    Page {
        chart: String,
        /// The chart's page, 1-based.
        page: u32,
        /// The PNG to write.
        #[arg(long, short)]
        output: PathBuf,
        /// Draw this field's box in orange.
        #[arg(long)]
        field: Option<String>,
        /// Widest the image may be, in pixels.
        #[arg(long, default_value_t = 1700)]
        width: u32,
        #[command(flatten)]
        common: Common,
        /// The archive folder, when it is not where the batch found it.
        #[arg(long)]
        archive: Option<PathBuf>,
    },
    /// Read a page again (OCR): turned further and/or as a document type you name; its values
    /// replace the page's old ones, the chart's records are renumbered in page order.
    Reread {
        chart: String,
        /// The chart's page, 1-based.
        page: u32,
        /// Degrees to turn the page clockwise first: 0, 90, 180 or 270.
        #[arg(long, default_value_t = 0)]
        turn: u32,
        /// The page's document type (e.g. immunization_record), when it was not recognised.
        #[arg(long = "as", value_name = "TYPE")]
        doc_type: Option<String>,
        /// Accept a read with fewer records of a list than the page had (they are not on it).
        #[arg(long)]
        drop_records: bool,
        /// The archive folder, when it is not where the batch found it.
        #[arg(long)]
        archive: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
        /// The pipeline file the chart was read with; the bundled default if absent.
        #[arg(long)]
        pipeline: Option<PathBuf>,
    },
    /// Correct a value, or one part of it (`encounters[0].diagnoses[1].code`,
    /// `patient.address.zip`): normalised and validated like an extracted one,
    /// or refused. Resolves the open flags on what was corrected.
    Set {
        chart: String,
        /// The field or part as flagged, e.g. `patient.dob`, `patient.given`, `encounters[0].npi`.
        field: String,
        /// The value as written on the page (diagnoses: one per line, or separated by `;`).
        #[arg(allow_hyphen_values = true)]
        value: String,
        /// Default: corrected from the source page.
        #[arg(long)]
        reason: Option<String>,
        /// Allow the correction to remove parts the field holds (they are not on the page).
        #[arg(long)]
        drop_parts: bool,
        #[command(flatten)]
        common: Common,
        /// The pipeline file the chart was read with; the bundled default if absent.
        #[arg(long)]
        pipeline: Option<PathBuf>,
    },
    /// The value (a field or one part) is right as read: marks it verified and
    /// resolves its low-confidence flags.
    Confirm {
        chart: String,
        field: String,
        #[command(flatten)]
        common: Common,
    },
    /// Waive open flags: by id (`--flag`, see `show`) or by code (and field),
    /// with a coded reason (and a note; required for `other`).
    Waive {
        chart: String,
        #[arg(long)]
        flag: Option<i64>,
        #[arg(long, value_parser = parse_code)]
        code: Option<FlagCode>,
        #[arg(long)]
        field: Option<String>,
        /// Why, from the list; `other` needs --reason.
        #[arg(long, value_enum)]
        because: Option<WaiveReason>,
        /// A note (alone, it waives for `other` reasons).
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Set a chart aside (waiting for the paper chart, a colleague), with the reason.
    Hold {
        chart: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        common: Common,
    },
    /// Hand a chart to a senior reviewer, with the reason.
    Escalate {
        chart: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        common: Common,
    },
    /// Put a held or escalated chart back in the queue.
    Release {
        chart: String,
        #[command(flatten)]
        common: Common,
    },
    /// Load a chart into the validated tables; refused while a flag is open.
    Approve {
        chart: String,
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Keep a chart out of the validated tables, with a reason (it stays listed).
    Reject {
        chart: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        common: Common,
    },
    /// Bring an approved or rejected chart back into review, with the reason.
    Reopen {
        chart: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        common: Common,
    },
    /// Write the worklist: one row per open flag, with empty `new_value` and `reason` columns to fill in.
    Export {
        #[command(flatten)]
        common: Common,
        #[arg(long, value_enum, default_value_t = WorklistFormat::Csv)]
        format: WorklistFormat,
        /// Output file (readable by its owner only); standard output if absent.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Apply a filled-in worklist: all rows or none; each bad row is reported with its line.
    Import {
        file: PathBuf,
        #[command(flatten)]
        common: Common,
        /// The pipeline file the charts were read with; the bundled default if absent.
        #[arg(long)]
        pipeline: Option<PathBuf>,
    },
}

fn load_pipeline(path: Option<&Path>) -> anyhow::Result<Pipeline> {
    match path {
        None => Ok(Pipeline::default_pipeline()),
        Some(p) => Pipeline::load(p).map_err(|e| {
            let list: Vec<String> = e.errors.iter().map(|x| format!("  {x}")).collect();
            anyhow::anyhow!("{e}:\n{}", list.join("\n"))
        }),
    }
}

/// Run a review command. A refusal prints its reason and exits 1.
pub fn dispatch(cmd: ReviewCommand) -> anyhow::Result<ExitCode> {
    match run(cmd) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => match e.downcast::<ReviewError>() {
            Ok(ReviewError::Refused(r)) => {
                eprintln!("refused: {r}");
                Ok(ExitCode::from(1))
            }
            Ok(other) => Err(other.into()),
            Err(e) => match e.downcast::<Refusal>() {
                Ok(r) => {
                    eprintln!("refused: {r}");
                    Ok(ExitCode::from(1))
                }
                Err(e) => Err(e),
            },
        },
    }
}

fn run(cmd: ReviewCommand) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match cmd {
        ReviewCommand::List { common, code } => {
            // Chart ids and flag codes only: no patient data, not audited.
            let store = common.open()?;
            let queue = store.review_queue(code)?;
            for q in &queue {
                let codes: Vec<String> = q
                    .open
                    .iter()
                    .map(|(c, n)| if *n > 1 { format!("{c} ({n})") } else { c.to_string() })
                    .collect();
                let mut note = String::new();
                if let Some(h) = &q.hold {
                    note.push_str(&format!("  [{}]", h.kind.as_str()));
                }
                if let Some(by) = &q.claimed_by {
                    note.push_str(&format!("  [claimed by {by}]"));
                }
                writeln!(out, "{}  {}  {}{note}", q.queued_at, q.chart_id, codes.join(", "))?;
            }
            writeln!(out, "{} chart(s) waiting for review", queue.len())?;
        }
        ReviewCommand::Show { chart, common, shown } => {
            let operator = common.operator()?;
            let store = common.open()?;
            show(&store, &operator, &chart, shown.crops(), shown.archive.as_deref(), &mut out)?;
        }
        ReviewCommand::Next { common, code, shown } => {
            let operator = common.operator()?;
            let store = common.open()?;
            let next = store
                .review_queue(code)?
                .into_iter()
                .find(|q| q.hold.is_none() && q.claimed_by.as_deref().is_none_or(|by| by == operator));
            match next {
                Some(q) => show(&store, &operator, &q.chart_id, shown.crops(), shown.archive.as_deref(), &mut out)?,
                None => writeln!(out, "no chart waiting for review")?,
            }
        }
        ReviewCommand::Page { chart, page, output, field, width, common, archive } => {
            let operator = common.operator()?;
            let store = common.open()?;
            let state = store.review_state(&chart)?.ok_or_else(|| Refusal::NoChart { chart_id: chart.clone() })?;
            let archive = archive.unwrap_or_else(|| PathBuf::from(&state.archive));
            store.audit(&AuditEntry {
                operator: &operator,
                action: "viewed",
                chart_id: Some(&chart),
                reason: Some(&format!("page {page} image written to a file")),
                ..AuditEntry::default()
            })?;
            let (gray, _) = crop::upright(&state, &archive, page).map_err(|e| anyhow::anyhow!("chart {chart}: {e}"))?;
            let img = crop::draw_boxes(&gray, &state, page, field.as_deref(), width.max(200));
            let mut f = store::create_private(&output).with_context(|| format!("cannot create {}", output.display()))?;
            f.write_all(&crop::png(&img))?;
            writeln!(out, "chart {chart}: page {page} written to {}", output.display())?;
        }
        ReviewCommand::Reread { chart, page, turn, doc_type, drop_records, archive, common, pipeline } => {
            let pipeline = load_pipeline(pipeline.as_deref())?;
            act(&common, &pipeline, &chart, Action::ReadAgain { page, turn, doc_type, archive, drop_records }, &mut out)?;
        }
        ReviewCommand::Set { chart, field, value, reason, drop_parts, common, pipeline } => {
            let pipeline = load_pipeline(pipeline.as_deref())?;
            act(&common, &pipeline, &chart, Action::Correct { field, value, reason, drop_parts }, &mut out)?;
        }
        ReviewCommand::Confirm { chart, field, common } => {
            act(&common, &Pipeline::default_pipeline(), &chart, Action::Confirm { field }, &mut out)?;
        }
        ReviewCommand::Waive { chart, flag, code, field, because, reason, common } => {
            let which = FlagSelector { id: flag, code, field };
            let because = match (because, &reason) {
                (Some(b), _) => b,
                (None, Some(_)) => WaiveReason::Other,
                (None, None) => {
                    return Err(Refusal::Usage(format!(
                        "say why the flag is waived: --because {} (or --reason TEXT)",
                        WaiveReason::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>().join("|")
                    ))
                    .into())
                }
            };
            act(&common, &Pipeline::default_pipeline(), &chart, Action::Waive { which, reason: because, note: reason }, &mut out)?;
        }
        ReviewCommand::Hold { chart, reason, common } => {
            act(&common, &Pipeline::default_pipeline(), &chart, Action::Hold { reason }, &mut out)?;
        }
        ReviewCommand::Escalate { chart, reason, common } => {
            act(&common, &Pipeline::default_pipeline(), &chart, Action::Escalate { reason }, &mut out)?;
        }
        ReviewCommand::Release { chart, common } => {
            act(&common, &Pipeline::default_pipeline(), &chart, Action::Release, &mut out)?;
        }
        ReviewCommand::Approve { chart, reason, common } => {
            act(&common, &Pipeline::default_pipeline(), &chart, Action::Approve { note: reason }, &mut out)?;
        }
        ReviewCommand::Reject { chart, reason, common } => {
            act(&common, &Pipeline::default_pipeline(), &chart, Action::Reject { reason }, &mut out)?;
        }
        ReviewCommand::Reopen { chart, reason, common } => {
            act(&common, &Pipeline::default_pipeline(), &chart, Action::Reopen { reason }, &mut out)?;
        }
        ReviewCommand::Export { common, format: WorklistFormat::Csv, output } => {
            let operator = common.operator()?;
            let store = common.open()?;
            let done = match &output {
                Some(p) => {
                    let file = store::create_private(p).with_context(|| format!("cannot create {}", p.display()))?;
                    let mut w = std::io::BufWriter::new(file);
                    let done = worklist::export(&store, &operator, &mut w, &p.display().to_string())?;
                    w.flush().with_context(|| format!("cannot write {}", p.display()))?;
                    done
                }
                None => worklist::export(&store, &operator, &mut out, "standard output")?,
            };
            eprintln!("worklist: {} open flag(s) of {} chart(s)", done.flags, done.charts);
        }
        ReviewCommand::Import { file, common, pipeline } => {
            let operator = common.operator()?;
            let pipeline = load_pipeline(pipeline.as_deref())?;
            let store = common.open()?;
            let mut input = std::fs::File::open(&file).with_context(|| format!("cannot open {}", file.display()))?;
            let done = worklist::import(&store, &pipeline, &operator, &file, &mut input)?;
            writeln!(
                out,
                "worklist {}: {} correction(s), {} waiver(s) on {} chart(s); {} row(s) left alone",
                file.display(),
                done.corrections,
                done.waivers,
                done.charts,
                done.skipped
            )?;
        }
    }
    Ok(())
}

/// One action through the review core, and what it did.
fn act(common: &Common, pipeline: &Pipeline, chart: &str, action: Action, out: &mut dyn Write) -> anyhow::Result<()> {
    let operator = common.operator()?;
    let store = common.open()?;
    let closes = matches!(action, Action::Approve { .. } | Action::Reject { .. });
    let done = super::apply(&store, pipeline, Request { operator: &operator, chart_id: chart, revision: None }, action)?;
    for l in &done.lines {
        writeln!(out, "{l}")?;
    }
    if !closes {
        open_count(done.open_flags, chart, out)?;
    }
    Ok(())
}

fn open_count(open: usize, chart: &str, out: &mut dyn Write) -> anyhow::Result<()> {
    if open == 0 {
        writeln!(out, "chart {chart}: no open flag left; approve it with `chartmill review approve {chart}`")?;
    } else {
        writeln!(out, "chart {chart}: {open} open flag(s) left")?;
    }
    Ok(())
}

fn identity_line(who: &Identity) -> String {
    let or_dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".into());
    format!(
        "MRN {}, name {}, {}, born {}",
        or_dash(&who.mrn),
        or_dash(&who.family),
        or_dash(&who.given),
        or_dash(&who.dob)
    )
}

/// Print a chart for the reviewer (patient values, to `out` only), write
/// the crops of its flagged fields, and audit the view.
pub fn show(
    store: &Store,
    operator: &str,
    chart_id: &str,
    crops: Option<&Path>,
    archive: Option<&Path>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let operator = super::check_operator(operator)?;
    let view = super::view(store, operator, chart_id, "values shown on the command line")?;
    let state: &ReviewState = &view.state;
    let waiting = match &state.queue {
        Some(q) if state.is_waiting() => {
            let mut w = format!("waiting since {}; revision {}", q.queued_at, q.revision);
            if let Some(h) = &q.hold {
                w.push_str(&format!("; {} ({})", h.kind.as_str(), h.reason));
            }
            if let Some(by) = &q.claimed_by {
                w.push_str(&format!("; claimed by {by} at {}", q.claimed_at.as_deref().unwrap_or("-")));
            }
            w
        }
        Some(q) => format!(
            "queue entry {} by {} at {}{}",
            q.state,
            q.resolved_by.as_deref().unwrap_or("-"),
            q.resolved_at.as_deref().unwrap_or("-"),
            q.close_reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
        ),
        None => "not queued".into(),
    };
    writeln!(out, "chart {}", state.chart_id)?;
    writeln!(out, "  status {} ({waiting}); pipeline {}; batch {}", state.status.as_str(), state.pipeline_id, state.batch_id)?;

    writeln!(out, "pages:")?;
    for p in &state.pages {
        writeln!(
            out,
            "  {:>3}  {} (page {} of the file)  {}  {}  rotation {}  skew {:.1}  words {}  conf {:.0}",
            p.at.page,
            p.at.file,
            p.at.file_page + 1,
            p.doc_type.as_deref().unwrap_or("-"),
            p.status.as_str(),
            p.rotation,
            p.skew,
            p.words,
            p.mean_conf
        )?;
    }

    let plain: Vec<crate::model::FieldValue> = state.values.iter().map(|v| v.value.clone()).collect();
    let open_fields: std::collections::HashSet<String> = state
        .open_flags()
        .filter_map(|f| f.flag.field.as_deref())
        .map(|p| super::draft::correctable_field(&plain, p))
        .collect();
    writeln!(out, "values (! = field with an open flag, ✓ = verified by a person):")?;
    let width = state.values.iter().map(|v| v.value.path.len()).max().unwrap_or(0);
    for sv in &state.values {
        let v = &sv.value;
        let mark = if open_fields.contains(&v.field) { '!' } else { ' ' };
        let checked = if sv.verified.is_some() { '✓' } else { ' ' };
        let shown = match &v.value {
            Some(x) => x.to_string(),
            None => format!("(not normalised: {}) read as {:?}", v.error.as_deref().unwrap_or("no value"), v.raw),
        };
        let field = if v.field != v.path { format!("  [field {}]", v.field) } else { String::new() };
        writeln!(
            out,
            "{mark}{checked} {:<width$}  {shown}  (conf {:.0}, page {}){field}",
            v.path, v.prov.conf, v.prov.page
        )?;
    }

    let crops_made = match (crops, state.is_waiting()) {
        (Some(dir), true) => {
            let archive = archive.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from(&state.archive));
            crop::write_crops(state, &archive, dir).with_context(|| format!("cannot write crops under {}", dir.display()))?
        }
        _ => Vec::new(),
    };
    writeln!(out, "flags:")?;
    for f in &state.flags {
        let state_text = match (&f.resolved_at, &f.resolution) {
            (None, _) => "open".to_string(),
            (Some(at), r) => format!(
                "resolved by {} at {at}: {}",
                f.resolved_by.as_deref().unwrap_or("-"),
                r.as_deref().unwrap_or("-")
            ),
        };
        writeln!(
            out,
            "  [{}] {} {}{}: {}  ({state_text})",
            f.id,
            f.flag.code,
            f.flag.field.as_deref().unwrap_or("(chart)"),
            f.flag.page.map(|p| format!(" page {p}")).unwrap_or_default(),
            f.flag.reason
        )?;
        for c in crops_made.iter().filter(|c| c.flag_id == f.id) {
            match &c.outcome {
                CropOutcome::Written(p) => writeln!(out, "       crop: {}", p.display())?,
                CropOutcome::Skipped(why) => writeln!(out, "       no crop: {why}")?,
            }
        }
    }

    if state.flags.iter().any(|f| f.flag.code == FlagCode::DuplicatePatient) {
        let who = state.document.as_ref().map(Identity::from_document).unwrap_or_default();
        let matches = &view.duplicates;
        writeln!(out, "duplicate patient:")?;
        writeln!(out, "  this chart: {}", identity_line(&who))?;
        if matches.is_empty() {
            writeln!(out, "  no other chart matches any more (see the flag's reason for the chart it named)")?;
        }
        for m in matches {
            let kind = match m.kind {
                MatchKind::Overlay { .. } => "same MRN, another person",
                MatchKind::Duplicate => "same person, another MRN",
            };
            let origin = match m.origin {
                Origin::Loaded => "loaded",
                Origin::Batch => "this batch",
            };
            writeln!(out, "  chart {} ({origin}; {kind}): {}", m.other_chart, identity_line(&m.other))?;
        }
    }

    let written = crops_made.iter().filter(|c| matches!(c.outcome, CropOutcome::Written(_))).count();
    if let (Some(dir), true) = (crops, written > 0) {
        let reason = format!("{written} crop(s) written under {}", dir.display());
        store.audit(&AuditEntry { operator, action: "viewed", chart_id: Some(chart_id), reason: Some(&reason), ..AuditEntry::default() })?;
    }
    Ok(())
}
