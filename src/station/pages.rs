//! The station's HTML (maud: escaped by construction). No inline script
//! or style: the content security policy allows only the station's own
//! files.

use super::routes::chart_url;
use crate::model::FlagCode;
use crate::pipeline::Pipeline;
use crate::review::draft::{as_input, correctable_field, display, field_kind};
use crate::review::duplicates::Identity;
use crate::review::{ChartView, WaiveReason};
use crate::store::{AuditRecord, QueuedChart, Session, User};
use maud::{html, Markup, DOCTYPE};

/// The queue's filters, from the query string.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct QueueFilter {
    pub flag: Option<String>,
    pub doc: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub batch: Option<i64>,
    /// Set when "next" found no chart.
    pub empty: Option<String>,
}

fn empty_as_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let s: Option<String> = serde::Deserialize::deserialize(d)?;
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => t.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

pub struct QueuePage {
    pub who: Session,
    /// Every chart waiting, for the counts.
    pub all: Vec<QueuedChart>,
    /// Those the filters keep.
    pub shown: Vec<QueuedChart>,
    pub filter: QueueFilter,
}

/// What the last action said.
pub enum Flash {
    Done(String),
    Refused(String),
}

/// One field of the chart as the reviewer works on it.
#[derive(Clone, Debug)]
pub struct FieldRow {
    pub field: String,
    /// The text to edit (a composite value as read; diagnoses `;`-separated).
    pub input: String,
    /// The value as stored (parts named), for reading.
    pub shown: String,
    pub conf: f32,
    pub page: Option<u32>,
    pub verified: bool,
    /// Open flags on the field: id, code.
    pub flags: Vec<(i64, FlagCode)>,
    /// Why the value could not be normalised.
    pub error: Option<String>,
    /// A composite field's parts, each correctable on its own (shown for
    /// a flagged field): a diagnosis code is fixed without retyping the list.
    pub parts: Vec<PartRow>,
    /// Some open flag is on the whole field (not only on one of its parts).
    pub whole_flagged: bool,
}

/// One part of a composite field.
#[derive(Clone, Debug)]
pub struct PartRow {
    pub path: String,
    pub input: String,
    /// An open flag is on this part.
    pub flagged: bool,
}

#[derive(Debug)]
pub struct ChartPage {
    pub who: Session,
    pub view: ChartView,
    /// The field zoomed on.
    pub selected: Option<String>,
    pub rows: Vec<FieldRow>,
    /// What was typed into a refused form: field, text.
    pub typed: Option<(String, String)>,
    /// The pipeline's document types, for reading a page again as one.
    pub doc_types: Vec<String>,
}

impl ChartPage {
    pub fn new(who: Session, view: ChartView, selected: Option<String>, pipeline: &Pipeline) -> ChartPage {
        let state = &view.state;
        let values: Vec<crate::model::FieldValue> = state.values.iter().map(|v| v.value.clone()).collect();
        let mut rows: Vec<FieldRow> = Vec::new();
        for sv in &state.values {
            let field = &sv.value.field;
            if rows.iter().any(|r| &r.field == field) {
                continue;
            }
            let group: Vec<&crate::store::StoredValue> = state.values.iter().filter(|v| &v.value.field == field).collect();
            // A field read as several groups (a street line and a city,
            // state and ZIP line): each group's text, so the box shows all.
            let mut kinds: Vec<crate::pipeline::ValueType> = Vec::new();
            for v in &group {
                if !kinds.contains(&v.value.kind) {
                    kinds.push(v.value.kind);
                }
            }
            let input = if kinds.len() > 1 {
                kinds
                    .iter()
                    .filter_map(|k| as_input(group.iter().map(|v| &v.value).filter(|v| v.kind == *k)))
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ")
            } else {
                as_input(group.iter().map(|v| &v.value)).unwrap_or_default()
            };
            let diagnoses = field_kind(pipeline, field, &values) == Some(crate::pipeline::ValueType::Diagnoses);
            let input = if diagnoses { input.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ") } else { input };
            rows.push(FieldRow {
                field: field.clone(),
                input,
                shown: display(group.iter().map(|v| &v.value)).unwrap_or_default(),
                conf: group.iter().map(|v| v.value.prov.conf).fold(f32::INFINITY, f32::min),
                page: group.first().map(|v| v.value.prov.page),
                verified: group.iter().all(|v| v.verified.is_some()),
                flags: Vec::new(),
                error: group.iter().find_map(|v| v.value.error.clone()),
                parts: group
                    .iter()
                    .filter(|v| v.value.path != *field && v.value.value.is_some())
                    .map(|v| PartRow {
                        path: v.value.path.clone(),
                        input: v.value.value.as_ref().map(|x| x.to_string()).unwrap_or_default(),
                        flagged: false,
                    })
                    .collect(),
                whole_flagged: false,
            });
        }
        for f in state.open_flags() {
            let Some(flagged) = f.flag.field.as_deref() else { continue };
            let holder = correctable_field(&values, flagged);
            match rows.iter_mut().find(|r| r.field == holder) {
                Some(r) => {
                    r.flags.push((f.id, f.flag.code));
                    match r.parts.iter_mut().find(|p| p.path == flagged) {
                        Some(p) => p.flagged = true,
                        None => r.whole_flagged = true,
                    }
                }
                None => rows.push(FieldRow {
                    field: holder,
                    input: String::new(),
                    shown: String::new(),
                    conf: 0.0,
                    page: f.flag.page,
                    verified: false,
                    flags: vec![(f.id, f.flag.code)],
                    error: None,
                    parts: Vec::new(),
                    whole_flagged: true,
                }),
            }
        }
        // Flagged fields first, in the order of the page, then the rest.
        rows.sort_by_key(|r| (r.flags.is_empty(), r.page.unwrap_or(u32::MAX)));
        let selected = selected.or_else(|| rows.iter().find(|r| !r.flags.is_empty()).map(|r| r.field.clone()));
        let doc_types = pipeline.documents.iter().map(|d| d.doc_type.clone()).collect();
        ChartPage { who, view, selected, rows, typed: None, doc_types }
    }

    fn id(&self) -> &str {
        &self.view.state.chart_id
    }

    fn revision(&self) -> i64 {
        self.view.state.queue.as_ref().map_or(0, |q| q.revision)
    }

    fn can_change(&self) -> bool {
        super::auth::changes_records(self.who.role) && self.view.state.is_waiting()
    }
}

fn layout(title: &str, who: Option<&Session>, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · chartmill" }
                link rel="stylesheet" href="/static/station.css";
                script src="/static/station.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/" { "chartmill" }
                    @if let Some(s) = who {
                        nav {
                            a href="/" { "Queue" }
                            a href="/next" accesskey="n" { "Next chart" }
                            @if super::auth::manages(s.role) {
                                a href="/users" { "Users" }
                                a href="/audit" { "Audit" }
                            }
                        }
                        span.who { (s.user) " · " (s.role.as_str()) }
                        form.logout method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(s.csrf);
                            button type="submit" { "Log out" }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
    .into_string()
}

pub fn message(title: &str, text: &str) -> String {
    layout(title, None, html! { h1 { (title) } p.message { (text) } p { a href="/" { "Back to the queue" } } })
}

pub fn login(error: Option<&str>) -> String {
    layout(
        "Log in",
        None,
        html! {
            h1 { "Log in" }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form.login method="post" action="/login" {
                label { "Name " input name="name" autocomplete="username" autofocus required; }
                label { "Password " input name="password" type="password" autocomplete="current-password" required; }
                button type="submit" { "Log in" }
            }
        },
    )
}

fn flag_counts(open: &[(FlagCode, u32)]) -> Markup {
    html! {
        @for (code, n) in open {
            span.flag { (code.as_str()) @if *n > 1 { " ×" (n) } }
            " "
        }
    }
}

pub fn queue(p: &QueuePage) -> String {
    let mut by_code: Vec<(FlagCode, usize)> =
        FlagCode::ALL.iter().map(|c| (*c, p.all.iter().filter(|q| q.open.iter().any(|(k, _)| k == c)).count())).collect();
    by_code.retain(|(_, n)| *n > 0);
    let mut doc_types: Vec<&str> = p.all.iter().flat_map(|q| q.doc_types.iter().map(String::as_str)).collect();
    doc_types.sort_unstable();
    doc_types.dedup();
    let mut batches: Vec<i64> = p.all.iter().map(|q| q.batch_id).collect();
    batches.sort_unstable();
    batches.dedup();
    let held = p.all.iter().filter(|q| q.hold.is_some()).count();
    let f = &p.filter;
    let mut next = form_urlencoded::Serializer::new(String::new());
    if let Some(c) = f.flag.as_deref().filter(|c| !c.is_empty()) {
        next.append_pair("flag", c);
    }
    let next = format!("/next?{}", next.finish());
    layout(
        "Review queue",
        Some(&p.who),
        html! {
            h1 { "Review queue" }
            @if f.empty.is_some() { p.notice role="status" { "No chart is waiting that you can take (held charts and charts claimed by others are skipped)." } }
            p.counts {
                strong { (p.all.len()) } " charts waiting"
                @if held > 0 { ", " (held) " held or escalated" }
                ". "
                @for (code, n) in &by_code { span.flag { (code.as_str()) " " (n) } " " }
            }
            form.filters method="get" action="/" {
                label { "Flag " select name="flag" {
                    option value="" { "any" }
                    @for (code, _) in &by_code {
                        option value=(code.as_str()) selected[f.flag.as_deref() == Some(code.as_str())] { (code.as_str()) }
                    }
                } }
                label { "Document " select name="doc" {
                    option value="" { "any" }
                    @for d in &doc_types { option value=(d) selected[f.doc.as_deref() == Some(*d)] { (d) } }
                } }
                label { "Batch " select name="batch" {
                    option value="" { "any" }
                    @for b in &batches { option value=(b) selected[f.batch == Some(*b)] { (b) } }
                } }
                button type="submit" { "Filter" }
                " "
                a.button href=(next) id="next" { "Open the next chart" }
            }
            table.queue {
                thead { tr { th { "Chart" } th { "Waiting since" } th { "Open flags" } th { "Documents" } th { "Batch" } th { "State" } } }
                tbody {
                    @for q in &p.shown {
                        tr {
                            td { a href=(chart_url(&q.chart_id, None)) { (q.chart_id) } }
                            td { (q.queued_at) }
                            td { (flag_counts(&q.open)) }
                            td { (q.doc_types.join(", ")) }
                            td { (q.batch_id) }
                            td {
                                @if let Some(h) = &q.hold { span.hold { (h.kind.as_str()) } " " }
                                @if let Some(by) = &q.claimed_by { "claimed by " (by) }
                            }
                        }
                    }
                }
            }
            @if p.shown.is_empty() { p { "No chart matches." } }
        },
    )
}

/// The hidden fields every chart form carries.
fn hidden(p: &ChartPage, op: &str) -> Markup {
    html! {
        (hidden_base(p))
        input type="hidden" name="op" value=(op);
    }
}

/// The same, for a form whose buttons say the action.
fn hidden_base(p: &ChartPage) -> Markup {
    html! {
        input type="hidden" name="csrf" value=(p.who.csrf);
        input type="hidden" name="id" value=(p.id());
        input type="hidden" name="revision" value=(p.revision());
    }
}

fn zoom_url(id: &str, field: &str) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("id", id).append_pair("field", field);
    format!("/zoom?{}", q.finish())
}

fn page_url(id: &str, n: u32) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("id", id).append_pair("n", &n.to_string());
    format!("/page?{}", q.finish())
}

/// The waiver reasons in the order they fit a flag: a duplicate patient is
/// checked, a page flag does not apply or is illegible, a value's flag is
/// about the page.
fn reasons_for(code: FlagCode) -> Vec<WaiveReason> {
    use WaiveReason::*;
    let first: &[WaiveReason] = match code {
        FlagCode::DuplicatePatient => &[DifferentPatient, SamePatient],
        FlagCode::IdentityMismatch => &[SamePatient, DifferentPatient, AsWritten],
        FlagCode::UnknownDocument => &[NotApplicable],
        FlagCode::UnreadablePage => &[Illegible, NotApplicable],
        FlagCode::MissingField => &[NotOnSource, Illegible, NotApplicable],
        _ => &[AsWritten, Illegible, NotOnSource],
    };
    let mut out = first.to_vec();
    out.extend(WaiveReason::ALL.into_iter().filter(|r| !first.contains(r)));
    out
}

fn identity(who: &Identity) -> Markup {
    html! {
        td { (who.mrn.as_deref().unwrap_or("-")) }
        td { (who.family.as_deref().unwrap_or("-")) ", " (who.given.as_deref().unwrap_or("-")) }
        td { (who.dob.as_deref().unwrap_or("-")) }
    }
}

pub fn chart(p: &ChartPage, flash: Option<&Flash>) -> String {
    let state = &p.view.state;
    let id = p.id();
    let change = p.can_change();
    let open: Vec<&crate::store::StoredFlag> = state.open_flags().collect();
    let status = match &state.queue {
        Some(q) if state.is_waiting() => {
            let mut s = format!("waiting since {} · revision {}", q.queued_at, q.revision);
            if let Some(h) = &q.hold {
                s.push_str(&format!(" · {} ({})", h.kind.as_str(), h.reason));
            }
            if let Some(by) = &q.claimed_by {
                s.push_str(&format!(" · claimed by {by}"));
            }
            s
        }
        Some(q) => format!(
            "{} by {} at {}{}",
            q.state,
            q.resolved_by.as_deref().unwrap_or("-"),
            q.resolved_at.as_deref().unwrap_or("-"),
            q.close_reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
        ),
        None => state.status.as_str().to_string(),
    };
    let closed = matches!(state.queue.as_ref().map(|q| q.state.as_str()), Some("approved" | "rejected"));
    let body = html! {
        section.head {
            h1 { "Chart " span.id { (id) } }
            p.status { (state.status.as_str()) " · " (status) " · pipeline " (state.pipeline_id) " · batch " (state.batch_id) }
            @match flash {
                Some(Flash::Done(m)) => { pre.done role="status" { (m) } }
                Some(Flash::Refused(m)) => { pre.error role="alert" id="refused" { (m) } }
                None => {}
            }
            @if change {
                div.actions {
                    form method="post" action="/act" id="approve" {
                        (hidden(p, "approve"))
                        input type="hidden" name="then_next" value="1";
                        button type="submit" disabled[!open.is_empty()] title="a: approve and open the next chart" {
                            "Approve and next (a)"
                        }
                        @if !open.is_empty() { span.hint { " " (open.len()) " flag(s) open" } }
                    }
                    form method="post" action="/act" {
                        (hidden(p, "reject"))
                        input name="reason" placeholder="why the chart is rejected" required;
                        button type="submit" { "Reject" }
                    }
                    form method="post" action="/act" {
                        (hidden_base(p))
                        input name="reason" placeholder="why it waits / is escalated" required;
                        button type="submit" name="op" value="hold" { "Hold" }
                        button type="submit" name="op" value="escalate" { "Escalate" }
                    }
                    @if state.queue.as_ref().is_some_and(|q| q.hold.is_some()) {
                        form method="post" action="/act" { (hidden(p, "release")) button type="submit" { "Release" } }
                    }
                    @if state.queue.as_ref().and_then(|q| q.claimed_by.as_deref()) == Some(p.who.user.as_str()) {
                        form method="post" action="/act" { (hidden(p, "unclaim")) button type="submit" { "Give up the claim" } }
                    } @else {
                        form method="post" action="/act" { (hidden(p, "claim")) button type="submit" { "Claim" } }
                    }
                }
            }
            @if closed && super::auth::changes_records(p.who.role) {
                form.actions method="post" action="/act" {
                    (hidden(p, "reopen"))
                    input name="reason" placeholder="why it is reopened" required;
                    button type="submit" { "Reopen" }
                }
            }
        }
        div.work {
            div.pages {
                @for pg in &state.pages {
                    figure.page {
                        figcaption {
                            "Page " (pg.at.page) " · " (pg.doc_type.as_deref().unwrap_or("no type")) " · " (pg.status.as_str())
                            " · " (pg.at.file) " p" (pg.at.file_page + 1)
                        }
                        img src=(page_url(id, pg.at.page)) alt={ "page " (pg.at.page) } loading="lazy";
                        @if change {
                            form.reread method="post" action="/act" {
                                (hidden(p, "read_again"))
                                input type="hidden" name="page" value=(pg.at.page);
                                label { "Turn " select name="turn" {
                                    option value="0" { "no" } option value="90" { "90° right" } option value="180" { "180°" } option value="270" { "90° left" }
                                } }
                                label { " as " select name="doc_type" {
                                    option value="" { "the type it shows" }
                                    @for d in &p.doc_types { option value=(d) { (d) } }
                                } }
                                @if p.typed.as_ref().is_some_and(|(f, _)| f == &format!("page {}", pg.at.page)) {
                                    label.drop { input type="checkbox" name="drop_records" value="1"; " the missing records are not on the page" }
                                }
                                button type="submit" { "Read the page again" }
                            }
                        }
                    }
                }
            }
            div.side {
                @if let Some(sel) = &p.selected {
                    figure.zoom { img #zoom src=(zoom_url(id, sel)) alt={ "zoom on " (sel) }; figcaption #zoomfield { (sel) } }
                }
                h2 { "Values" }
                p.keys { "Enter: confirm as read, or save what you typed · Tab: next flagged field · Alt+W: waive its flag · Esc: leave the box · a: approve" }
                @for r in &p.rows {
                    @let typed = p.typed.as_ref().filter(|(f, _)| f == &r.field).map(|(_, v)| v.as_str());
                    form.value.flagged[r.whole_flagged].flagpart[!r.whole_flagged && !r.flags.is_empty()].verified[r.verified] method="post" action="/act" data-field=(r.field) {
                        (hidden(p, "save"))
                        input type="hidden" name="field" value=(r.field);
                        input type="hidden" name="original" value=(r.input);
                        label {
                            span.field { (r.field) }
                            input.v name="value" value=(typed.unwrap_or(&r.input)) autocomplete="off" spellcheck="false"
                                data-zoom=(zoom_url(id, &r.field)) data-original=(r.input) readonly[!change];
                        }
                        span.meta {
                            @if r.verified { span.ok title="verified by a person" { "✓" } " " }
                            @if let Some(pg) = r.page { "p" (pg) " " }
                            @if r.conf.is_finite() && !r.flags.is_empty() { "conf " (format!("{:.0}", r.conf)) " " }
                            @for (_, code) in &r.flags { span.flag { (code.as_str()) } " " }
                            @if let Some(e) = &r.error { span.err { (e) } }
                        }
                        @if r.shown != r.input && !r.shown.is_empty() { span.parts { (r.shown) } }
                        @if change {
                            button type="submit" { "Save" }
                            @if typed.is_some() {
                                label.drop { input type="checkbox" name="drop_parts" value="1"; " the removed parts are not on the page" }
                            }
                        }
                    }
                    @if !r.flags.is_empty() && r.parts.len() > 1 {
                        div.partboxes {
                            @for part in &r.parts {
                                @let typed = p.typed.as_ref().filter(|(f, _)| f == &part.path).map(|(_, v)| v.as_str());
                                form.value.part.flagged[part.flagged] method="post" action="/act" data-field=(part.path) {
                                    (hidden(p, "save"))
                                    input type="hidden" name="field" value=(part.path);
                                    input type="hidden" name="original" value=(part.input);
                                    label {
                                        span.field { (part.path) }
                                        input.v name="value" value=(typed.unwrap_or(&part.input)) autocomplete="off" spellcheck="false"
                                            data-zoom=(zoom_url(id, &part.path)) data-original=(part.input) readonly[!change];
                                    }
                                    @if change { button type="submit" { "Save" } }
                                }
                            }
                        }
                    }
                }
                h2 { "Flags" }
                @if open.is_empty() { p { "No flag is open." } }
                @for f in &open {
                    form.waive method="post" action="/act" data-field=(f.flag.field.as_deref().unwrap_or("")) {
                        (hidden(p, "waive"))
                        input type="hidden" name="flag" value=(f.id);
                        p {
                            span.flag { (f.flag.code.as_str()) } " "
                            @if let Some(field) = &f.flag.field { span.field { (field) } " " }
                            @if let Some(pg) = f.flag.page { "(page " (pg) ") " }
                            (f.flag.reason)
                        }
                        @if change {
                            select name="because" aria-label="why the flag is waived" {
                                @for r in reasons_for(f.flag.code) { option value=(r.as_str()) { (r.label()) } }
                            }
                            input name="reason" placeholder="note (needed for other)";
                            button type="submit" { "Waive" }
                        }
                    }
                }
                @let resolved: Vec<_> = state.flags.iter().filter(|f| !f.is_open()).collect();
                @if !resolved.is_empty() {
                    details {
                        summary { (resolved.len()) " resolved flag(s)" }
                        ul { @for f in resolved {
                            li { (f.flag.code.as_str()) " " (f.flag.field.as_deref().unwrap_or("")) ": "
                                (f.resolution.as_deref().unwrap_or("-")) " — " (f.resolved_by.as_deref().unwrap_or("-")) }
                        } }
                    }
                }
                @if !p.view.duplicates.is_empty() {
                    h2 { "Possibly the same patient" }
                    table.dups {
                        thead { tr { th { "Chart" } th { "MRN" } th { "Name" } th { "Born" } th { "Why" } } }
                        tbody {
                            @let me = state.document.as_ref().map(Identity::from_document).unwrap_or_default();
                            tr.this { td { "this chart" } (identity(&me)) td {} }
                            @for d in &p.view.duplicates {
                                tr { td { a href=(chart_url(&d.other_chart, None)) { (d.other_chart) } } (identity(&d.other)) td { (d.reason()) } }
                            }
                        }
                    }
                }
                details.history {
                    summary { "History (" (p.view.history.len()) ")" }
                    table { tbody { @for a in &p.view.history {
                        tr { td { (a.at) } td { (a.operator) } td { (a.action) } td { (a.field.as_deref().unwrap_or("")) } td { (a.reason.as_deref().unwrap_or("")) } }
                    } } }
                }
            }
        }
    };
    layout(&format!("Chart {id}"), Some(&p.who), body)
}

pub fn users(who: &Session, list: &[User], said: Option<&str>) -> String {
    layout(
        "Users",
        Some(who),
        html! {
            h1 { "Users" }
            @if let Some(s) = said { p.done role="status" { (s) } }
            table {
                thead { tr { th { "Name" } th { "Role" } th { "Added" } th { "By" } th { "State" } th {} } }
                tbody { @for u in list {
                    tr {
                        td { (u.name) } td { (u.role.as_str()) } td { (u.created_at) } td { (u.created_by) }
                        td { @if let Some(d) = &u.disabled_at { "disabled " (d) } @else { "active" } }
                        td { @if u.disabled_at.is_none() && u.name != who.user {
                            form method="post" action="/users" {
                                input type="hidden" name="csrf" value=(who.csrf);
                                input type="hidden" name="op" value="disable";
                                input type="hidden" name="name" value=(u.name);
                                button type="submit" { "Disable" }
                            }
                        } }
                    }
                } }
            }
            h2 { "Add a user" }
            form.adduser method="post" action="/users" {
                input type="hidden" name="csrf" value=(who.csrf);
                input type="hidden" name="op" value="add";
                label { "Name " input name="name" required; }
                label { "Role " select name="role" {
                    option value="technician" { "technician" } option value="viewer" { "viewer" } option value="admin" { "admin" }
                } }
                label { "Password " input name="password" type="password" autocomplete="new-password" required minlength=(super::auth::MIN_PASSWORD); }
                button type="submit" { "Add" }
            }
        },
    )
}

pub fn audit(who: &Session, rows: &[AuditRecord], chart: Option<&str>, kind: Option<&str>) -> String {
    layout(
        "Audit",
        Some(who),
        html! {
            h1 { "Audit" @if let Some(c) = chart { " of " (c) } }
            form.filters method="get" action="/audit" {
                label { "Chart " input name="chart" value=(chart.unwrap_or("")); }
                label { "Show " select name="kind" {
                    @for k in ["all", "views", "changes", "access"] { option value=(k) selected[kind == Some(k)] { (k) } }
                } }
                button type="submit" { "Show" }
            }
            table.audit {
                thead { tr { th { "When" } th { "Who" } th { "What" } th { "Chart" } th { "Field" } th { "Old" } th { "New" } th { "Reason" } } }
                tbody { @for a in rows {
                    tr {
                        td { (a.at) } td { (a.operator) } td { (a.action) } td { (a.chart_id.as_deref().unwrap_or("")) }
                        td { (a.field.as_deref().unwrap_or("")) } td { (a.old_value.as_deref().unwrap_or("")) }
                        td { (a.new_value.as_deref().unwrap_or("")) } td { (a.reason.as_deref().unwrap_or("")) }
                    }
                } }
            }
        },
    )
}
