//! The verification station: the review core ([`crate::review::core`]) in
//! a browser, served by `chartmill serve`.
//!
//! Server-rendered HTML (maud), one small script of our own for the keys
//! (`assets/station.js`, served from the binary: nothing is fetched from
//! anywhere at run time), no state in the browser but the session cookie.
//! Every handler opens the store on a blocking thread, checks the session
//! and the role, and calls the review core, which checks and applies the
//! action in one transaction; the station adds no rule of its own about
//! charts.
//!
//! - [`auth`]: passwords (argon2), sessions (a random token in an HttpOnly,
//!   SameSite=Strict cookie; only its hash is stored), CSRF tokens, the idle
//!   timeout, the limit on failed logins, roles.
//! - [`routes`]: the handlers and the router.
//! - [`pages`]: the HTML.
//!
//! # Invariants
//!
//! - Every response that shows a chart's values or images is preceded by an
//!   audit row (`viewed`, who, when, which chart, what was shown); logins,
//!   failed logins and logouts are audited too.
//! - Only a technician changes a chart; every change carries the CSRF token
//!   of its session and the revision the reviewer saw.
//! - No patient value is written to a log; responses are `no-store`.
//! - The station listens on loopback unless it is given a certificate: a
//!   non-loopback address without TLS is refused.

pub mod auth;
mod pages;
pub mod routes;

pub use routes::router;

use crate::pipeline::Pipeline;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// What `chartmill serve` was given.
#[derive(Clone, Debug)]
pub struct Config {
    pub db: PathBuf,
    pub bind: SocketAddr,
    /// The pipeline corrections are normalised and validated with.
    pub pipeline: Pipeline,
    /// Where the scanned files are, when not where the batch read them.
    pub archive: Option<PathBuf>,
    /// A session unused this long is ended.
    pub idle: Duration,
    pub tls: Option<Tls>,
}

/// A certificate chain and its private key, PEM files.
#[derive(Clone, Debug)]
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// What every handler shares.
#[derive(Debug)]
pub struct Station {
    pub db: PathBuf,
    pub pipeline: Pipeline,
    pub archive: Option<PathBuf>,
    pub idle: Duration,
    /// Cookies marked `Secure` (served over TLS).
    pub secure: bool,
}

impl Station {
    pub fn new(config: &Config) -> Arc<Station> {
        Arc::new(Station {
            db: config.db.clone(),
            pipeline: config.pipeline.clone(),
            archive: config.archive.clone(),
            idle: config.idle,
            secure: config.tls.is_some(),
        })
    }
}

/// Why the station cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0} is not a loopback address: serving beyond this machine needs TLS (--tls-cert FILE --tls-key FILE)")]
    NeedsTls(SocketAddr),
    #[error("database {} does not exist: run `chartmill run` first", .0.display())]
    NoDatabase(PathBuf),
    #[error("cannot listen on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("TLS: {0}")]
    Tls(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Check the configuration before anything listens.
pub fn check(config: &Config) -> Result<(), ServeError> {
    if !config.bind.ip().is_loopback() && config.tls.is_none() {
        return Err(ServeError::NeedsTls(config.bind));
    }
    if !config.db.exists() {
        return Err(ServeError::NoDatabase(config.db.clone()));
    }
    // Open once: migrate an older database before the first request.
    crate::store::Store::open(&config.db)?;
    Ok(())
}

/// Serve until Ctrl-C. `ready` is called with the address listened on.
pub fn serve(config: Config, ready: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    check(&config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let station = Station::new(&config);
        let app = router(station);
        match &config.tls {
            None => {
                let listener = tokio::net::TcpListener::bind(config.bind)
                    .await
                    .map_err(|source| ServeError::Bind { addr: config.bind, source })?;
                ready(listener.local_addr()?);
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = tokio::signal::ctrl_c().await;
                    })
                    .await?;
            }
            Some(tls) => {
                let rustls = axum_server::tls_rustls::RustlsConfig::from_pem_file(&tls.cert, &tls.key)
                    .await
                    .map_err(|e| ServeError::Tls(format!("{} / {}: {e}", tls.cert.display(), tls.key.display())))?;
                let handle = axum_server::Handle::new();
                let stop = handle.clone();
                tokio::spawn(async move {
                    let _ = tokio::signal::ctrl_c().await;
                    stop.graceful_shutdown(Some(Duration::from_secs(5)));
                });
                let std_listener = std::net::TcpListener::bind(config.bind)
                    .map_err(|source| ServeError::Bind { addr: config.bind, source })?;
                std_listener.set_nonblocking(true)?;
                ready(std_listener.local_addr()?);
                axum_server::from_tcp_rustls(std_listener, rustls).handle(handle).serve(app.into_make_service()).await?;
            }
        }
        Ok(())
    })
}
