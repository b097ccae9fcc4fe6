//! Second reads: which values of a page are doubtful enough to be read
//! again from their own box, and what is kept once they have been.
//!
//! Pure, like the rest of extraction. The OCR stage asks [`requests`] which
//! boxes to cut out of the page before Tesseract lets go of it, reads each
//! box on its own ([`crate::ocr::reread`]), and hands the readings to
//! [`apply`], which decides:
//!
//! - a value is kept as read on the page when a second read agrees with it
//!   (both normalise to the same value); its confidence is then the higher
//!   of the two, since two reads of different segmentations agreeing is
//!   stronger evidence than either;
//! - a value whose page read failed its type is replaced by a second read
//!   that passes it with high confidence, but only for types whose grammar
//!   rules out the usual confusions ([`needs_agreement`] is false); the
//!   types that are dangerous to guess (identifiers, lots, free text, names, doses,
//!   phone numbers, NPIs) need two reads that agree;
//! - reads that pass their type and disagree leave the value doubtful: the
//!   more confident read is shown, and validation flags it
//!   (`low_confidence`, "two reads of the value disagree").
//!
//! Every read, the page's included, stays in the value's provenance
//! ([`crate::model::Read`]) with its outcome.

use super::PageExtract;
use crate::model::{Alt, BBox, FieldValue, Read, ReadHow, ReadOutcome, Value};
use crate::normalize::{self, Normalized};
use crate::ocr::Layout;
use crate::pipeline::ValueType;

/// Page-read confidence under which a value is read again. Tesseract gives
/// right values on crowded lines confidences near 0 while the same segment
/// read alone comes back above 90. Values read once at 90–95 were still
/// wrong 1.2 % of the time, at 95 and above 0.2 % (150 synthetic charts,
/// seed 11, `chartmill calibrate`).
pub const SURE_CONF: f32 = 95.0;

/// Confidence a lone second read needs to stand in for a page read that
/// failed its type.
pub const LONE_READ_CONF: f32 = 90.0;

/// A box to read again and the values it holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub target: Target,
    /// The value's box, padded, in page pixels.
    pub region: BBox,
    /// The value's box itself, in page pixels: a word read wholly in the
    /// padding beside it is a piece of a neighbour (the tail of a label,
    /// `y` of `signed by`), not of the value.
    pub value: BBox,
    pub layout: Layout,
}

/// Where the values of a request stand in the page's extract: a run of
/// consecutive values that one read produced (a name gives a family and a
/// given name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Header { start: usize, end: usize },
    Field { start: usize, end: usize },
    Row { row: usize, start: usize, end: usize },
}

/// A second reading of a request's box: its text (lines joined by `\n`)
/// and the mean confidence of its words.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    pub how: ReadHow,
    pub text: String,
    pub conf: f32,
    /// Other characters the engine saw at places of `text` (by character
    /// index), when it was asked for them.
    pub alts: Vec<Alt>,
}

/// Types whose grammar does not rule out the usual misreadings (a digit for
/// another, a letter for another): a value of these is taken only from
/// reads that agree.
pub fn needs_agreement(kind: ValueType) -> bool {
    use ValueType::*;
    matches!(
        kind,
        Text | PersonName | ProviderName | Identifier | Lot | Address | City | Allergies | Signature | Phone | Npi | Cvx | CityStateZip | Dose
    )
}

/// Characters that no value of the default pipeline's types holds and that
/// OCR produces from specks and rules.
fn suspicious(raw: &str) -> bool {
    raw.chars().any(|c| matches!(c, '£' | '§' | '|' | '¢' | '€' | '©' | '®' | '°' | '»' | '«' | '{' | '}' | '[' | ']' | '~' | '_' | '\\' | '¥' | '¬'))
}

/// Whether a value read on the page is worth reading again.
fn doubtful(v: &FieldValue) -> bool {
    if v.error.as_deref() == Some(super::signature::REGION_TO_READ) {
        return true; // nothing was read where the value stands
    }
    if v.raw.trim().is_empty() {
        return false;
    }
    if v.error.is_some() && !normalize::is_blank(&v.raw) {
        return true;
    }
    v.prov.conf < SURE_CONF || suspicious(&v.raw)
}

/// Runs of consecutive values produced by one read: same field, box and text.
fn groups(values: &[FieldValue]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (i, v) in values.iter().enumerate() {
        match out.last_mut() {
            Some((s, e)) if *e == i && same_read(&values[*s], v) => *e = i + 1,
            _ => out.push((i, i + 1)),
        }
    }
    out
}

fn same_read(a: &FieldValue, b: &FieldValue) -> bool {
    a.field == b.field && a.prov.bbox == b.prov.bbox && a.raw == b.raw
}

/// The boxes of a page's doubtful values, padded so that the whole of each
/// glyph is in, and clipped to the page (`width` x `height`).
pub fn requests(x: &PageExtract, width: u32, height: u32) -> Vec<Request> {
    let mut out = Vec::new();
    let mut push = |values: &[FieldValue], target: &dyn Fn(usize, usize) -> Target| {
        for (start, end) in groups(values) {
            let v = &values[start];
            if v.prov.bbox.w == 0 || v.prov.bbox.h == 0 || !values[start..end].iter().any(doubtful) {
                continue;
            }
            let lines = v.raw.lines().count().max(1);
            let layout = if lines > 1 { Layout::Block } else { Layout::Line };
            let region = pad(v.prov.bbox, lines, width, height);
            out.push(Request { target: target(start, end), region, value: v.prov.bbox, layout });
        }
    };
    push(&x.header, &|start, end| Target::Header { start, end });
    push(&x.fields, &|start, end| Target::Field { start, end });
    for (row, (_, values)) in x.rows.iter().enumerate() {
        push(values, &|start, end| Target::Row { row, start, end });
    }
    out
}

/// A value's box with a margin of a third of a line's height above and
/// below and half of it left and right.
fn pad(b: BBox, lines: usize, width: u32, height: u32) -> BBox {
    let line_h = b.h / lines as u32;
    let (px, py) = ((line_h / 2).max(4), (line_h / 3).max(3));
    let x = b.x.saturating_sub(px);
    let y = b.y.saturating_sub(py);
    let right = (b.x + b.w + px).min(width);
    let bottom = (b.y + b.h + py).min(height);
    BBox { x, y, w: right.saturating_sub(x), h: bottom.saturating_sub(y) }
}

/// What one read normalises to, as comparable values.
/// A read that normalises but cannot be what the field holds (a
/// temperature of `977`) passes nothing.
fn outcome_values(field: &str, kind: ValueType, text: &str, ctx: &normalize::Context) -> Option<Vec<Value>> {
    let values = normalized_values(kind, text, ctx)?;
    match values.as_slice() {
        [v] if crate::validate::implausible_vital(field, v).is_some() => None,
        _ => Some(values),
    }
}

fn normalized_values(kind: ValueType, text: &str, ctx: &normalize::Context) -> Option<Vec<Value>> {
    match normalize::normalize(kind, text, ctx) {
        Err(_) => None,
        Ok(Normalized::Scalar(v)) => Some(vec![v]),
        Ok(Normalized::Parts(parts)) => Some(parts.into_iter().map(|(_, v)| v).collect()),
        Ok(Normalized::List(items)) => Some(items.into_iter().flat_map(|i| i.into_iter().map(|(_, v)| v)).collect()),
    }
}

/// Values compared as the export compares them: case and spacing aside.
fn same_values(a: &[Value], b: &[Value]) -> bool {
    let key = |v: &Value| v.to_string().split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| key(x) == key(y))
}

/// The page's read of a request's value (the first of its group).
pub fn first_read<'a>(x: &'a PageExtract, req: &Request) -> Option<&'a FieldValue> {
    match req.target {
        Target::Header { start, .. } => x.header.get(start),
        Target::Field { start, .. } => x.fields.get(start),
        Target::Row { row, start, .. } => x.rows.get(row).and_then(|(_, v)| v.get(start)),
    }
}

/// Whether the readings so far decide a value: one of them agrees with the
/// page's read, or two of them agree with each other.
/// A reading whose engine came close to another valid value (its rival
/// contests the value, [`crate::calibrate::contests`]) settles
/// nothing: the box is read again, enlarged.
pub fn settled(first: &FieldValue, readings: &[Reading], ctx: &normalize::Context) -> bool {
    let kind = first.kind;
    if let Some(last) = readings.last() {
        let contested = outcome_values(&first.field, kind, &last.text, ctx)
            .and_then(|v| rival(&first.field, kind, &last.text, &last.alts, &v, ctx))
            .is_some_and(|r| crate::calibrate::contests(kind, r));
        if contested {
            return false;
        }
    }
    let mut seen: Vec<Vec<Value>> = Vec::new();
    let texts = std::iter::once(first.raw.as_str()).chain(readings.iter().map(|r| r.text.as_str()));
    for text in texts {
        if let Some(v) = outcome_values(&first.field, kind, text, ctx) {
            if seen.iter().any(|s| same_values(s, &v)) {
                return true;
            }
            seen.push(v);
        }
    }
    false
}

/// Replace each request's values by what its readings decide.
pub fn apply(x: &mut PageExtract, requests: &[Request], readings: Vec<Vec<Reading>>, ctx: &normalize::Context) {
    // From the last to the first, so that earlier ranges stay where they are.
    let mut work: Vec<(&Request, Vec<Reading>)> = requests.iter().zip(readings).collect();
    work.sort_by_key(|(r, _)| std::cmp::Reverse(target_key(r.target)));
    for (req, reads) in work {
        let (values, start, end) = match req.target {
            Target::Header { start, end } => (&mut x.header, start, end),
            Target::Field { start, end } => (&mut x.fields, start, end),
            Target::Row { row, start, end } => match x.rows.get_mut(row) {
                Some((_, values)) => (values, start, end),
                None => continue,
            },
        };
        if end > values.len() || start >= end {
            continue;
        }
        let decided = decide(&values[start], &reads, ctx);
        values.splice(start..end, decided);
    }
}

fn target_key(t: Target) -> (usize, usize, usize) {
    match t {
        Target::Header { start, .. } => (0, 0, start),
        Target::Field { start, .. } => (1, 0, start),
        Target::Row { row, start, .. } => (2, row, start),
    }
}

/// Types whose grammar may choose among the characters the engine offered
/// when its best reading fails: digit strings, codes, dates and marks,
/// where a confusion (`O` for `0`, `7` for `/`) breaks the value's shape.
/// Not an NPI: its check digit would then repair a value, and hide a real
/// defect. Not free text, names or identifiers: any reading passes them.
fn grammar_picks(kind: ValueType) -> bool {
    use ValueType::*;
    matches!(
        kind,
        Phone | Zip | Integer | Decimal | Cvx | BloodPressure | Money | Percent | Time | Date | BirthDate | MonthYear | Dose | Sex | State | Diagnoses
    )
}

/// Alternatives worth trying, the most confident first.
const PICK_CONF: f32 = 5.0;
const PICK_PLACES: usize = 4;

/// A reading with some of its characters replaced by alternatives.
fn substitute(text: &str, subs: &[&Alt]) -> String {
    text.chars()
        .enumerate()
        .map(|(i, c)| subs.iter().find(|a| a.at as usize == i).map_or(c, |a| a.ch))
        .collect()
}

/// When a reading fails its type: the first text, among those the
/// engine's own alternatives make (one place changed, then two), that
/// passes it.
fn grammar_pick(field: &str, kind: ValueType, r: &Reading, ctx: &normalize::Context) -> Option<(String, Vec<Value>)> {
    if !grammar_picks(kind) {
        return None;
    }
    let mut alts: Vec<&Alt> = r.alts.iter().filter(|a| a.conf >= PICK_CONF).collect();
    alts.sort_by(|a, b| b.conf.total_cmp(&a.conf));
    alts.truncate(PICK_PLACES * 2);
    let mut tries: Vec<Vec<&Alt>> = alts.iter().map(|a| vec![*a]).collect();
    for (i, a) in alts.iter().enumerate() {
        for b in &alts[i + 1..] {
            if a.at != b.at {
                tries.push(vec![*a, *b]);
            }
        }
    }
    tries.into_iter().find_map(|subs| {
        let text = substitute(&r.text, &subs);
        outcome_values(field, kind, &text, ctx).map(|v| (text, v))
    })
}

/// The confidence of the engine's strongest alternative that would make
/// the reading another value that also passes its type: how close the
/// engine itself came to reading something else.
fn rival(field: &str, kind: ValueType, text: &str, alts: &[Alt], values: &[Value], ctx: &normalize::Context) -> Option<f32> {
    // Only in place of a letter or digit of the value: a stray mark beside
    // it (`-8JB694P`, a cell's rule) that the engine also took for a letter
    // contests nothing the value holds.
    alts.iter()
        .filter(|a| text.chars().nth(a.at as usize).is_some_and(char::is_alphanumeric))
        .filter(|a| outcome_values(field, kind, &substitute(text, &[a]), ctx).is_some_and(|v| !same_values(&v, values)))
        .map(|a| a.conf)
        .max_by(f32::total_cmp)
}

/// The values of one read group once its second readings are known.
fn decide(first: &FieldValue, second: &[Reading], ctx: &normalize::Context) -> Vec<FieldValue> {
    let kind = first.kind;
    let mut reads: Vec<(Read, Option<Vec<Value>>)> = Vec::with_capacity(second.len() + 1);
    let page = Read { how: ReadHow::Page, text: first.raw.clone(), conf: first.prov.conf, outcome: ReadOutcome::Fails, engine_text: None, rival: None };
    let page_values = outcome_values(&first.field, kind, &first.raw, ctx);
    reads.push((page, page_values));
    for r in second {
        let (text, values, engine_text) = match outcome_values(&first.field, kind, &r.text, ctx) {
            Some(v) => (r.text.clone(), Some(v), None),
            None => match grammar_pick(&first.field, kind, r, ctx) {
                Some((text, v)) => (text, Some(v), Some(r.text.clone())),
                None => (r.text.clone(), None, None),
            },
        };
        let rival = values.as_deref().and_then(|v| rival(&first.field, kind, &text, &r.alts, v, ctx));
        reads.push((Read { how: r.how, text, conf: r.conf, outcome: ReadOutcome::Fails, engine_text, rival }, values));
    }

    // The value chosen: the index of its read and the confidence it carries.
    let passing: Vec<usize> = (0..reads.len()).filter(|&i| reads[i].1.is_some()).collect();
    let agreeing = |i: usize| -> Vec<usize> {
        passing.iter().copied().filter(|&j| j != i && same_values(reads[i].1.as_deref().unwrap_or(&[]), reads[j].1.as_deref().unwrap_or(&[]))).collect()
    };
    let mut chosen: Option<(usize, f32)> = None;
    // Agreement: the page read first, then any two second reads.
    for &i in &passing {
        let with = agreeing(i);
        if !with.is_empty() {
            let conf = with.iter().map(|&j| reads[j].0.conf).fold(reads[i].0.conf, f32::max);
            chosen = Some((i, conf));
            break;
        }
    }
    if chosen.is_none() {
        match passing.as_slice() {
            [] => {}
            [only] if *only == 0 => chosen = Some((0, reads[0].0.conf)),
            [only] if !needs_agreement(kind) && reads[*only].0.conf >= LONE_READ_CONF => chosen = Some((*only, reads[*only].0.conf)),
            // A lone second read of a type that needs agreement, or not sure
            // enough: the page read stands as it was (failed).
            [_] => {}
            // Several reads that pass and disagree: the most confident is
            // shown, and the outcomes say that reads disagree.
            many => {
                let best = many.iter().copied().max_by(|&a, &b| reads[a].0.conf.total_cmp(&reads[b].0.conf)).unwrap_or(0);
                chosen = Some((best, reads[best].0.conf));
            }
        }
    }

    let chosen_values = chosen.and_then(|(i, _)| reads[i].1.clone());
    for (read, values) in &mut reads {
        read.outcome = match (values.as_deref(), chosen_values.as_deref()) {
            (None, _) => ReadOutcome::Fails,
            (Some(v), Some(c)) if same_values(v, c) => ReadOutcome::Agrees,
            (Some(_), _) => ReadOutcome::Differs,
        };
    }
    let (raw, conf) = match chosen {
        Some((i, conf)) => (reads[i].0.text.clone(), conf),
        None => (first.raw.clone(), first.prov.conf),
    };
    let mut prov = first.prov.clone();
    prov.conf = conf;
    prov.reads = reads.into_iter().map(|(r, _)| r).collect();
    super::field_values(&first.field, kind, &raw, prov, ctx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PageInfo, PageRef, PageStatus, Provenance};

    fn ctx() -> normalize::Context {
        normalize::Context { today: chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap() }
    }

    fn value(field: &str, kind: ValueType, raw: &str, conf: f32) -> Vec<FieldValue> {
        let prov = Provenance { page: 1, file: "a.tif".into(), file_page: 0, bbox: BBox { x: 100, y: 200, w: 120, h: 30 }, conf, ..Default::default() };
        super::super::field_values(field, kind, raw, prov, &ctx())
    }

    fn page(fields: Vec<FieldValue>) -> PageExtract {
        let at = PageRef { page: 1, file: "a.tif".into(), file_page: 0 };
        PageExtract {
            info: PageInfo { at, doc_type: Some("progress_note".into()), status: PageStatus::Read, rotation: 0, skew: 0.0, words: 10, mean_conf: 90.0 },
            header: Vec::new(),
            fields,
            rows: Vec::new(),
            marks: Vec::new(),
        sign_lines: Vec::new(),
        }
    }

    fn reading(text: &str, conf: f32) -> Reading {
        Reading { how: ReadHow::Region, text: text.into(), conf, alts: Vec::new() }
    }

    fn run(fields: Vec<FieldValue>, readings: &[Reading]) -> PageExtract {
        let mut x = page(fields);
        let reqs = requests(&x, 2550, 3300);
        assert_eq!(reqs.len(), 1, "one doubtful value");
        apply(&mut x, &reqs, vec![readings.to_vec()], &ctx());
        x
    }

    fn text(v: &FieldValue) -> Option<String> {
        v.value.as_ref().map(|v| v.to_string())
    }

    #[test]
    fn a_confident_value_is_not_read_again() {
        let x = page(value("encounters[].vitals.pulse", ValueType::Integer, "67", 96.0));
        assert!(requests(&x, 2550, 3300).is_empty());
    }

    #[test]
    fn agreement_lifts_the_confidence_of_a_right_value_read_at_zero() {
        let x = run(value("encounters[].vitals.pulse", ValueType::Integer, "67", 0.0), &[reading("67", 96.0)]);
        let v = &x.fields[0];
        assert_eq!(text(v).as_deref(), Some("67"));
        assert_eq!(v.prov.conf, 96.0);
        assert_eq!(v.prov.reads.len(), 2, "both reads stay in the provenance");
        assert!(v.prov.reads.iter().all(|r| r.outcome == ReadOutcome::Agrees));
    }

    #[test]
    fn a_grammar_type_takes_a_sure_second_read_when_the_page_read_failed() {
        // `/` read as `7` on the page.
        let x = run(value("encounters[].vitals.bp", ValueType::BloodPressure, "111774", 40.0), &[reading("111/74", 95.0)]);
        let v = &x.fields[0];
        assert_eq!(text(v).as_deref(), Some("111/74"));
        assert!(v.error.is_none());
        assert_eq!(v.prov.reads[0].outcome, ReadOutcome::Fails);
        assert_eq!(v.prov.reads[1].outcome, ReadOutcome::Agrees);
    }

    #[test]
    fn a_dangerous_type_needs_two_reads_that_agree() {
        // A lot is never taken from one read when the other failed or differs.
        let x = run(value("immunizations[].lot", ValueType::Lot, "U22§3AA", 30.0), &[reading("U2233AA", 95.0)]);
        let v = &x.fields[0];
        assert!(v.prov.reads.iter().any(|r| r.outcome == ReadOutcome::Differs), "{:?}", v.prov.reads);
    }

    #[test]
    fn a_dose_is_never_taken_from_a_lone_read() {
        // `50 mg` for `5O mg` would change a treatment: a dose needs two reads.
        let x = run(value("medications[].dose", ValueType::Dose, "5O mg", 40.0), &[reading("50 mg", 96.0)]);
        assert!(x.fields[0].prov.reads.iter().any(|r| r.outcome == ReadOutcome::Differs) || x.fields[0].error.is_some());
    }

    #[test]
    fn disagreeing_reads_are_marked() {
        let x = run(value("patient.phone", ValueType::Phone, "478 684 8358", 60.0), &[reading("478 664 8356", 93.0)]);
        let v = &x.fields[0];
        assert!(v.prov.reads.iter().any(|r| r.outcome == ReadOutcome::Differs));
    }

    #[test]
    fn a_name_is_replaced_as_a_whole() {
        let mut fields = value("encounters[].date", ValueType::Date, "11/02/1998", 97.0);
        fields.extend(value("patient.name", ValueType::PersonName, "THOMPSON, MARGARET A", 40.0));
        fields.extend(value("encounters[].npi", ValueType::Npi, "1234567893", 98.0));
        let x = run(fields, &[reading("THOMPSON, MARGARET A", 94.0)]);
        let paths: Vec<&str> = x.fields.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(paths, ["encounters[].date", "patient.family", "patient.given", "encounters[].npi"]);
        assert!(x.fields[1].prov.conf >= 94.0 && x.fields[2].prov.conf >= 94.0);
    }

    fn reading_with(text: &str, conf: f32, alts: &[(u32, char, f32)]) -> Reading {
        Reading { alts: alts.iter().map(|&(at, ch, conf)| Alt { at, ch, conf }).collect(), ..reading(text, conf) }
    }

    #[test]
    fn a_grammar_chooses_among_the_characters_the_engine_offered() {
        // `/` read as `7` in both reads; the region read's engine also saw `/`.
        let x = run(
            value("encounters[].vitals.bp", ValueType::BloodPressure, "133773", 40.0),
            &[reading_with("133773", 93.0, &[(3, '/', 31.0), (1, '8', 2.0)])],
        );
        let v = &x.fields[0];
        assert_eq!(text(v).as_deref(), Some("133/73"));
        let read = &v.prov.reads[1];
        assert_eq!(read.text, "133/73");
        assert_eq!(read.engine_text.as_deref(), Some("133773"), "the engine's own text stays in the provenance");
    }

    #[test]
    fn no_character_is_invented_and_no_check_digit_repairs() {
        // Nothing offered: the failed reading stays failed.
        let x = run(value("encounters[].vitals.bp", ValueType::BloodPressure, "133773", 40.0), &[reading("133773", 93.0)]);
        assert!(x.fields[0].error.is_some());
        // An NPI whose check digit fails is not mended from the alternatives.
        let x = run(value("encounters[].npi", ValueType::Npi, "1234567890", 40.0), &[reading_with("1234567890", 93.0, &[(9, '3', 40.0)])]);
        assert!(x.fields[0].prov.reads.iter().all(|r| r.engine_text.is_none()));
    }

    #[test]
    fn an_alternative_that_makes_another_valid_value_is_a_rival() {
        let x = run(
            value("immunizations[].lot", ValueType::Lot, "YOO41EV", 88.0),
            &[reading_with("YOO41EV", 88.0, &[(1, '0', 27.0), (6, 'é', 50.0)])],
        );
        let v = &x.fields[0];
        assert_eq!(v.prov.reads[1].outcome, ReadOutcome::Agrees);
        assert_eq!(v.prov.reads[1].rival, Some(27.0), "`é` makes no valid lot; `0` does");
        assert!(crate::calibrate::evidence(v).contested());
        // A mark left of the lot that the engine also took for a `T`.
        let x = run(value("immunizations[].lot", ValueType::Lot, "8JB694P", 85.0), &[reading_with("-8JB694P", 10.0, &[(0, 'T', 50.0)])]);
        assert_eq!(x.fields[0].prov.reads[1].rival, None);
    }

    #[test]
    fn a_contested_reading_asks_for_another_and_a_plain_one_lifts_the_doubt() {
        let first = &value("immunizations[].lot", ValueType::Lot, "YOO41EV", 88.0)[0];
        let contested = reading_with("YOO41EV", 88.0, &[(1, '0', 27.0)]);
        assert!(!settled(first, &[contested.clone()], &ctx()), "the box is read again, enlarged");
        let plain = Reading { how: ReadHow::RegionEnlarged, ..reading("YOO41EV", 93.0) };
        assert!(settled(first, &[contested.clone(), plain.clone()], &ctx()));
        let x = run(value("immunizations[].lot", ValueType::Lot, "YOO41EV", 88.0), &[contested, plain]);
        assert!(!crate::calibrate::evidence(&x.fields[0]).contested(), "one read of the box saw it plainly");
    }

    #[test]
    fn a_read_no_living_person_could_have_passes_nothing() {
        // A temperature read `977` (its point lost) does not disagree with
        // the page's `97.7`: it is no temperature.
        let x = run(value("encounters[].vitals.temp_f", ValueType::Decimal, "97.7 F", 47.0), &[reading("977 F", 76.0), reading("97.7 F", 79.0)]);
        let v = &x.fields[0];
        assert_eq!(text(v).as_deref(), Some("97.7"));
        assert_eq!(v.prov.reads[1].outcome, ReadOutcome::Fails);
        assert!(!v.prov.reads_disagree());
    }

    #[test]
    fn nothing_legible_leaves_the_value_as_it_was() {
        let x = run(value("encounters[].vitals.pulse", ValueType::Integer, "6?", 20.0), &[reading("", 0.0)]);
        let v = &x.fields[0];
        assert!(v.error.is_some());
        assert_eq!(v.raw, "6?");
    }
}
