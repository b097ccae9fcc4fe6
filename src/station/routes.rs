//! The station's handlers. Each one is: find the session (or send the
//! browser to the login page), check the role, open the store on a
//! blocking thread, call the review core, answer with a page, an image or
//! a redirect (POST, then redirect, then GET).
//!
//! Charts are named in the query string (`/chart?id=box-01/thompson`), not
//! the path: chart ids hold slashes and spaces.

use super::auth::{self, Login};
use super::pages::{self, ChartPage, Flash, QueueFilter, QueuePage};
use super::Station;
use crate::model::FlagCode;
use crate::review::{self, Action, FlagSelector, Request, ReviewError, WaiveReason};
use crate::store::{AuditEntry, Role, Session, Store, StoreError};
use axum::extract::{FromRequestParts, Query, State};
use axum::http::{header, request::Parts, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use std::path::PathBuf;
use std::sync::Arc;

type Shared = Arc<Station>;

/// The station's routes.
pub fn router(station: Shared) -> Router {
    Router::new()
        .route("/", get(queue))
        .route("/login", get(login_form).post(login_post))
        .route("/logout", post(logout))
        .route("/next", get(next))
        .route("/chart", get(chart))
        .route("/page", get(page_image))
        .route("/zoom", get(zoom_image))
        .route("/act", post(act))
        .route("/users", get(users).post(users_post))
        .route("/audit", get(audit))
        .route("/static/station.js", get(script))
        .route("/static/station.css", get(style))
        .fallback(|| async { WebError::NotFound("no such page".into()) })
        .layer(axum::middleware::map_response(security_headers))
        .with_state(station)
}

/// Headers on every response: nothing cached (patient data), nothing framed
/// or loaded from elsewhere.
async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}

/// What a handler can answer instead of its page.
#[derive(Debug)]
pub enum WebError {
    /// No live session: to the login page.
    Login,
    /// The role may not do this.
    Forbidden(&'static str),
    /// The form did not carry the session's CSRF token.
    Csrf,
    NotFound(String),
    BadRequest(String),
    /// The review core refused: the page again, with the reason.
    Refused(Box<ChartPage>, String),
    Internal(String),
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> WebError {
        WebError::Internal(e.to_string())
    }
}

impl From<auth::AuthError> for WebError {
    fn from(e: auth::AuthError) -> WebError {
        match e {
            auth::AuthError::Store(s) => s.into(),
            other => WebError::BadRequest(other.to_string()),
        }
    }
}

impl From<ReviewError> for WebError {
    fn from(e: ReviewError) -> WebError {
        match e {
            ReviewError::Refused(review::Refusal::NoChart { chart_id }) => WebError::NotFound(format!("no chart {chart_id}")),
            ReviewError::Refused(r) => WebError::BadRequest(r.to_string()),
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::Login => Redirect::to("/login").into_response(),
            WebError::Forbidden(what) => {
                (StatusCode::FORBIDDEN, Html(pages::message("Not allowed", &format!("Your role cannot {what}.")))).into_response()
            }
            WebError::Csrf => (
                StatusCode::FORBIDDEN,
                Html(pages::message("Refused", "The form was not sent from this station's page (CSRF check): open the page again.")),
            )
                .into_response(),
            WebError::NotFound(m) => (StatusCode::NOT_FOUND, Html(pages::message("Not found", &m))).into_response(),
            WebError::BadRequest(m) => (StatusCode::BAD_REQUEST, Html(pages::message("Refused", &m))).into_response(),
            WebError::Refused(page, m) => (StatusCode::CONFLICT, Html(pages::chart(&page, Some(&Flash::Refused(m))))).into_response(),
            WebError::Internal(m) => {
                // Store and I/O errors name files, charts and operations, never values.
                tracing::error!("station: {m}");
                (StatusCode::INTERNAL_SERVER_ERROR, Html(pages::message("Error", "Something failed; the error is in the station's log.")))
                    .into_response()
            }
        }
    }
}

/// Run `f` with a freshly opened store on a blocking thread.
async fn blocking<T, F>(st: &Shared, f: F) -> Result<T, WebError>
where
    T: Send + 'static,
    F: FnOnce(&Store, &Station) -> Result<T, WebError> + Send + 'static,
{
    let st = st.clone();
    tokio::task::spawn_blocking(move || {
        let store = Store::open(&st.db)?;
        f(&store, &st)
    })
    .await
    .map_err(|e| WebError::Internal(format!("a handler failed: {e}")))?
}

/// The person at the browser: a live session.
#[derive(Clone, Debug)]
pub struct Who {
    pub session: Session,
    token: String,
}

impl Who {
    pub fn name(&self) -> &str {
        &self.session.user
    }

    fn require_technician(&self, what: &'static str) -> Result<(), WebError> {
        if auth::changes_records(self.session.role) {
            Ok(())
        } else {
            Err(WebError::Forbidden(what))
        }
    }

    fn require_admin(&self, what: &'static str) -> Result<(), WebError> {
        if auth::manages(self.session.role) {
            Ok(())
        } else {
            Err(WebError::Forbidden(what))
        }
    }

    fn check_csrf(&self, sent: &str) -> Result<(), WebError> {
        if auth::same_token(sent, &self.session.csrf) {
            Ok(())
        } else {
            Err(WebError::Csrf)
        }
    }
}

impl FromRequestParts<Shared> for Who {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, st: &Shared) -> Result<Who, WebError> {
        let token = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(auth::token_from_cookies)
            .map(str::to_string)
            .ok_or(WebError::Login)?;
        let t = token.clone();
        let session = blocking(st, move |store, st| Ok(auth::session(store, &t, st.idle)?)).await?.ok_or(WebError::Login)?;
        Ok(Who { session, token })
    }
}

// ---- login ----------------------------------------------------------------

async fn login_form() -> Html<String> {
    Html(pages::login(None))
}

#[derive(serde::Deserialize)]
struct LoginForm {
    name: String,
    password: String,
}

async fn login_post(State(st): State<Shared>, Form(form): Form<LoginForm>) -> Result<Response, WebError> {
    let name = form.name.trim().to_string();
    let outcome = blocking(&st, move |store, _| Ok(auth::login(store, &name, &form.password)?)).await?;
    Ok(match outcome {
        Login::Ok { token, .. } => {
            let mut res = Redirect::to("/").into_response();
            let cookie = HeaderValue::from_str(&auth::session_cookie(&token, st.secure)).map_err(|e| WebError::Internal(e.to_string()))?;
            res.headers_mut().insert(header::SET_COOKIE, cookie);
            res
        }
        Login::Refused => (StatusCode::UNAUTHORIZED, Html(pages::login(Some("Wrong name or password.")))).into_response(),
        Login::Locked => (
            StatusCode::TOO_MANY_REQUESTS,
            Html(pages::login(Some(&format!(
                "Too many failed logins for this name: try again in {} minutes, or ask an administrator.",
                auth::LOCK_MINUTES
            )))),
        )
            .into_response(),
    })
}

#[derive(serde::Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(State(st): State<Shared>, who: Who, Form(form): Form<CsrfForm>) -> Result<Response, WebError> {
    who.check_csrf(&form.csrf)?;
    let (token, user) = (who.token.clone(), who.name().to_string());
    blocking(&st, move |store, _| Ok(auth::logout(store, &token, &user)?)).await?;
    let mut res = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::cleared_cookie(st.secure)) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

// ---- the queue ------------------------------------------------------------

fn parse_flag(s: Option<&str>) -> Result<Option<FlagCode>, WebError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => FlagCode::parse(s).map(Some).ok_or_else(|| WebError::BadRequest(format!("no flag code {s}"))),
    }
}

async fn queue(State(st): State<Shared>, who: Who, Query(filter): Query<QueueFilter>) -> Result<Html<String>, WebError> {
    let code = parse_flag(filter.flag.as_deref())?;
    let page = blocking(&st, move |store, _| {
        let all = store.review_queue(None)?;
        let shown = all
            .iter()
            .filter(|q| code.is_none_or(|c| q.open.iter().any(|(k, _)| *k == c)))
            .filter(|q| filter.doc.as_deref().filter(|d| !d.is_empty()).is_none_or(|d| q.doc_types.iter().any(|t| t == d)))
            .filter(|q| filter.batch.is_none_or(|b| q.batch_id == b))
            .cloned()
            .collect();
        Ok(QueuePage { who: who.session.clone(), all, shown, filter })
    })
    .await?;
    Ok(Html(pages::queue(&page)))
}

async fn next(State(st): State<Shared>, who: Who, Query(filter): Query<QueueFilter>) -> Result<Response, WebError> {
    let code = parse_flag(filter.flag.as_deref())?;
    let me = who.name().to_string();
    let found = blocking(&st, move |store, _| {
        Ok(store
            .review_queue(code)?
            .into_iter()
            .find(|q| q.hold.is_none() && q.claimed_by.as_deref().is_none_or(|by| by == me))
            .map(|q| q.chart_id))
    })
    .await?;
    Ok(match found {
        Some(id) => Redirect::to(&chart_url(&id, None)).into_response(),
        None => Redirect::to("/?empty=1").into_response(),
    })
}

pub fn chart_url(id: &str, field: Option<&str>) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("id", id);
    if let Some(f) = field {
        q.append_pair("field", f);
    }
    format!("/chart?{}", q.finish())
}

// ---- one chart ------------------------------------------------------------

#[derive(serde::Deserialize)]
struct ChartQuery {
    id: String,
    /// The field to zoom on.
    field: Option<String>,
    /// What the last action did (lines naming fields and flags, no values).
    done: Option<String>,
}

fn load_chart_page(store: &Store, st: &Station, who: &Who, id: &str, field: Option<String>) -> Result<ChartPage, WebError> {
    let view = review::view(store, who.name(), id, "values shown in the web station")?;
    Ok(ChartPage::new(who.session.clone(), view, field, &st.pipeline))
}

async fn chart(State(st): State<Shared>, who: Who, Query(q): Query<ChartQuery>) -> Result<Html<String>, WebError> {
    let done = q.done.clone();
    let page = blocking(&st, move |store, st| load_chart_page(store, st, &who, &q.id, q.field)).await?;
    Ok(Html(pages::chart(&page, done.as_deref().map(|d| Flash::Done(d.to_string())).as_ref())))
}

#[derive(serde::Deserialize)]
struct ImageQuery {
    id: String,
    #[serde(default)]
    n: Option<u32>,
    field: Option<String>,
}

fn archive_of(st: &Station, state: &crate::store::ReviewState) -> PathBuf {
    st.archive.clone().unwrap_or_else(|| PathBuf::from(&state.archive))
}

fn png_response(bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "image/png")], bytes).into_response()
}

/// The chart an image is cut from, the view audited before anything is shown.
fn image_view(store: &Store, who: &Who, id: &str, field: Option<&str>, shown: &str) -> Result<crate::store::ReviewState, WebError> {
    let state = store.review_state(id)?.ok_or_else(|| WebError::NotFound(format!("no chart {id}")))?;
    store.audit(&AuditEntry { operator: who.name(), action: "viewed", chart_id: Some(id), field, reason: Some(shown), ..AuditEntry::default() })?;
    Ok(state)
}

/// A page of the chart with every value's box drawn (audited).
async fn page_image(State(st): State<Shared>, who: Who, Query(q): Query<ImageQuery>) -> Result<Response, WebError> {
    let n = q.n.unwrap_or(1);
    let bytes = blocking(&st, move |store, st| {
        let state = image_view(store, &who, &q.id, None, &format!("page {n} image shown in the web station"))?;
        let (gray, _) = review::crop::upright(&state, &archive_of(st, &state), n).map_err(WebError::NotFound)?;
        Ok(review::crop::png(&review::crop::draw_boxes(&gray, &state, n, q.field.as_deref(), 1100)))
    })
    .await?;
    Ok(png_response(bytes))
}

/// The zoom on one field (audited).
async fn zoom_image(State(st): State<Shared>, who: Who, Query(q): Query<ImageQuery>) -> Result<Response, WebError> {
    let field = q.field.clone().ok_or_else(|| WebError::BadRequest("which field? (field=...)".into()))?;
    let bytes = blocking(&st, move |store, st| {
        let state = image_view(store, &who, &q.id, Some(&field), "field zoom shown in the web station")?;
        let (page, bbox) = review::crop::field_region(&state, &field).map_err(WebError::NotFound)?;
        let (gray, dpi) = review::crop::upright(&state, &archive_of(st, &state), page).map_err(WebError::NotFound)?;
        let z = review::crop::zoom(&gray, dpi, &bbox).ok_or_else(|| WebError::NotFound("the box lies outside the page".into()))?;
        Ok(review::crop::png(&z))
    })
    .await?;
    Ok(png_response(bytes))
}

/// One action on a chart, as a form sends it.
#[derive(Clone, Debug, Default, serde::Deserialize)]
struct ActForm {
    #[serde(default)]
    csrf: String,
    id: String,
    /// The revision the page showed.
    revision: Option<i64>,
    op: String,
    #[serde(default)]
    field: String,
    #[serde(default)]
    value: String,
    /// The value as the page showed it: equal to `value` means "confirm".
    original: Option<String>,
    #[serde(default)]
    reason: String,
    flag: Option<i64>,
    because: Option<String>,
    #[serde(default)]
    drop_parts: Option<String>,
    /// After approving, open the next chart.
    #[serde(default)]
    then_next: Option<String>,
    /// Reading a page again: which, turned how far, as what.
    page: Option<u32>,
    turn: Option<u32>,
    #[serde(default)]
    doc_type: String,
    #[serde(default)]
    drop_records: Option<String>,
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// The core's action for a form.
fn action_of(form: &ActForm) -> Result<Action, WebError> {
    let field = || non_empty(&form.field).ok_or_else(|| WebError::BadRequest("which field?".into()));
    Ok(match form.op.as_str() {
        // Enter in a value's box: unchanged means confirmed, changed means corrected.
        "save" if form.original.as_deref().map(str::trim) == Some(form.value.trim()) => Action::Confirm { field: field()? },
        "save" | "correct" => Action::Correct {
            field: field()?,
            value: form.value.clone(),
            reason: non_empty(&form.reason),
            drop_parts: form.drop_parts.is_some(),
        },
        "confirm" => Action::Confirm { field: field()? },
        "waive" => {
            let because = form.because.as_deref().unwrap_or("");
            let reason = WaiveReason::parse(because).ok_or_else(|| WebError::BadRequest("choose why the flag is waived".into()))?;
            Action::Waive {
                which: FlagSelector { id: form.flag, code: None, field: None },
                reason,
                note: non_empty(&form.reason),
            }
        }
        "hold" => Action::Hold { reason: form.reason.clone() },
        "escalate" => Action::Escalate { reason: form.reason.clone() },
        "release" => Action::Release,
        "claim" => Action::Claim,
        "unclaim" => Action::Unclaim,
        "approve" => Action::Approve { note: non_empty(&form.reason) },
        "reject" => Action::Reject { reason: form.reason.clone() },
        "reopen" => Action::Reopen { reason: form.reason.clone() },
        "read_again" => Action::ReadAgain {
            page: form.page.ok_or_else(|| WebError::BadRequest("which page?".into()))?,
            turn: form.turn.unwrap_or(0),
            doc_type: non_empty(&form.doc_type),
            archive: None,
            drop_records: form.drop_records.is_some(),
        },
        other => return Err(WebError::BadRequest(format!("no action {other}"))),
    })
}

async fn act(State(st): State<Shared>, who: Who, Form(form): Form<ActForm>) -> Result<Response, WebError> {
    who.check_csrf(&form.csrf)?;
    who.require_technician("change a chart")?;
    let mut action = action_of(&form)?;
    if let Action::ReadAgain { archive, .. } = &mut action {
        archive.clone_from(&st.archive);
    }
    let approving = matches!(action, Action::Approve { .. });
    let then_next = form.then_next.is_some();
    let outcome = blocking(&st, move |store, st| {
        let req = Request { operator: who.name(), chart_id: &form.id, revision: form.revision };
        match review::apply(store, &st.pipeline, req, action) {
            Ok(outcome) => Ok((form.id, form.field, outcome)),
            Err(ReviewError::Refused(r)) => {
                // The chart again, with the reason and what was typed.
                let mut page = load_chart_page(store, st, &who, &form.id, non_empty(&form.field))?;
                page.typed = Some(match form.page {
                    // A page's read refused: offer to accept fewer records.
                    Some(n) if form.op == "read_again" => (format!("page {n}"), String::new()),
                    _ => (form.field.clone(), form.value.clone()),
                });
                Err(WebError::Refused(Box::new(page), r.to_string()))
            }
            Err(e) => Err(e.into()),
        }
    })
    .await?;
    let (id, _field, outcome) = outcome;
    if approving && then_next {
        return Ok(Redirect::to("/next").into_response());
    }
    let done = outcome.lines.join("\n");
    let mut url = chart_url(&id, None);
    url.push_str("&done=");
    url.push_str(&form_urlencoded::byte_serialize(done.as_bytes()).collect::<String>());
    Ok(Redirect::to(&url).into_response())
}

// ---- users and the audit --------------------------------------------------

async fn users(State(st): State<Shared>, who: Who) -> Result<Html<String>, WebError> {
    who.require_admin("manage users")?;
    let list = blocking(&st, |store, _| Ok(store.users()?)).await?;
    Ok(Html(pages::users(&who.session, &list, None)))
}

#[derive(serde::Deserialize)]
struct UserForm {
    #[serde(default)]
    csrf: String,
    op: String,
    name: String,
    role: Option<String>,
    #[serde(default)]
    password: String,
}

async fn users_post(State(st): State<Shared>, who: Who, Form(form): Form<UserForm>) -> Result<Response, WebError> {
    who.check_csrf(&form.csrf)?;
    who.require_admin("manage users")?;
    let me = who.name().to_string();
    let session = who.session.clone();
    let (list, said) = blocking(&st, move |store, _| {
        let name = auth::check_name(form.name.trim())?.to_string();
        let said = match form.op.as_str() {
            "add" => {
                let role = form.role.as_deref().and_then(Role::parse).ok_or_else(|| WebError::BadRequest("choose a role".into()))?;
                let hash = auth::hash_password(&form.password)?;
                if store.add_user(&name, role, &hash, &me)? {
                    format!("user {name} added as {}", role.as_str())
                } else {
                    format!("there is already a user {name}")
                }
            }
            "disable" if name == me => "you cannot disable yourself".to_string(),
            "disable" => {
                if store.disable_user(&name, &me)? {
                    format!("user {name} disabled; their sessions ended")
                } else {
                    format!("no enabled user {name}")
                }
            }
            other => return Err(WebError::BadRequest(format!("no user action {other}"))),
        };
        Ok((store.users()?, said))
    })
    .await?;
    Ok(Html(pages::users(&session, &list, Some(&said))).into_response())
}

#[derive(serde::Deserialize)]
struct AuditQuery {
    chart: Option<String>,
    /// `views`, `changes` or all.
    kind: Option<String>,
}

async fn audit(State(st): State<Shared>, who: Who, Query(q): Query<AuditQuery>) -> Result<Html<String>, WebError> {
    who.require_admin("read the audit")?;
    let session = who.session.clone();
    let page = blocking(&st, move |store, _| {
        let chart = q.chart.as_deref().filter(|c| !c.is_empty());
        let rows = crate::review::audit_rows(store, chart, crate::review::AuditKind::parse(q.kind.as_deref()))?;
        store.audit(&AuditEntry {
            operator: &session.user,
            action: "viewed",
            chart_id: chart,
            reason: Some("audit shown in the web station"),
            ..AuditEntry::default()
        })?;
        Ok(pages::audit(&session, &rows, chart, q.kind.as_deref()))
    })
    .await?;
    Ok(Html(page))
}

// ---- assets ---------------------------------------------------------------

async fn script() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("assets/station.js"))
}

async fn style() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("assets/station.css"))
}
