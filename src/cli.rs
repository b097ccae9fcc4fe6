//! The command line: clap definitions, turned into plain configurations
//! before any work starts, and the exit codes.
//!
//! Exit codes (all commands):
//! - 0: done; every chart processed (accepted or sent to review);
//! - 1: done, but something failed: a chart or file could not be read, a
//!   pipeline file has problems, reconciliation found a gap;
//! - 2: could not run: bad arguments, unreadable pipeline, database locked
//!   or unusable;
//! - 130: interrupted (Ctrl-C); what was loaded stays, the next run resumes.

use crate::pipeline::Pipeline;
use crate::progress;
use crate::run::{self, RunConfig};
use crate::store::{self, Store};
use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "chartmill", version, about = "Turn scanned paper medical charts into validated electronic records")]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug, -vvv trace). Logs never carry patient data.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Process an archive of scanned charts into the database.
    Run {
        /// The archive folder: charts are multi-page TIFFs or folders of page images.
        archive: PathBuf,
        /// The SQLite database (created if missing, readable by its owner only).
        #[arg(long)]
        db: PathBuf,
        /// Pipeline file (document types, labels, value types); the bundled default if absent.
        #[arg(long)]
        pipeline: Option<PathBuf>,
        /// Worker threads (one Tesseract engine each); default: the number of cores.
        #[arg(long, short)]
        jobs: Option<usize>,
        /// Who runs the batch, recorded in the batches table; default: the OS user.
        #[arg(long)]
        operator: Option<String>,
        /// Progress output: auto (bars on a terminal, lines otherwise), lines, or none.
        #[arg(long, value_enum, default_value_t = ProgressArg::Auto)]
        progress: ProgressArg,
    },
    /// Write every chart of the database (accepted and in review) in the spec's export format.
    Export {
        #[arg(long)]
        db: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Jsonl)]
        format: Format,
        /// Output file (created readable by its owner only); standard output if absent.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// JSON lines only: add each chart's review outcome (`review`: queue entry,
        /// verified values, every flag's resolution) and include rejected charts.
        #[arg(long)]
        review: bool,
    },
    /// Check a pipeline file and report every problem with its place.
    CheckPipeline {
        file: PathBuf,
    },
    /// Show what chartmill reads on one page: OCR rows, document type and fields (prints patient data to stdout).
    Inspect {
        file: PathBuf,
        /// Page of the file, 1-based.
        #[arg(long, default_value_t = 1)]
        page: u32,
        #[arg(long)]
        pipeline: Option<PathBuf>,
    },
    /// The review station: the queue, corrections, waivers, approval and the worklist.
    Review {
        #[command(subcommand)]
        command: crate::review::cli::ReviewCommand,
    },
    /// The verification station in a browser: the queue, each chart's pages with the values'
    /// boxes, corrections, confirmations, waivers, approval; users log in (`chartmill user add`).
    Serve {
        /// The chartmill database.
        #[arg(long, env = "CHARTMILL_DB")]
        db: PathBuf,
        /// Address to listen on; beyond loopback only with --tls-cert and --tls-key.
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: std::net::SocketAddr,
        /// The pipeline file the charts were read with; the bundled default if absent.
        #[arg(long)]
        pipeline: Option<PathBuf>,
        /// The archive folder, when it is not where the batches found it.
        #[arg(long)]
        archive: Option<PathBuf>,
        /// A session unused this many minutes is ended.
        #[arg(long, default_value_t = 15)]
        idle_minutes: u64,
        /// TLS certificate chain (PEM).
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// TLS private key (PEM).
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
    },
    /// The verification station's users: add (the password read from standard input), list,
    /// disable, passwd.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The audit: every change, and every view of a chart's values or images by a person
    /// (prints patient values to stdout; the showing is audited too).
    Audit {
        #[arg(long, env = "CHARTMILL_DB")]
        db: PathBuf,
        /// Only this chart.
        #[arg(long)]
        chart: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        kind: crate::review::AuditKind,
        /// Who asks, recorded in the audit; default: the OS user.
        #[arg(long, env = "CHARTMILL_OPERATOR")]
        operator: Option<String>,
    },
    /// Write a synthetic archive of scanned charts with ground truth (no real patient data).
    /// Built with the `synth` feature only.
    #[cfg(feature = "synth")]
    Synth {
        out_dir: PathBuf,
        #[arg(long, default_value_t = 40)]
        charts: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Style family of the charts (repeatable; dealt evenly). Default: the
        /// development families classic, office and fax; `holdout` only when named.
        #[arg(long = "family", value_name = "NAME", value_enum)]
        families: Vec<crate::synth::Family>,
    },
    /// Account for every page of every file under an archive: loaded, in review, blank or failed
    /// (with its reason); exit 1 when a page is not accounted for or a file changed since loading.
    Reconcile {
        /// The archive folder, as given to `run`.
        archive: PathBuf,
        /// The database the archive was loaded into.
        #[arg(long)]
        db: PathBuf,
        /// The pipeline file of the run (it says what makes a chart); the bundled default if absent.
        #[arg(long)]
        pipeline: Option<PathBuf>,
        /// Machine-readable report (one JSON object).
        #[arg(long)]
        json: bool,
    },
    /// Compare what was loaded with a synthetic archive's truth: accuracy, silent errors, defects
    /// caught, and the calibration of the acceptance model (estimated against observed error, and
    /// clean charts straight through against silent errors for each error budget).
    Eval {
        #[arg(long)]
        truth: PathBuf,
        #[arg(long)]
        db: PathBuf,
        /// Machine-readable report.
        #[arg(long)]
        json: bool,
    },
    /// Fit the acceptance model (observed error by how values were read) on synthetic archives
    /// with their truth, loaded with `run`. Give `--truth` and `--db` once per archive, in pairs.
    /// Fit on archives that are not the ones the model is then measured on.
    Calibrate {
        #[arg(long, required = true)]
        truth: Vec<PathBuf>,
        #[arg(long, required = true)]
        db: Vec<PathBuf>,
        /// Where to write the model (JSON); the shipped one is src/calibration.json.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user; the password (at least 10 characters) is read from standard input.
    Add {
        name: String,
        #[arg(long, value_enum)]
        role: store::Role,
        #[arg(long, env = "CHARTMILL_DB")]
        db: PathBuf,
    },
    /// List the users and their roles.
    List {
        #[arg(long, env = "CHARTMILL_DB")]
        db: PathBuf,
    },
    /// Disable a user (kept for the audit) and end their sessions.
    Disable {
        name: String,
        #[arg(long, env = "CHARTMILL_DB")]
        db: PathBuf,
    },
    /// Set a user's password (read from standard input) and end their sessions.
    Passwd {
        name: String,
        #[arg(long, env = "CHARTMILL_DB")]
        db: PathBuf,
    },
}

/// A password from standard input: without echo on a terminal, else the first line.
fn read_password(prompt: &str) -> anyhow::Result<String> {
    use std::io::IsTerminal as _;
    if std::io::stdin().is_terminal() {
        return Ok(rpassword::prompt_password(prompt)?);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn user_command(command: UserCommand) -> anyhow::Result<ExitCode> {
    use crate::station::auth;
    let by = os_user();
    match command {
        UserCommand::Add { name, role, db } => {
            auth::check_name(&name)?;
            let store = open_existing(&db)?;
            let hash = auth::hash_password(&read_password(&format!("password for {name}: "))?)?;
            if !store.add_user(&name, role, &hash, &by)? {
                anyhow::bail!("there is already a user {name}");
            }
            println!("user {name} added as {}", role.as_str());
        }
        UserCommand::List { db } => {
            for u in open_existing(&db)?.users()? {
                let state = u.disabled_at.as_deref().map_or("active".to_string(), |d| format!("disabled {d}"));
                println!("{:<20} {:<10} added {} by {}  {state}", u.name, u.role.as_str(), u.created_at, u.created_by);
            }
        }
        UserCommand::Disable { name, db } => {
            if !open_existing(&db)?.disable_user(&name, &by)? {
                anyhow::bail!("no enabled user {name}");
            }
            println!("user {name} disabled; their sessions ended");
        }
        UserCommand::Passwd { name, db } => {
            let store = open_existing(&db)?;
            let hash = auth::hash_password(&read_password(&format!("new password for {name}: "))?)?;
            if !store.set_password(&name, &hash, &by)? {
                anyhow::bail!("no user {name}");
            }
            println!("password of {name} changed; their sessions ended");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Every stored value of every chart of a database, by chart id.
fn stored_values(store: &Store) -> anyhow::Result<std::collections::HashMap<String, Vec<crate::model::FieldValue>>> {
    let mut out = std::collections::HashMap::new();
    for chart in store.list_charts(None)? {
        let values = store.values_for(&chart.chart_id)?.into_iter().map(|v| v.value).collect();
        out.insert(chart.chart_id, values);
    }
    Ok(out)
}

/// A database's export, parsed.
fn exported(store: &Store) -> anyhow::Result<Vec<serde_json::Value>> {
    let mut buf = Vec::new();
    store.export_jsonl(&mut buf)?;
    Ok(buf.split(|b| *b == b'\n').filter(|l| !l.is_empty()).map(serde_json::from_slice).collect::<Result<_, _>>()?)
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ProgressArg {
    Auto,
    Lines,
    None,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
}

/// Parse, run, map the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    // Tesseract runs in `run`, `inspect`, and when the station or the
    // review reads a page again.
    let reads_pages = matches!(
        cli.command,
        Command::Run { .. }
            | Command::Inspect { .. }
            | Command::Serve { .. }
            | Command::Review { command: crate::review::cli::ReviewCommand::Reread { .. } }
    );
    if reads_pages {
        if let Err(e) = crate::ocr::reexec_single_threaded() {
            tracing::warn!("could not restart with OMP_THREAD_LIMIT=1 ({e}); Tesseract will run multi-threaded and slower");
        }
    }
    match dispatch(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("CHARTMILL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("chartmill={default},warn")));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).try_init();
}

/// The OS user, for the audit trail.
pub fn os_user() -> String {
    std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".to_string())
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

/// Open a database that must exist already (export, eval, review).
fn open_existing(db: &Path) -> anyhow::Result<Store> {
    if !db.is_file() {
        anyhow::bail!("no database at {}", db.display());
    }
    Ok(Store::open(db)?)
}

fn dispatch(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Run { archive, db, pipeline, jobs, operator, progress } => {
            let cfg = RunConfig {
                archive,
                db,
                pipeline: load_pipeline(pipeline.as_deref())?,
                jobs: jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1),
                operator: operator.unwrap_or_else(os_user),
                progress: match progress {
                    ProgressArg::Auto => progress::Mode::Auto,
                    ProgressArg::Lines => progress::Mode::Lines,
                    ProgressArg::None => progress::Mode::Quiet,
                },
            };
            let summary = run::run(&cfg)?;
            print!("{}", summary.to_text());
            Ok(if summary.interrupted {
                ExitCode::from(130)
            } else if summary.counts.failed > 0 || summary.page_errors > 0 || !summary.discover_problems.is_empty() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Export { db, format, output, review } => {
            if review && format != Format::Jsonl {
                anyhow::bail!("--review is for the JSON lines export (--format jsonl)");
            }
            let store = open_existing(&db)?;
            let mut out: Box<dyn Write> = match &output {
                Some(p) => Box::new(std::io::BufWriter::new(
                    store::create_private(p).with_context(|| format!("cannot create {}", p.display()))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            let n = match format {
                Format::Jsonl => store.export_jsonl_with(&mut out, review)?,
                Format::Csv => store.export_csv(&mut out)?,
            };
            out.flush()?;
            if output.is_some() {
                eprintln!("exported {n} chart(s)");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::CheckPipeline { file } => match Pipeline::load(&file) {
            Ok(p) => {
                println!("{}: ok ({} document types, pipeline {})", file.display(), p.documents.len(), p.id());
                for w in &p.warnings {
                    println!("  {}: warning: {w}", file.display());
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                println!("{e}:");
                for err in &e.errors {
                    println!("  {}: {err}", file.display());
                }
                Ok(ExitCode::from(1))
            }
        },
        #[cfg(feature = "synth")]
        Command::Synth { out_dir, charts, seed, families } => {
            let cfg = crate::synth::SynthConfig { out_dir: out_dir.clone(), charts, seed };
            let s = crate::synth::generate_families(&cfg, &crate::synth::SynthOptions::default(), &families)?;
            println!(
                "wrote {} charts ({} pages in {} files, {} with a defect) to {}/archive, the truth to {}/truth.jsonl and the families to {}/families.csv",
                s.charts,
                s.pages,
                s.files,
                s.defective,
                out_dir.display(),
                out_dir.display(),
                out_dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Inspect { file, page, pipeline } => {
            let pipeline = load_pipeline(pipeline.as_deref())?;
            let (rows, x) = run::inspect_page(&pipeline, &file, page.max(1) - 1)?;
            use std::fmt::Write as _;
            let mut out = String::new();
            for r in rows {
                let _ = writeln!(out, "{r}");
            }
            let _ = writeln!(
                out,
                "\npage {}: {} (rotation {}°, skew {:.2}°, {} words, mean confidence {:.0})",
                page,
                x.info.doc_type.as_deref().unwrap_or(x.info.status.as_str()),
                x.info.rotation,
                x.info.skew,
                x.info.words,
                x.info.mean_conf
            );
            let mut show = |label: &str, vals: &[crate::model::FieldValue]| {
                for v in vals {
                    let value = v.value.as_ref().map_or_else(|| format!("ERROR {}", v.error.as_deref().unwrap_or("")), |v| v.to_string());
                    let _ = writeln!(out, "{label} {:<34} {:<30} conf {:>3.0}  raw {:?}", v.path, value, v.prov.conf, v.raw);
                }
            };
            show("header", &x.header);
            show("field ", &x.fields);
            for (t, row) in &x.rows {
                show(&format!("table{t}"), row);
            }
            // `inspect FILE | head`: a reader that stops early is not an error.
            use std::io::Write as _;
            match std::io::stdout().lock().write_all(out.as_bytes()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
                _ => {}
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Review { command } => crate::review::cli::dispatch(command),
        Command::Serve { db, bind, pipeline, archive, idle_minutes, tls_cert, tls_key } => {
            let config = crate::station::Config {
                db,
                bind,
                pipeline: load_pipeline(pipeline.as_deref())?,
                archive,
                idle: std::time::Duration::from_secs(idle_minutes.max(1) * 60),
                tls: tls_cert.zip(tls_key).map(|(cert, key)| crate::station::Tls { cert, key }),
            };
            let scheme = if config.tls.is_some() { "https" } else { "http" };
            crate::station::serve(config, |addr| eprintln!("chartmill station: serving on {scheme}://{addr}/ (Ctrl-C stops)"))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::User { command } => user_command(command),
        Command::Audit { db, chart, kind, operator } => {
            let operator = operator.unwrap_or_else(os_user);
            let store = open_existing(&db)?;
            let rows = crate::review::audit_rows(&store, chart.as_deref(), kind)?;
            store.audit(&store::AuditEntry {
                operator: &operator,
                action: "viewed",
                chart_id: chart.as_deref(),
                reason: Some("audit shown on the command line"),
                ..store::AuditEntry::default()
            })?;
            let mut out = std::io::stdout().lock();
            for r in &rows {
                let dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".into());
                writeln!(
                    out,
                    "{}  {:<12} {:<16} {}  {}  {} -> {}  {}",
                    r.at,
                    r.operator,
                    r.action,
                    dash(&r.chart_id),
                    dash(&r.field),
                    dash(&r.old_value),
                    dash(&r.new_value),
                    dash(&r.reason)
                )?;
            }
            writeln!(out, "{} audit row(s) ({})", rows.len(), kind.as_str())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Reconcile { archive, db, pipeline, json } => {
            let unit = load_pipeline(pipeline.as_deref())?.chart;
            let report = crate::reconcile::reconcile(&archive, &open_existing(&db)?, unit)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.to_text());
            }
            Ok(ExitCode::from(report.exit_code()))
        }
        Command::Eval { truth, db, json } => {
            let truth = crate::eval::read_jsonl(&truth)?;
            let store = open_existing(&db)?;
            let exported = exported(&store)?;
            let report = crate::eval::evaluate(&truth, &exported);
            let calibration =
                crate::eval::calibration(&truth, &exported, &stored_values(&store)?, crate::calibrate::Model::builtin());
            if json {
                let mut v = serde_json::to_value(&report)?;
                v["calibration"] = serde_json::to_value(&calibration)?;
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                print!("{}", report.to_text());
                print!("{}", calibration.to_text());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Calibrate { truth, db, out } => {
            if truth.len() != db.len() {
                anyhow::bail!("give --truth and --db in pairs, one pair per archive ({} and {} given)", truth.len(), db.len());
            }
            let mut samples = Vec::new();
            let mut fitted_on = Vec::new();
            for (t, d) in truth.iter().zip(&db) {
                let truth_docs = crate::eval::read_jsonl(t)?;
                let store = open_existing(d)?;
                samples.extend(crate::eval::judged_values(&truth_docs, &exported(&store)?, &stored_values(&store)?));
                fitted_on.push(format!("{} ({} charts)", t.display(), truth_docs.len()));
            }
            let n = samples.len();
            let model = crate::calibrate::Model::fit(samples, fitted_on);
            let mut f = crate::store::create_private(&out).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
            use std::io::Write as _;
            writeln!(f, "{}", serde_json::to_string_pretty(&model)?)?;
            eprintln!("calibrate: {n} values, {} wrong; model written to {}", model.total.wrong, out.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}
