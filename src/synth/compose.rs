//! Composes the text of each page from a chart's record: titles and labels
//! from the spec's variant lists, dates in every form, both name forms, and
//! the layouts (label and value on a line, two columns, boxed forms, ruled
//! and unruled tables).

use super::data;
use super::family::{self, Family, LabelStyle, Look};
use super::format::{self, DateForm, DateKind, NameForm};
use super::page::{Block, BoxCell, Cell, Doc, FontClass, Hand, Pair, Rules};
use super::plan::{pick_date_form, DateVal, Effects, Faint, HeaderChange, Record, Sex};
use chrono::{Datelike, NaiveDate};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// A page of a chart before numbering: which part of the record it shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    Face,
    /// The progress note of record encounter `k`.
    Note(usize),
    Meds,
    Imms,
    /// The page of an `unknown_document` or `unreadable_page` defect.
    Extra,
    Blank,
}

pub const FACE_TITLES: &[&str] = &["PATIENT REGISTRATION", "FACE SHEET", "PATIENT INFORMATION", "REGISTRATION FORM"];
pub const NOTE_TITLES: &[&str] = &["PROGRESS NOTE", "OFFICE VISIT", "CLINIC NOTE", "VISIT NOTE"];
pub const MED_TITLES: &[&str] = &["MEDICATION LIST", "CURRENT MEDICATIONS", "MEDICATIONS"];
pub const IMM_TITLES: &[&str] = &["IMMUNIZATION RECORD", "VACCINATION HISTORY", "IMMUNIZATIONS"];

pub const NAME_LABELS: &[&str] = &["Patient Name", "Patient", "Name"];
pub const MRN_LABELS: &[&str] = &["MRN", "Medical Record Number", "Medical Record No.", "Med Rec #", "Chart No.", "Chart #"];
pub const DOB_LABELS: &[&str] = &["Date of Birth", "DOB", "D.O.B.", "Birth Date", "Birthdate"];
pub const SEX_LABELS: &[&str] = &["Sex", "Gender"];
pub const ADDRESS_LABELS: &[&str] = &["Address", "Street", "Street Address"];
pub const CSZ_LABELS: &[&str] = &["City, State, ZIP", "City/State/ZIP", "City State ZIP", "City, State, Zip Code"];
pub const ZIP_LABELS: &[&str] = &["ZIP", "Zip Code", "ZIP Code"];
pub const PHONE_LABELS: &[&str] = &["Phone", "Telephone", "Tel", "Home Phone"];
pub const ALLERGY_LABELS: &[&str] = &["Allergies", "Allergy", "Drug Allergies"];
pub const PAYER_LABELS: &[&str] = &["Insurance", "Insurance Carrier", "Payer", "Primary Insurance"];
pub const MEMBER_LABELS: &[&str] = &["Member ID", "Subscriber ID", "Policy No.", "Policy #", "ID #"];
pub const GROUP_LABELS: &[&str] = &["Group", "Group No.", "Group #", "Group Number"];
pub const VISIT_LABELS: &[&str] = &["Date of Service", "Visit Date", "DOS", "Encounter Date", "Date"];
pub const PROVIDER_LABELS: &[&str] = &["Provider", "Physician", "Attending", "Attending Physician", "Seen by"];
pub const NPI_LABELS: &[&str] = &["NPI", "Provider NPI"];
pub const DX_LABELS: &[&str] = &["Diagnosis", "Diagnoses", "Assessment", "Dx", "Impression"];
pub const BP_LABELS: &[&str] = &["BP", "Blood Pressure"];
pub const PULSE_LABELS: &[&str] = &["Pulse", "HR", "Heart Rate"];
pub const TEMP_LABELS: &[&str] = &["Temp", "Temperature"];
pub const WEIGHT_LABELS: &[&str] = &["Weight", "Wt"];
pub const MED_NAME_HEADERS: &[&str] = &["Drug", "Medication", "Drug Name", "Name"];
pub const MED_DOSE_HEADERS: &[&str] = &["Dose", "Dosage", "Strength"];
pub const MED_FREQ_HEADERS: &[&str] = &["Frequency", "Freq", "Sig"];
pub const MED_START_HEADERS: &[&str] = &["Start Date", "Started", "Start"];
pub const IMM_VACCINE_HEADERS: &[&str] = &["Vaccine", "Immunization", "Vaccine Name"];
pub const IMM_CVX_HEADERS: &[&str] = &["CVX", "CVX Code"];
pub const IMM_DATE_HEADERS: &[&str] = &["Date Given", "Date", "Given", "Date Administered"];
pub const IMM_LOT_HEADERS: &[&str] = &["Lot", "Lot #", "Lot No.", "Lot Number"];

/// The look of one chart: font, size, usual date and name forms, whether
/// some values are handwritten, the letterhead, and its family's choices.
#[derive(Clone, Debug)]
pub struct Style {
    pub look: Look,
    pub class: FontClass,
    pub font: usize,
    pub hand_font: usize,
    pub size_pt: f32,
    /// Some values of this chart are written by hand.
    pub hand_chart: bool,
    pub letterhead: Option<Vec<String>>,
    pub date_form: DateForm,
    pub name_form: NameForm,
    pub margin_in: (f32, f32),
}

impl Style {
    /// The style of a chart of a family. The classic family draws from `rng`
    /// alone, exactly as the original generator did; the others draw their
    /// own choices from `frng`.
    pub fn new(rng: &mut ChaCha8Rng, family: Family, frng: &mut ChaCha8Rng) -> Style {
        let mut style = Style::classic(rng);
        style.look = Look::new(family, frng);
        if family != Family::Classic {
            style.class = *family.font_classes().choose(frng).expect("classes");
            style.font = frng.gen_range(0..4);
            style.hand_font = *family.hands().choose(frng).expect("hands");
            style.hand_chart |= style.look.more_hand;
        }
        style
    }

    fn classic(rng: &mut ChaCha8Rng) -> Style {
        let class = *[FontClass::Typewriter, FontClass::Sans, FontClass::Serif].choose(rng).expect("classes");
        let letterhead = if rng.gen_bool(0.6) {
            let place = data::CLINIC_PLACES.choose(rng).expect("places");
            let kind = data::CLINIC_KINDS.choose(rng).expect("kinds");
            let name = format!("{place} {kind}");
            let name = if rng.gen_bool(0.5) { name.to_uppercase() } else { name };
            let mut lines = vec![name];
            if rng.gen_bool(0.5) {
                lines.push(format!("A member of {place} Health System"));
            }
            Some(lines)
        } else {
            None
        };
        Style {
            look: Look::new(Family::Classic, rng),
            class,
            font: rng.gen_range(0..4),
            // Mostly the neater hand (Comic Neue), sometimes the rough one.
            hand_font: if rng.gen_bool(0.25) { 0 } else { rng.gen_range(1..3) },
            size_pt: *[10.0, 10.5, 11.0, 11.5, 12.0].choose(rng).expect("sizes"),
            hand_chart: rng.gen_bool(0.2),
            letterhead,
            date_form: *format::DATE_FORMS.choose(rng).expect("forms"),
            name_form: *format::NAME_FORMS.choose(rng).expect("forms"),
            margin_in: (rng.gen_range(0.75..1.1), rng.gen_range(0.6..0.9)),
        }
    }

    fn doc(&self, blocks: Vec<Block>) -> Doc {
        Doc {
            class: self.class,
            font: self.font,
            hand_font: self.hand_font,
            size_pt: self.size_pt,
            margin_in: self.margin_in,
            blocks,
        }
    }
}

/// Composition state for one page.
struct Ctx<'a> {
    rng: &'a mut ChaCha8Rng,
    /// The family's own stream (unused by the classic family).
    frng: &'a mut ChaCha8Rng,
    style: &'a Style,
    /// The usual date form of this page.
    date_form: DateForm,
}

impl Ctx<'_> {
    /// A label from a variant list with its punctuation. `boxed`: a label
    /// above its value, usually without a colon.
    fn label(&mut self, choices: &[&str], boxed: bool) -> String {
        let l = *choices.choose(self.rng).expect("labels");
        self.styled(l, boxed)
    }

    /// A label in the page's label style.
    fn styled(&mut self, l: &str, boxed: bool) -> String {
        match self.style.look.labels {
            LabelStyle::Spec => punctuate(self.rng, l, boxed),
            style => family::label(self.frng, style, l, boxed),
        }
    }

    /// The label of a narrative paragraph (`Exam:`) in the page's label style.
    fn narrative_label(&self, l: &str) -> String {
        match self.style.look.labels {
            LabelStyle::Caps => l.to_uppercase(),
            _ => l.to_string(),
        }
    }

    /// A table header in the page's label style.
    fn head(&mut self, choices: &[&str]) -> String {
        family::header(self.style.look.labels, choices.choose(self.rng).expect("headers"))
    }

    /// Whether a table is ruled, and how.
    fn table_rules(&mut self) -> (bool, Rules) {
        if self.style.look.family == Family::Classic {
            return (self.rng.gen_bool(0.5), Rules::Grid);
        }
        let (rules, p) = self.style.look.family.rules();
        (self.frng.gen_bool(p), *rules.choose(self.frng).expect("rules"))
    }

    /// Pairs crowded on lines of at most about `chars` characters.
    fn rows(&mut self, items: Vec<Pair>, chars: usize) -> Vec<Block> {
        let gap_em = self.style.look.gap_em;
        let mut out = Vec::new();
        let mut line: Vec<Pair> = Vec::new();
        let mut len = 0;
        for p in items {
            let w = p.label.len() + p.value.len().max(10) + 4;
            if !line.is_empty() && len + w > chars {
                out.push(Block::Row { items: std::mem::take(&mut line), gap_em });
                len = 0;
            }
            len += w;
            line.push(p);
        }
        if !line.is_empty() {
            out.push(Block::Row { items: line, gap_em });
        }
        out
    }

    fn date(&mut self, d: NaiveDate, kind: DateKind) -> String {
        let form = pick_date_form(self.rng, d.year(), kind, self.date_form);
        format::format_date(d, form)
    }

    fn date_val(&mut self, d: DateVal) -> Option<String> {
        match d {
            DateVal::Real(d) => Some(self.date(d, DateKind::Event)),
            DateVal::Invalid(y, m, day) => {
                let form = *[DateForm::MdySlash0, DateForm::MdySlash, DateForm::MdyDash0, DateForm::Iso, DateForm::AbbrMonth]
                    .choose(self.rng)
                    .expect("forms");
                Some(format::format_ymd(y, m, day, form))
            }
            DateVal::Missing => None,
        }
    }

    fn name_form(&mut self) -> NameForm {
        if self.rng.gen_bool(0.7) {
            self.style.name_form
        } else {
            *format::NAME_FORMS.choose(self.rng).expect("forms")
        }
    }

    /// Handwritten (legibly) with probability `p` in charts with handwriting.
    fn maybe_hand(&mut self, p: f64) -> Hand {
        if self.style.hand_chart && self.rng.gen_bool(p) {
            Hand::Neat
        } else {
            Hand::Print
        }
    }

    fn top(&mut self, titles: &[&str]) -> Vec<Block> {
        let mut blocks = Vec::new();
        if let Some(lines) = &self.style.letterhead {
            blocks.push(Block::Letterhead(lines.clone()));
            if self.rng.gen_bool(0.5) {
                blocks.push(Block::Rule);
            }
        }
        let title = titles.choose(self.rng).expect("titles").to_string();
        let title = if self.style.look.title_case { family::header(LabelStyle::TitleCase, &title.to_lowercase()) } else { title };
        blocks.push(Block::Title(title));
        blocks.push(Block::Gap(6.0));
        blocks
    }
}

pub fn punctuate(rng: &mut impl Rng, label: &str, boxed: bool) -> String {
    let special = label.ends_with('#') || label.ends_with('.');
    if boxed {
        if special || rng.gen_bool(0.6) {
            label.to_string()
        } else {
            format!("{label}:")
        }
    } else if special {
        if rng.gen_bool(0.85) {
            label.to_string()
        } else {
            format!("{label}:")
        }
    } else if rng.gen_bool(0.05) {
        label.to_string()
    } else {
        format!("{label}:")
    }
}

fn sex_text(rng: &mut impl Rng, sex: Sex) -> String {
    let long = rng.gen_bool(0.45);
    match (sex, long) {
        (Sex::M, false) => "M",
        (Sex::M, true) => "Male",
        (Sex::F, false) => "F",
        (Sex::F, true) => "Female",
        (Sex::U, false) => "U",
        (Sex::U, true) => "Unknown",
    }
    .to_string()
}

fn allergy_text(rng: &mut impl Rng, allergies: &[(&str, Option<&str>)]) -> String {
    if allergies.is_empty() {
        return ["NKDA", "NKA", "None known"].choose(rng).expect("forms").to_string();
    }
    let paren = rng.gen_bool(0.6);
    let parts: Vec<String> = allergies
        .iter()
        .map(|(s, r)| match (r, paren) {
            (Some(r), true) => format!("{s} ({r})"),
            (Some(r), false) => format!("{s} - {r}"),
            (None, _) => s.to_string(),
        })
        .collect();
    parts.join(if paren { ", " } else { "; " })
}

/// The composed page for a slot of the record.
pub fn page(rng: &mut ChaCha8Rng, frng: &mut ChaCha8Rng, style: &Style, rec: &Record, fx: &Effects, slot: Slot) -> Doc {
    let date_form = if rng.gen_bool(0.7) { style.date_form } else { *format::DATE_FORMS.choose(rng).expect("forms") };
    let mut cx = Ctx { rng, frng, style, date_form };
    let header = match &fx.header {
        Some((s, change)) if *s == slot => Some(change.clone()),
        _ => None,
    };
    let blocks = match slot {
        Slot::Face => face_sheet(&mut cx, rec),
        Slot::Note(k) => progress_note(&mut cx, rec, fx, k, header.as_ref()),
        Slot::Meds => medication_list(&mut cx, rec, fx, header.as_ref()),
        Slot::Imms => immunization_record(&mut cx, rec, fx, header.as_ref()),
        Slot::Extra | Slot::Blank => Vec::new(),
    };
    style.doc(blocks)
}

/// The patient label of a page other than the face sheet.
fn header(cx: &mut Ctx, rec: &Record, change: Option<&HeaderChange>) -> Vec<Block> {
    let p = &rec.id.person;
    let form = cx.name_form();
    let name = match change {
        Some(HeaderChange::Name(first, middle, family)) => format::format_name(first, *middle, family, form),
        _ => format::format_name(&p.first, p.middle, &p.family, form),
    };
    let mrn = match change {
        Some(HeaderChange::Mrn(m)) => m.clone(),
        _ => rec.id.mrn.clone(),
    };
    let dob = match change {
        Some(HeaderChange::Dob(d)) => *d,
        _ => p.dob,
    };
    let dob = cx.date(dob, DateKind::Birth);
    let variant = cx.rng.gen_range(0..4);
    let items = vec![
        Pair::new(cx.label(NAME_LABELS, false), name),
        Pair::new(cx.label(MRN_LABELS, false), mrn),
        Pair::new(cx.label(DOB_LABELS, false), dob),
    ];
    let chars: usize = items.iter().map(|p| p.label.len() + p.value.len() + 4).sum();
    let crowd = cx.style.look.crowded && cx.frng.gen_bool(0.6);
    let mut blocks = match variant {
        _ if crowd => cx.rows(items, 84),
        0 if chars <= 78 => vec![Block::Inline(items)],
        0 | 1 => {
            let mut it = items.into_iter();
            let name = it.next().expect("name");
            vec![Block::Pairs { cols: 1, align: false, items: vec![name] }, Block::Inline(it.collect())]
        }
        2 => vec![Block::Sticker(items)],
        _ => vec![Block::Pairs { cols: 1, align: cx.rng.gen_bool(0.5), items }],
    };
    blocks.push(Block::Gap(8.0));
    if cx.rng.gen_bool(0.4) {
        blocks.push(Block::Rule);
    }
    blocks
}

fn face_sheet(cx: &mut Ctx, rec: &Record) -> Vec<Block> {
    let mut blocks = cx.top(FACE_TITLES);
    let p = &rec.id.person;
    let a = &rec.id.address;
    let form = cx.name_form();
    let name = format::format_name(&p.first, p.middle, &p.family, form);
    let dob = cx.date(p.dob, DateKind::Birth);
    let phone = format::format_phone(&rec.id.phone, cx.rng.gen_range(0..3));
    let allergies = allergy_text(cx.rng, &rec.allergies);
    let sex = sex_text(cx.rng, p.sex);
    let layout = cx.rng.gen_range(0..10);
    // Labels in their own cells (holdout) or pairs crowded on lines.
    let cells = cx.style.look.label_cells && cx.frng.gen_bool(0.7);
    let crowded = !cells && cx.style.look.crowded && cx.frng.gen_bool(0.8);
    let boxed = (layout >= 7 && !crowded) || cells;
    // 0: one line "Address: 1428 Elm Street, Springfield, IL 62704";
    // 1: street + "City, State, ZIP: ..."; 2: street + City / State / ZIP.
    let addr_form = cx.rng.gen_range(0..3);

    let lbl = |cx: &mut Ctx, l: &[&str]| cx.label(l, boxed);
    let name_p = Pair::new(lbl(cx, NAME_LABELS), name);
    let mrn_p = Pair::new(lbl(cx, MRN_LABELS), rec.id.mrn.clone());
    let dob_p = Pair::new(lbl(cx, DOB_LABELS), dob);
    let sex_hand = cx.maybe_hand(0.3);
    let sex_p = Pair::new(lbl(cx, SEX_LABELS), sex).hand(sex_hand);
    let csz = format!("{}, {} {}", a.city, a.state, a.zip);
    let mut addr: Vec<Pair> = Vec::new();
    match addr_form {
        0 => addr.push(Pair::new(lbl(cx, &["Address"]), format!("{}, {csz}", a.line))),
        1 => {
            addr.push(Pair::new(lbl(cx, ADDRESS_LABELS), a.line.clone()));
            addr.push(Pair::new(lbl(cx, CSZ_LABELS), csz));
        }
        _ => {
            addr.push(Pair::new(lbl(cx, ADDRESS_LABELS), a.line.clone()));
            addr.push(Pair::new(lbl(cx, &["City"]), a.city.to_string()));
            addr.push(Pair::new(lbl(cx, &["State"]), a.state.to_string()));
            addr.push(Pair::new(lbl(cx, ZIP_LABELS), a.zip.clone()));
        }
    }
    let phone_hand = cx.maybe_hand(0.3);
    let phone_p = Pair::new(lbl(cx, PHONE_LABELS), phone).hand(phone_hand);
    let allergy_hand = cx.maybe_hand(0.25);
    let allergy_p = Pair::new(lbl(cx, ALLERGY_LABELS), allergies).hand(allergy_hand);
    let payer_p = Pair::new(lbl(cx, PAYER_LABELS), rec.payer.to_string());
    let member_p = Pair::new(lbl(cx, MEMBER_LABELS), rec.member_id.clone());
    let group_p = rec.group.as_ref().map(|g| {
        let h = cx.maybe_hand(0.25);
        Pair::new(lbl(cx, GROUP_LABELS), g.clone()).hand(h)
    });
    let extras: Vec<Pair> = if cx.rng.gen_bool(0.4) {
        vec![
            Pair::new(lbl(cx, &["Marital Status"]), ["Married", "Single", "Widowed", "Divorced"].choose(cx.rng).expect("m").to_string()),
            Pair::new(lbl(cx, &["Preferred Language"]), ["English", "Spanish", "English"].choose(cx.rng).expect("l").to_string()),
        ]
    } else {
        Vec::new()
    };

    if boxed {
        let cell = |p: &Pair, w: f32| BoxCell { label: p.label.clone(), value: p.value.clone(), hand: p.hand, weight: w };
        let mut rows: Vec<Vec<BoxCell>> = vec![vec![cell(&name_p, 2.0), cell(&mrn_p, 1.0)]];
        let mut row2 = vec![cell(&dob_p, 1.0)];
        if rec.sex_shown {
            row2.push(cell(&sex_p, 0.7));
        } else if cx.rng.gen_bool(0.5) {
            // An empty Sex box: the field is on the form but not filled in.
            row2.push(BoxCell { label: sex_p.label.clone(), value: String::new(), hand: Hand::Print, weight: 0.7 });
        }
        row2.push(cell(&phone_p, 1.3));
        rows.push(row2);
        match addr.len() {
            1 => rows.push(vec![cell(&addr[0], 1.0)]),
            2 => rows.push(vec![cell(&addr[0], 1.2), cell(&addr[1], 1.0)]),
            _ => {
                rows.push(vec![cell(&addr[0], 1.0)]);
                rows.push(vec![cell(&addr[1], 1.4), cell(&addr[2], 0.6), cell(&addr[3], 0.8)]);
            }
        }
        let mut cov = vec![cell(&payer_p, 1.4), cell(&member_p, 1.2)];
        if let Some(g) = &group_p {
            cov.push(cell(g, 0.8));
        }
        rows.push(cov);
        rows.push(vec![cell(&allergy_p, 1.0)]);
        if !extras.is_empty() {
            rows.push(extras.iter().map(|p| cell(p, 1.0)).collect());
        }
        blocks.push(if cells { Block::Grid(rows) } else { Block::Boxes(rows) });
        return blocks;
    }

    if crowded {
        let mut ids = vec![name_p, mrn_p, dob_p];
        if rec.sex_shown {
            ids.push(sex_p);
        }
        blocks.extend(cx.rows(ids, 84));
        let mut contact = addr;
        contact.push(phone_p);
        blocks.extend(cx.rows(contact, 84));
        blocks.push(Block::Gap(6.0));
        if cx.frng.gen_bool(0.5) {
            blocks.push(Block::Heading(family::header(cx.style.look.labels, "Coverage")));
        }
        let mut coverage = vec![payer_p, member_p];
        coverage.extend(group_p);
        blocks.extend(cx.rows(coverage, 84));
        blocks.push(Block::Gap(6.0));
        blocks.push(Block::Pairs { cols: 1, align: false, items: vec![allergy_p] });
        if !extras.is_empty() {
            blocks.extend(cx.rows(extras, 84));
        }
        return blocks;
    }

    let two = layout >= 4;
    let mut ids = vec![name_p, mrn_p, dob_p];
    if rec.sex_shown {
        ids.push(sex_p);
    }
    let mut coverage = vec![payer_p, member_p];
    coverage.extend(group_p);
    if two {
        blocks.push(Block::Pairs { cols: 2, align: false, items: ids });
        let (line, rest) = addr.split_at(1);
        blocks.push(Block::Pairs { cols: 1, align: false, items: line.to_vec() });
        let mut rest = rest.to_vec();
        rest.push(phone_p);
        blocks.push(Block::Pairs { cols: 2, align: false, items: rest });
        blocks.push(Block::Gap(6.0));
        if cx.rng.gen_bool(0.5) {
            blocks.push(Block::Heading("COVERAGE".into()));
        }
        blocks.push(Block::Pairs { cols: 2, align: false, items: coverage });
        blocks.push(Block::Gap(6.0));
        blocks.push(Block::Pairs { cols: 1, align: false, items: vec![allergy_p] });
        if !extras.is_empty() {
            blocks.push(Block::Pairs { cols: 2, align: false, items: extras });
        }
    } else {
        let align = cx.rng.gen_bool(0.5);
        if cx.rng.gen_bool(0.5) {
            blocks.push(Block::Heading("DEMOGRAPHICS".into()));
        }
        let mut items = ids;
        items.extend(addr);
        items.push(phone_p);
        items.extend(extras);
        blocks.push(Block::Pairs { cols: 1, align, items });
        blocks.push(Block::Gap(8.0));
        if cx.rng.gen_bool(0.5) {
            blocks.push(Block::Heading("COVERAGE".into()));
        }
        blocks.push(Block::Pairs { cols: 1, align, items: coverage });
        blocks.push(Block::Gap(8.0));
        blocks.push(Block::Pairs { cols: 1, align, items: vec![allergy_p] });
    }
    blocks
}

fn progress_note(cx: &mut Ctx, rec: &Record, fx: &Effects, k: usize, change: Option<&HeaderChange>) -> Vec<Block> {
    let e = &rec.encounters[k];
    let mut blocks = cx.top(NOTE_TITLES);
    blocks.extend(header(cx, rec, change));

    let layout = cx.rng.gen_range(0..10);
    let cells = cx.style.look.label_cells && cx.frng.gen_bool(0.6);
    let crowded = !cells && cx.style.look.crowded && cx.frng.gen_bool(0.7);
    let boxed = (layout >= 7 && !crowded) || cells;
    let faint = |f: Faint| fx.faint == Some(f);
    let mut visit: Vec<Pair> = Vec::new();
    if let Some(date) = cx.date_val(e.date) {
        let hand = if faint(Faint::VisitDate(k)) { Hand::Faint } else { Hand::Print };
        visit.push(Pair::new(cx.label(VISIT_LABELS, boxed), date).hand(hand));
    }
    if let Some(p) = &e.provider {
        let hand = if faint(Faint::Provider(k)) { Hand::Faint } else { Hand::Print };
        visit.push(Pair::new(cx.label(PROVIDER_LABELS, boxed), p.name.clone()).hand(hand));
    }
    visit.push(Pair::new(cx.label(NPI_LABELS, boxed), e.npi.clone()));
    if boxed {
        let weights = [1.0, 1.8, 1.0];
        let row = visit
            .iter()
            .enumerate()
            .map(|(i, p)| BoxCell { label: p.label.clone(), value: p.value.clone(), hand: p.hand, weight: weights[i.min(2)] })
            .collect();
        blocks.push(if cells { Block::Grid(vec![row]) } else { Block::Boxes(vec![row]) });
    } else if crowded {
        blocks.extend(cx.rows(visit, 88));
    } else if layout >= 4 {
        blocks.push(Block::Pairs { cols: 2, align: false, items: visit });
    } else {
        blocks.push(Block::Pairs { cols: 1, align: cx.rng.gen_bool(0.4), items: visit });
    }
    blocks.push(Block::Gap(6.0));

    let cc_label = cx.narrative_label("Chief Complaint:");
    blocks.push(Block::Para { label: Some(cc_label), text: e.complaint.to_string() });
    let hpi_label = *["HPI:", "Subjective:"].choose(cx.rng).expect("labels");
    let hpi_label = cx.narrative_label(hpi_label);
    blocks.push(Block::Para { label: Some(hpi_label), text: e.hpi.to_string() });

    // Vitals.
    let v = &e.vitals;
    let mut vit: Vec<Pair> = Vec::new();
    let vh = cx.maybe_hand(0.5);
    // Families that write more by hand write the vitals' digits more often.
    let vh = if cx.style.look.more_hand && cx.frng.gen_bool(0.5) { Hand::Neat } else { vh };
    if let Some((s, d)) = v.bp {
        vit.push(Pair::new(cx.label(BP_LABELS, false), format!("{s}/{d}")).hand(vh));
    }
    let pulse = if cx.rng.gen_bool(0.3) { format!("{} bpm", v.pulse) } else { v.pulse.to_string() };
    vit.push(Pair::new(cx.label(PULSE_LABELS, false), pulse).hand(vh));
    let temp = format!("{}.{}", v.temp_tenths / 10, v.temp_tenths % 10);
    let temp = if cx.rng.gen_bool(0.7) { format!("{temp} F") } else { temp };
    vit.push(Pair::new(cx.label(TEMP_LABELS, false), temp).hand(vh));
    let unit = *["lb", "lbs", ""].choose(cx.rng).expect("units");
    let weight = if unit.is_empty() { v.weight_lb.to_string() } else { format!("{} {unit}", v.weight_lb) };
    vit.push(Pair::new(cx.label(WEIGHT_LABELS, false), weight).hand(vh));
    match cx.rng.gen_range(0..4) {
        0 => blocks.push(Block::Pairs { cols: 2, align: false, items: vit }),
        1 if boxed => {
            let row = vit
                .iter()
                .map(|p| BoxCell { label: p.label.trim_end_matches(':').to_string(), value: p.value.clone(), hand: p.hand, weight: 1.0 })
                .collect();
            blocks.push(Block::Boxes(vec![row]));
        }
        _ => {
            if cx.rng.gen_bool(0.3) {
                let h = family::header(cx.style.look.labels, "Vitals");
                blocks.push(Block::Heading(h));
            }
            if cx.style.look.crowded {
                let gap_em = cx.style.look.gap_em;
                blocks.push(Block::Row { items: vit, gap_em });
            } else {
                blocks.push(Block::Inline(vit));
            }
        }
    }
    blocks.push(Block::Gap(4.0));
    let exam_label = cx.narrative_label("Exam:");
    blocks.push(Block::Para { label: Some(exam_label), text: e.exam.to_string() });

    let items: Vec<String> = e.dx.iter().map(|(c, t)| format!("{c}  {t}")).collect();
    let dx_label = cx.label(DX_LABELS, false);
    let first_inline = cx.rng.gen_bool(0.4);
    blocks.push(Block::Codes { label: dx_label, items, first_inline });
    let plan_label = cx.narrative_label("Plan:");
    blocks.push(Block::Para { label: Some(plan_label), text: e.plan.to_string() });
    blocks.push(Block::Gap(14.0));

    match e.signed {
        Some(date) => {
            let name = e.signer.clone();
            let date = cx.date(date, DateKind::Event);
            let hand = if cx.style.hand_chart && cx.rng.gen_bool(0.5) { Hand::Neat } else { Hand::Print };
            if cx.style.look.sign_below && cx.frng.gen_bool(0.7) {
                // A rule to sign on, the signer's name written below it.
                let base = *["Signed", "Signature"].choose(cx.frng).expect("labels");
                let label = cx.styled(base, false);
                let date_label = cx.styled("Date", false);
                let hand = if cx.frng.gen_bool(0.75) { Hand::Neat } else { Hand::Print };
                blocks.push(Block::SignBelow { label, name, hand, date_label, date });
                return blocks;
            }
            match cx.rng.gen_range(0..3) {
                0 => blocks.push(Block::Line { text: format!("Electronically signed by {name} on {date}"), hand: Hand::Print }),
                1 => blocks.push(Block::Inline(vec![
                    Pair::new(punctuate(cx.rng, "Signed", false), name).hand(hand),
                    Pair::new("Date:", date),
                ])),
                _ => blocks.push(Block::Inline(vec![
                    Pair::new(punctuate(cx.rng, "Signature", false), name).hand(hand),
                    Pair::new("Date:", date),
                ])),
            }
        }
        None => {
            if fx.blank_signature_line {
                blocks.push(Block::Inline(vec![Pair::new("Signature:", ""), Pair::new("Date:", "")]));
            }
        }
    }
    blocks
}

fn medication_list(cx: &mut Ctx, rec: &Record, fx: &Effects, change: Option<&HeaderChange>) -> Vec<Block> {
    let mut blocks = cx.top(MED_TITLES);
    blocks.extend(header(cx, rec, change));
    let headers = vec![
        cx.head(MED_NAME_HEADERS),
        cx.head(MED_DOSE_HEADERS),
        family::header(cx.style.look.labels, "Route"),
        cx.head(MED_FREQ_HEADERS),
        cx.head(MED_START_HEADERS),
    ];
    let table_form = pick_date_form(cx.rng, 2000, DateKind::Event, cx.date_form);
    // A printed list; in charts with handwriting the last entry may be added by hand.
    let hand_last = cx.maybe_hand(0.6);
    let mut rows = Vec::new();
    for (m, med) in rec.medications.iter().enumerate() {
        let hand = if m + 1 == rec.medications.len() { hand_last } else { Hand::Print };
        let cell = |text: String, h: Hand| Cell { text, hand: h };
        let name_hand = if fx.faint == Some(Faint::Drug(m)) { Hand::Faint } else { hand };
        let dose_hand = if fx.faint == Some(Faint::Dose(m)) { Hand::Faint } else { hand };
        let start = med
            .start
            .map(|d| format::format_date(d, pick_date_form(cx.rng, d.year(), DateKind::Event, table_form)))
            .unwrap_or_default();
        rows.push(vec![
            cell(med.name.to_string(), name_hand),
            cell(med.dose.unwrap_or("").to_string(), dose_hand),
            cell(med.route.to_string(), hand),
            cell(med.frequency.to_string(), hand),
            cell(start, hand),
        ]);
    }
    let (ruled, rules) = cx.table_rules();
    blocks.push(Block::Table { headers, widths: vec![0.30, 0.16, 0.12, 0.18, 0.24], rows, ruled, rules });
    blocks
}

fn immunization_record(cx: &mut Ctx, rec: &Record, fx: &Effects, change: Option<&HeaderChange>) -> Vec<Block> {
    let mut blocks = cx.top(IMM_TITLES);
    blocks.extend(header(cx, rec, change));
    let site = cx.rng.gen_bool(0.2);
    let mut headers = vec![cx.head(IMM_VACCINE_HEADERS), cx.head(IMM_CVX_HEADERS), cx.head(IMM_DATE_HEADERS), cx.head(IMM_LOT_HEADERS)];
    let mut widths = vec![0.34, 0.14, 0.26, 0.26];
    if site {
        headers.push(family::header(cx.style.look.labels, "Site"));
        widths = vec![0.28, 0.12, 0.22, 0.18, 0.20];
    }
    let table_form = pick_date_form(cx.rng, 2000, DateKind::Event, cx.date_form);
    let hand_last = cx.maybe_hand(0.6);
    let mut rows = Vec::new();
    for (m, imm) in rec.immunizations.iter().enumerate() {
        let hand = if m + 1 == rec.immunizations.len() { hand_last } else { Hand::Print };
        let lot_hand = if fx.faint == Some(Faint::Lot(m)) { Hand::Faint } else { hand };
        let date = format::format_date(imm.date, pick_date_form(cx.rng, imm.date.year(), DateKind::Event, table_form));
        let mut row = vec![
            Cell { text: imm.vaccine.to_string(), hand: Hand::Print },
            Cell { text: imm.cvx.to_string(), hand: Hand::Print },
            Cell { text: date, hand },
            Cell { text: imm.lot.clone().unwrap_or_default(), hand: lot_hand },
        ];
        if site {
            row.push(Cell { text: imm.site.to_string(), hand });
        }
        rows.push(row);
    }
    let (ruled, rules) = cx.table_rules();
    blocks.push(Block::Table { headers, widths, rows, ruled, rules });
    blocks
}

/// A page of a document type the pipeline does not know, with a header and text.
pub fn unknown_page(rng: &mut ChaCha8Rng, frng: &mut ChaCha8Rng, style: &Style, rec: &Record, title: &str) -> Doc {
    let date_form = style.date_form;
    let mut cx = Ctx { rng, frng, style, date_form };
    let mut blocks = Vec::new();
    if let Some(lines) = &style.letterhead {
        blocks.push(Block::Letterhead(lines.clone()));
    }
    blocks.push(Block::Title(title.to_string()));
    blocks.push(Block::Gap(6.0));
    blocks.extend(header(&mut cx, rec, None));
    let when = rec.encounters.first().map(|e| e.service).unwrap_or(rec.id.person.dob);
    let when = cx.date(when, DateKind::Event);
    let para = |label: &str, text: &str| Block::Para { label: Some(label.to_string()), text: text.to_string() };
    match title {
        "LABORATORY REPORT" => {
            blocks.push(para("Collected:", &when));
            let (ruled, rules) = cx.table_rules();
            let rows = [
                ["Glucose", "105", "mg/dL", "70-99"],
                ["Hemoglobin A1c", "6.8", "%", "4.0-5.6"],
                ["Sodium", "139", "mmol/L", "135-145"],
                ["Potassium", "4.1", "mmol/L", "3.5-5.1"],
                ["Creatinine", "0.9", "mg/dL", "0.6-1.3"],
                ["LDL cholesterol", "128", "mg/dL", "below 100"],
            ];
            blocks.push(Block::Table {
                headers: vec!["Test".into(), "Result".into(), "Units".into(), "Reference Range".into()],
                widths: vec![0.36, 0.18, 0.18, 0.28],
                rows: rows.iter().map(|r| r.iter().map(|t| Cell { text: t.to_string(), hand: Hand::Print }).collect()).collect(),
                ruled,
                rules,
            });
        }
        "RADIOLOGY REPORT" => {
            blocks.push(para("Exam:", "Chest X-ray, two views."));
            blocks.push(para("Findings:", "The lungs are clear. Cardiac silhouette is normal in size. No pleural effusion or pneumothorax."));
            blocks.push(para("Conclusion:", "No acute cardiopulmonary process."));
            blocks.push(para("Read on:", &when));
        }
        "DISCHARGE SUMMARY" => {
            blocks.push(para("Admitted:", &when));
            blocks.push(para("Hospital course:", "Admitted for community acquired pneumonia, treated with intravenous antibiotics and improved steadily."));
            blocks.push(para("Follow-up:", "Primary care in one week. Repeat chest film in six weeks."));
        }
        "PATHOLOGY REPORT" => {
            blocks.push(para("Specimen:", "Skin, left forearm, shave biopsy."));
            blocks.push(para("Gross:", "A tan-brown shave of skin measuring 0.6 x 0.5 x 0.1 cm."));
            blocks.push(para("Final:", "Seborrheic keratosis. Margins clear."));
        }
        "REFERRAL LETTER" => {
            blocks.push(Block::Para { label: None, text: "Dear colleague,".into() });
            blocks.push(Block::Para {
                label: None,
                text: "Thank you for seeing this pt for evaluation of persistent knee pain despite physical therapy. \
                       Recent films show moderate degenerative change. We would value your opinion on further management."
                    .into(),
            });
            blocks.push(Block::Para { label: None, text: "Sincerely,".into() });
        }
        _ => {
            blocks.push(Block::Para {
                label: None,
                text: "I consent to examination and treatment by the clinicians of this practice. I understand that \
                       no guarantee has been made about the results of treatment. I authorize release of records \
                       needed for billing."
                    .into(),
            });
            blocks.push(para("Witness:", "front desk"));
        }
    }
    style.doc(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narratives_carry_no_label_word() {
        let texts = data::COMPLAINTS
            .iter()
            .map(|(_, t)| *t)
            .chain(data::HPI.iter().copied())
            .chain(data::EXAM.iter().copied())
            .chain(data::PLANS.iter().copied());
        for t in texts {
            for word in t.split(|c: char| !c.is_ascii_alphanumeric()) {
                let w = word.to_lowercase();
                assert!(!data::LABEL_WORDS.contains(&w.as_str()), "{w:?} in {t:?}");
            }
        }
    }
}
