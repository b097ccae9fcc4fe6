//! The plan of a corpus: patients, their clinical records, the one defect
//! injected into about a third of the charts, the pages of each chart and
//! the truth (the expected export). No pixel is drawn here, so a corpus of
//! any size is planned in milliseconds and its truth can be tested alone.

use super::compose::{self, Slot};
use super::data::{self, City, Condition, Drug, Vaccine};
use super::family::{self, Family};
use super::format::{self, DateForm};
use super::page::{Content, Encoding, PagePlan, Scan, Smear};
use crate::model::FlagCode;
use chrono::{Datelike, Duration, NaiveDate};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::HashSet;

/// Every generated date is on or before this day, so that nothing is in the
/// future whenever the corpus is read.
pub fn reference_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 12, 31).expect("valid date")
}

/// Charts per box folder.
const BOX_SIZE: usize = 25;

/// The RNG of one part of one chart: the corpus seed, the chart index and a
/// stream number, so that each chart (and each page) is reproducible alone.
pub fn chart_rng(seed: u64, chart: usize, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(((chart as u64 + 1) << 16) | stream);
    rng
}

// ------------------------------------------------------------------ truth

/// The expected export of one chart (the spec's JSON shape, in its key order).
#[derive(Clone, Debug, Serialize)]
pub struct Truth {
    pub chart_id: String,
    pub status: &'static str,
    pub flags: Vec<TruthFlag>,
    pub patient: TPatient,
    pub allergies: Vec<TAllergy>,
    pub coverage: TCoverage,
    pub encounters: Vec<TEncounter>,
    pub medications: Vec<TMedication>,
    pub immunizations: Vec<TImmunization>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TruthFlag {
    pub code: FlagCode,
    pub field: Option<String>,
    pub page: u32,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct TPatient {
    pub family: Option<String>,
    pub given: Option<String>,
    pub mrn: Option<String>,
    pub dob: Option<String>,
    pub sex: Option<String>,
    pub address: TAddress,
    pub phone: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TAddress {
    pub line: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TAllergy {
    pub substance: String,
    pub reaction: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TCoverage {
    pub payer: Option<String>,
    pub member_id: Option<String>,
    pub group: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TEncounter {
    pub date: Option<String>,
    pub provider: Option<String>,
    pub npi: Option<String>,
    pub vitals: TVitals,
    pub diagnoses: Vec<TDiagnosis>,
    pub signed_by: Option<String>,
    pub signed_date: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TVitals {
    pub bp: Option<String>,
    pub pulse: Option<i64>,
    pub temp_f: Option<f64>,
    pub weight_lb: Option<i64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TDiagnosis {
    pub code: String,
    pub text: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct TMedication {
    pub name: String,
    pub dose: Option<String>,
    pub route: Option<String>,
    pub frequency: Option<String>,
    pub start_date: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TImmunization {
    pub vaccine: String,
    pub cvx: Option<String>,
    pub date: Option<String>,
    pub lot: Option<String>,
}

// ------------------------------------------------------------ the records

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sex {
    M,
    F,
    U,
}

impl Sex {
    pub fn code(self) -> &'static str {
        match self {
            Sex::M => "M",
            Sex::F => "F",
            Sex::U => "U",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Person {
    pub first: String,
    pub middle: Option<char>,
    pub family: String,
    pub sex: Sex,
    pub dob: NaiveDate,
}

impl Person {
    pub fn given(&self) -> String {
        format::given(&self.first, self.middle)
    }
}

#[derive(Clone, Debug)]
pub struct Address {
    pub line: String,
    pub city: &'static str,
    pub state: &'static str,
    pub zip: String,
}

/// Who a chart belongs to: unique across the corpus except for the
/// injected duplicates.
#[derive(Clone, Debug)]
pub struct Identity {
    pub person: Person,
    pub mrn: String,
    pub address: Address,
    /// Ten digits.
    pub phone: String,
}

#[derive(Clone, Debug)]
pub struct Provider {
    /// As printed and exported: `John R. Miller, MD`.
    pub name: String,
    pub npi: String,
}

/// A date as printed: a real one, an impossible one (30 February) or none.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DateVal {
    Real(NaiveDate),
    Invalid(i32, u32, u32),
    Missing,
}

impl DateVal {
    pub fn real(self) -> Option<NaiveDate> {
        match self {
            DateVal::Real(d) => Some(d),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Vitals {
    pub bp: Option<(u32, u32)>,
    pub pulse: u32,
    /// Tenths of a degree Fahrenheit.
    pub temp_tenths: u32,
    pub weight_lb: u32,
}

#[derive(Clone, Debug)]
pub struct Encounter {
    pub date: DateVal,
    /// The true date of service (for coding and narrative), even when the
    /// printed date is broken.
    pub service: NaiveDate,
    pub provider: Option<Provider>,
    /// The NPI as printed (a provider's NPI, or a broken one).
    pub npi: String,
    pub vitals: Vitals,
    /// (code, text) as printed.
    pub dx: Vec<(String, String)>,
    /// Signature date; `None`: the note is unsigned.
    pub signed: Option<NaiveDate>,
    pub signer: String,
    pub complaint: &'static str,
    pub hpi: &'static str,
    pub exam: &'static str,
    pub plan: &'static str,
}

#[derive(Clone, Debug)]
pub struct Medication {
    pub name: &'static str,
    pub dose: Option<&'static str>,
    pub route: &'static str,
    pub frequency: &'static str,
    pub start: Option<NaiveDate>,
}

#[derive(Clone, Debug)]
pub struct Immunization {
    pub vaccine: &'static str,
    pub cvx: &'static str,
    pub date: NaiveDate,
    pub lot: Option<String>,
    pub site: &'static str,
}

/// Everything printed in one chart.
#[derive(Clone, Debug)]
pub struct Record {
    pub id: Identity,
    /// Whether the face sheet shows the sex.
    pub sex_shown: bool,
    pub allergies: Vec<(&'static str, Option<&'static str>)>,
    pub payer: &'static str,
    pub member_id: String,
    pub group: Option<String>,
    pub encounters: Vec<Encounter>,
    pub medications: Vec<Medication>,
    pub immunizations: Vec<Immunization>,
}

// ------------------------------------------------------------- the effects

/// A field the composer writes very faintly by hand (`low_confidence`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Faint {
    Provider(usize),
    VisitDate(usize),
    Drug(usize),
    Dose(usize),
    Lot(usize),
}

/// What one page's header says instead of the chart's patient.
#[derive(Clone, Debug, PartialEq)]
pub enum HeaderChange {
    Mrn(String),
    Name(String, Option<char>, String),
    Dob(NaiveDate),
}

/// A page that is not part of the record (defects only).
#[derive(Clone, Debug, PartialEq)]
pub enum Extra {
    Unknown(&'static str),
    Smear(Smear),
    Corrupt,
}

/// How the injected defect shows on paper, besides the record's values.
#[derive(Clone, Debug, Default)]
pub struct Effects {
    pub faint: Option<Faint>,
    pub header: Option<(Slot, HeaderChange)>,
    pub extra: Option<Extra>,
    /// The blank signature line of an unsigned note is drawn (else omitted).
    pub blank_signature_line: bool,
}

/// The flag the defect must raise, before pages are numbered.
#[derive(Clone, Debug)]
struct PendingFlag {
    code: FlagCode,
    field: Option<String>,
    slot: Slot,
    reason: String,
}

// ------------------------------------------------------------ the plan

/// How a chart is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileForm {
    /// One multi-page grey TIFF, LZW (`deflate` false) or Deflate.
    TiffGray { deflate: bool },
    /// One multi-page bitonal TIFF, CCITT G4.
    TiffG4,
    /// A folder of single-page files; `color`: scanned in colour.
    Folder { color: bool },
}

#[derive(Clone, Debug)]
pub struct ChartPlan {
    pub index: usize,
    pub chart_id: String,
    /// The style family the chart is drawn in (recorded in `families.csv`,
    /// never in the truth).
    pub family: Family,
    /// Path of the multi-page file relative to the archive (TIFF forms), or
    /// of the folder (folder form).
    pub path: String,
    pub form: FileForm,
    pub dpi: u32,
    pub pages: Vec<PagePlan>,
    pub truth: Truth,
}

/// Plans a corpus of `charts` charts for a seed, in the development families.
pub fn plan_corpus(charts: usize, seed: u64) -> Vec<ChartPlan> {
    plan_corpus_families(charts, seed, family::DEVELOPMENT)
}

/// Plans a corpus of `charts` charts for a seed, the families dealt evenly
/// over the charts. The patient, record and defect code of chart `i` do not
/// depend on the families (a family that chooses its own storage form can
/// change how an `unreadable_page` defect is injected); how the chart looks does.
pub fn plan_corpus_families(charts: usize, seed: u64, families: &[Family]) -> Vec<ChartPlan> {
    let dealt = family::deal(families, charts, &mut chart_rng(seed, usize::MAX >> 20, 1));
    let mut rng = chart_rng(seed, usize::MAX >> 20, 0);
    let providers = make_providers(&mut rng, 8 + charts.min(400) / 10);
    let defects = assign_defects(&mut rng, charts);

    let mut used_mrn = HashSet::new();
    let mut used_person = HashSet::new();
    let mut ids: Vec<Identity> = (0..charts)
        .map(|i| new_identity(&mut chart_rng(seed, i, 0), &mut used_mrn, &mut used_person))
        .collect();

    // Duplicates: the defective chart takes its partner's MRN (another
    // person), or its partner's person under a new MRN.
    let mut partners_used = HashSet::new();
    let mut dup_kind = vec![None; charts];
    for i in 0..charts {
        if defects[i] != Some(FlagCode::DuplicatePatient) {
            continue;
        }
        let mut r = chart_rng(seed, i, 2);
        let clean: Vec<usize> = (0..i).filter(|j| defects[*j].is_none()).collect();
        let fresh: Vec<usize> = clean.iter().copied().filter(|j| !partners_used.contains(j)).collect();
        let pool = if fresh.is_empty() { &clean } else { &fresh };
        let Some(&j) = pool.choose(&mut r) else { continue };
        partners_used.insert(j);
        if r.gen_bool(0.5) {
            ids[i].mrn = ids[j].mrn.clone();
            dup_kind[i] = Some(true);
        } else {
            let keep_mrn = ids[i].mrn.clone();
            ids[i] = ids[j].clone();
            ids[i].mrn = keep_mrn;
            dup_kind[i] = Some(false);
        }
    }

    (0..charts)
        .map(|i| {
            let defect = match defects[i] {
                Some(FlagCode::DuplicatePatient) if dup_kind[i].is_none() => None,
                d => d,
            };
            plan_chart(seed, i, ids[i].clone(), defect, dup_kind[i], &providers, dealt[i])
        })
        .collect()
}

/// About a third of the charts get one defect each; the codes go round-robin
/// so that every code occurs once the corpus has 24 charts or more. Chart 0
/// stays clean so that a duplicate always has an earlier partner.
fn assign_defects(rng: &mut ChaCha8Rng, charts: usize) -> Vec<Option<FlagCode>> {
    let mut out = vec![None; charts];
    if charts < 2 {
        return out;
    }
    let n = charts.div_ceil(3).min(charts - 1);
    let mut candidates: Vec<usize> = (1..charts).collect();
    candidates.shuffle(rng);
    let mut chosen: Vec<usize> = candidates[..n].to_vec();
    chosen.sort_unstable();
    let mut codes: Vec<FlagCode> = (0..n).map(|k| FlagCode::ALL[k % FlagCode::ALL.len()]).collect();
    codes.shuffle(rng);
    // The duplicate needs a clean chart before it: give it the latest slot.
    if let Some(pos) = codes.iter().position(|c| *c == FlagCode::DuplicatePatient) {
        let last = codes.len() - 1;
        codes.swap(pos, last);
    }
    for (idx, code) in chosen.into_iter().zip(codes) {
        out[idx] = Some(code);
    }
    out
}

fn make_providers(rng: &mut ChaCha8Rng, n: usize) -> Vec<Provider> {
    let mut names = HashSet::new();
    let mut out = Vec::new();
    while out.len() < n {
        let female = rng.gen_bool(0.5);
        let first = if female { pick(rng, data::FEMALE_GIVEN) } else { pick(rng, data::MALE_GIVEN) };
        let raw_family = pick(rng, family_names());
        if data::FAMILY_AVOID.contains(&raw_family) {
            continue;
        }
        let family = format::display_family(raw_family);
        let cred = pick(rng, data::CREDENTIALS);
        let name = if rng.gen_bool(0.7) {
            let m = (b'A' + rng.gen_range(0..26u8)) as char;
            format!("{first} {m}. {family}, {cred}")
        } else {
            format!("{first} {family}, {cred}")
        };
        if !names.insert(name.clone()) {
            continue;
        }
        out.push(Provider { name, npi: valid_npi(rng) });
    }
    out
}

/// A random NPI that passes the check.
pub fn valid_npi(rng: &mut impl Rng) -> String {
    let mut s = String::new();
    s.push(if rng.gen_bool(0.6) { '1' } else { '2' });
    for _ in 0..8 {
        s.push(char::from(b'0' + rng.gen_range(0..10u8)));
    }
    let check = format::npi_check_digit(&s);
    s.push(char::from_digit(check, 10).expect("digit"));
    s
}

fn family_names() -> &'static [&'static str] {
    data::FAMILY
}

fn pick<T: Copy>(rng: &mut impl Rng, items: &[T]) -> T {
    items[rng.gen_range(0..items.len())]
}

fn random_date(rng: &mut impl Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    if to <= from {
        return from;
    }
    let days = (to - from).num_days();
    from + Duration::days(rng.gen_range(0..=days))
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// Whole years from `from` to `to`.
pub fn age_years(from: NaiveDate, to: NaiveDate) -> u32 {
    let mut years = to.year() - from.year();
    if (to.month(), to.day()) < (from.month(), from.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

fn new_identity(rng: &mut ChaCha8Rng, used_mrn: &mut HashSet<String>, used_person: &mut HashSet<(String, String, NaiveDate)>) -> Identity {
    let person = loop {
        let r: f64 = rng.gen();
        let sex = if r < 0.49 {
            Sex::F
        } else if r < 0.98 {
            Sex::M
        } else {
            Sex::U
        };
        let female = match sex {
            Sex::F => true,
            Sex::M => false,
            Sex::U => rng.gen_bool(0.5),
        };
        let first = if female { pick(rng, data::FEMALE_GIVEN) } else { pick(rng, data::MALE_GIVEN) };
        let raw_family = pick(rng, family_names());
        if data::FAMILY_AVOID.contains(&raw_family) {
            continue;
        }
        let family = format::display_family(raw_family);
        let middle = if rng.gen_bool(0.6) { Some((b'A' + rng.gen_range(0..26u8)) as char) } else { None };
        // Ages skew older, as in a records room; every DOB is 1920–2015.
        let year = if rng.gen_bool(0.75) { rng.gen_range(1920..=1990) } else { rng.gen_range(1991..=2015) };
        let dob = random_date(rng, ymd(year, 1, 1), ymd(year, 12, 31));
        let key = (family.to_lowercase(), first.to_lowercase(), dob);
        if used_person.insert(key) {
            break Person { first: first.to_string(), middle, family, sex, dob };
        }
    };
    let mrn = loop {
        let len = rng.gen_range(6..=10usize);
        let zeros = if rng.gen_bool(0.3) { rng.gen_range(1..=2usize) } else { 0 };
        let mut s = "0".repeat(zeros);
        s.push(char::from(b'1' + rng.gen_range(0..9u8)));
        while s.len() < len {
            s.push(char::from(b'0' + rng.gen_range(0..10u8)));
        }
        if used_mrn.insert(s.clone()) {
            break s;
        }
    };
    let city: City = pick(rng, data::CITIES);
    let line = format!("{} {} {}", rng.gen_range(1..9999u32), pick(rng, data::STREETS), pick(rng, data::STREET_SUFFIXES));
    let phone = format!("{}55501{:02}", city.area, rng.gen_range(0..100u32));
    Identity {
        person,
        mrn,
        address: Address { line, city: city.city, state: city.state, zip: city.zip.to_string() },
        phone,
    }
}

/// Letters of generated identifiers: like most issuers, no I and no O
/// (they read as 1 and 0).
const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";

fn member_id(rng: &mut impl Rng, pattern: &str) -> String {
    let mut out = String::new();
    for (i, c) in pattern.chars().enumerate() {
        out.push(match c {
            'A' => char::from(LETTERS[rng.gen_range(0..LETTERS.len())]),
            'C' => char::from(data::MBI_LETTERS[rng.gen_range(0..data::MBI_LETTERS.len())]),
            '9' if i == 0 => char::from(b'1' + rng.gen_range(0..9u8)),
            '9' => char::from(b'0' + rng.gen_range(0..10u8)),
            other => other,
        });
    }
    out
}

fn condition(key: &str) -> &'static Condition {
    data::CONDITIONS.iter().find(|c| c.key == key).expect("known condition")
}

/// The code and text of a condition in the system in force on a date.
fn coded(c: &Condition, date: NaiveDate) -> (String, String) {
    let (code, text) = if date >= format::icd10_start() {
        if c.key == "back_pain" && date >= ymd(2021, 10, 1) {
            ("M54.50", "Low back pain, unspecified")
        } else {
            c.icd10
        }
    } else {
        c.icd9
    };
    (code.to_string(), text.to_string())
}

fn vitals(rng: &mut impl Rng, age: u32, sex: Sex, build: f32) -> Vitals {
    // `build` (0–1) keeps a patient's weight plausible from visit to visit.
    let adult = match sex {
        Sex::F => 110.0 + build * 110.0,
        _ => 135.0 + build * 120.0,
    };
    let typical = match age {
        0 => 8.0 + build * 14.0,
        1..=12 => 20.0 + age as f32 * (5.0 + build * 3.0),
        13..=17 => adult * (0.6 + 0.025 * (age - 12) as f32),
        _ => adult,
    };
    let weight = ((typical * rng.gen_range(0.96..1.04)).round() as u32).max(6);
    let (bp, pulse) = if age < 2 {
        (None, rng.gen_range(100..=140))
    } else if age < 13 {
        let s = rng.gen_range(90..=112);
        (Some((s, rng.gen_range(52..=72))), rng.gen_range(70..=110))
    } else {
        let s = rng.gen_range(104..=162);
        let d = rng.gen_range(62..=96).min(s - 30);
        (Some((s, d)), rng.gen_range(56..=96))
    };
    Vitals { bp, pulse, temp_tenths: rng.gen_range(972..=993), weight_lb: weight }
}

fn make_record(rng: &mut ChaCha8Rng, id: Identity, providers: &[Provider]) -> Record {
    let dob = id.person.dob;
    let today = reference_date();
    let earliest = (dob + Duration::days(21)).max(ymd(1988, 1, 1));
    let start = random_date(rng, earliest, (today - Duration::days(400)).max(earliest));
    let end = (start + Duration::days(rng.gen_range(60..=1500))).min(today);
    let n_visits = rng.gen_range(1..=3usize);
    let mut dates = Vec::new();
    for _ in 0..40 {
        if dates.len() == n_visits {
            break;
        }
        let d = random_date(rng, start, end);
        if !dates.contains(&d) {
            dates.push(d);
        }
    }
    dates.sort();
    let age_start = age_years(dob, start);

    // Chronic conditions present from the start.
    let mut chronic: Vec<&'static Condition> = Vec::new();
    let pool: Vec<&'static Condition> =
        data::CONDITIONS.iter().filter(|c| c.chronic && c.min_age <= age_start && age_start <= c.max_age).collect();
    let want = match age_start {
        0..=17 => rng.gen_range(0..=1),
        18..=49 => rng.gen_range(0..=2),
        _ => rng.gen_range(1..=3),
    };
    for _ in 0..want {
        if let Some(c) = pool.choose(rng) {
            if !chronic.iter().any(|x| x.key == c.key) {
                chronic.push(c);
            }
        }
    }

    // Allergies.
    let mut allergies: Vec<(&'static str, Option<&'static str>)> = Vec::new();
    if rng.gen_bool(0.55) {
        for _ in 0..rng.gen_range(1..=3) {
            let (substance, _) = pick(rng, data::ALLERGENS);
            if allergies.iter().any(|(s, _)| *s == substance) {
                continue;
            }
            let reaction = if rng.gen_bool(0.8) { Some(pick(rng, data::REACTIONS)) } else { None };
            allergies.push((substance, reaction));
        }
    }
    let forbidden: Vec<&str> = allergies
        .iter()
        .filter_map(|(s, _)| data::ALLERGENS.iter().find(|(a, _)| a == s).map(|(_, class)| *class))
        .filter(|c| *c != "none")
        .collect();

    // Coverage by age.
    let age_end = age_years(dob, end);
    let payer = if age_end >= 65 && rng.gen_bool(0.8) {
        data::PAYERS[2]
    } else if rng.gen_bool(0.12) {
        data::PAYERS[3]
    } else {
        let commercial: Vec<&data::Payer> = data::PAYERS.iter().filter(|p| p.group.is_some() || p.name == "Tricare").collect();
        **commercial.choose(rng).expect("payers")
    };
    let member_id = member_id(rng, payer.member);
    let group = payer.group.map(|g| member_id_digits(rng, g));

    // Encounters.
    let primary = rng.gen_range(0..providers.len());
    let build: f32 = rng.gen();
    let mut encounters = Vec::new();
    let mut acute_used: Vec<&'static Condition> = Vec::new();
    for date in dates.iter().copied() {
        let age = age_years(dob, date);
        let mut conds: Vec<&'static Condition> = Vec::new();
        for c in &chronic {
            if rng.gen_bool(0.7) && conds.len() < 3 {
                conds.push(c);
            }
        }
        let r: f64 = rng.gen();
        let extra = if r < 0.5 {
            let acute: Vec<&'static Condition> =
                data::CONDITIONS.iter().filter(|c| !c.chronic && c.min_age <= age && age <= c.max_age).collect();
            acute.choose(rng).copied()
        } else if conds.is_empty() || r < 0.65 {
            Some(condition(if age < 18 { "well_child" } else { "well_adult" }))
        } else {
            None
        };
        if let Some(c) = extra {
            if c.key == "vaccination" && !(9..=12).contains(&date.month()) {
                conds.push(condition(if age < 18 { "well_child" } else { "well_adult" }));
            } else {
                conds.push(c);
                acute_used.push(c);
            }
        }
        if conds.is_empty() {
            conds.push(condition(if age < 18 { "well_child" } else { "well_adult" }));
        }
        let mut dx: Vec<(String, String)> = Vec::new();
        for c in &conds {
            let coded = coded(c, date);
            if !dx.iter().any(|(code, _)| *code == coded.0) {
                dx.push(coded);
            }
        }
        let provider = if rng.gen_bool(0.8) { providers[primary].clone() } else { pick_ref(rng, providers).clone() };
        let signed = if rng.gen_bool(0.7) { date } else { (date + Duration::days(rng.gen_range(1..=6))).min(today) };
        let main = conds[0];
        let complaint = data::COMPLAINTS.iter().find(|(k, _)| *k == main.key).map(|(_, t)| *t).unwrap_or("Follow-up.");
        encounters.push(Encounter {
            date: DateVal::Real(date),
            service: date,
            npi: provider.npi.clone(),
            signer: provider.name.clone(),
            provider: Some(provider),
            vitals: vitals(rng, age, id.person.sex, build),
            dx,
            signed: Some(signed),
            complaint,
            hpi: pick(rng, data::HPI),
            exam: pick(rng, data::EXAM),
            plan: pick(rng, data::PLANS),
        });
    }

    // Medications for the chronic conditions and the acute ones seen.
    let mut medications: Vec<Medication> = Vec::new();
    let last = *dates.last().expect("one visit");
    let first = dates[0];
    for c in chronic.iter().chain(acute_used.iter()) {
        let drugs: Vec<&Drug> = data::DRUGS
            .iter()
            .filter(|d| d.for_condition == c.key && d.since <= last.year() && !forbidden.contains(&d.class))
            .collect();
        // Two drugs only where combinations are the rule.
        let n = if matches!(c.key, "diabetes" | "hypertension" | "asthma") { rng.gen_range(1..=2) } else { 1 };
        for _ in 0..n {
            let Some(d) = drugs.choose(rng) else { break };
            if medications.iter().any(|m| m.name == d.name) || medications.len() >= 8 {
                continue;
            }
            let from = (first - Duration::days(rng.gen_range(0..=900))).max(dob + Duration::days(30)).max(ymd(d.since, 1, 1));
            let start = if rng.gen_bool(0.9) { Some(random_date(rng, from, last)) } else { None };
            medications.push(Medication {
                name: d.name,
                dose: Some(pick(rng, d.doses)),
                route: d.route,
                frequency: pick(rng, d.freqs),
                start,
            });
        }
    }

    // Immunizations around the visit years.
    let mut immunizations: Vec<Immunization> = Vec::new();
    let window_from = (first - Duration::days(3 * 365)).max(dob);
    let window_to = (last + Duration::days(200)).min(today);
    let k = rng.gen_range(1..=6usize);
    for _ in 0..k * 3 {
        if immunizations.len() >= k {
            break;
        }
        let vac: &Vaccine = &data::VACCINES[rng.gen_range(0..data::VACCINES.len())];
        let lo = window_from.max(ymd(vac.from, 1, 1)).max(dob + Duration::days(vac.min_age_months as i64 * 30 + 1));
        let hi = window_to.min(ymd(vac.until, 12, 31)).min(add_years(dob, vac.max_age_years as i32 + 1) - Duration::days(1));
        if hi < lo {
            continue;
        }
        let mut date = random_date(rng, lo, hi);
        if vac.seasonal {
            let season_start = ymd(date.year(), 9, 1);
            let season_end = ymd(date.year(), 12, 31);
            date = random_date(rng, season_start.max(lo), season_end.min(hi));
            if date < lo || date > hi || !(9..=12).contains(&date.month()) {
                continue;
            }
        }
        let too_close = |i: &Immunization| {
            i.vaccine == vac.name && ((i.date - date).num_days().abs() < 28 || (vac.seasonal && i.date.year() == date.year()))
        };
        if immunizations.iter().any(too_close) {
            continue;
        }
        immunizations.push(Immunization {
            vaccine: vac.name,
            cvx: vac.cvx,
            date,
            lot: Some(lot(rng)),
            site: pick(rng, &["L deltoid", "R deltoid", "L thigh", "R thigh"]),
        });
    }
    immunizations.sort_by_key(|i| i.date);

    Record {
        id,
        sex_shown: true,
        allergies,
        payer: payer.name,
        member_id,
        group,
        encounters,
        medications,
        immunizations,
    }
}

fn pick_ref<'a, T>(rng: &mut impl Rng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

fn member_id_digits(rng: &mut impl Rng, pattern: &str) -> String {
    member_id(rng, pattern)
}

fn add_years(d: NaiveDate, years: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year() + years, d.month(), d.day().min(28)).unwrap_or(d)
}

fn lot(rng: &mut impl Rng) -> String {
    let letter = |rng: &mut dyn rand::RngCore| char::from(LETTERS[(rng.next_u32() as usize) % LETTERS.len()]);
    let digit = |rng: &mut dyn rand::RngCore| char::from(b'0' + (rng.next_u32() % 10) as u8);
    let mut s = String::new();
    match rng.gen_range(0..3) {
        0 => {
            for _ in 0..2 {
                s.push(letter(rng));
            }
            for _ in 0..4 {
                s.push(digit(rng));
            }
        }
        1 => {
            s.push(letter(rng));
            for _ in 0..4 {
                s.push(digit(rng));
            }
            s.push(letter(rng));
            s.push(letter(rng));
        }
        _ => {
            s.push(digit(rng));
            s.push(letter(rng));
            s.push(letter(rng));
            for _ in 0..3 {
                s.push(digit(rng));
            }
            s.push(letter(rng));
        }
    }
    s
}

// ---------------------------------------------------------------- defects

fn apply_defect(
    rng: &mut ChaCha8Rng,
    rec: &mut Record,
    code: FlagCode,
    dup_same_mrn: Option<bool>,
    folder: bool,
) -> (Effects, PendingFlag) {
    let mut fx = Effects::default();
    let n_enc = rec.encounters.len();
    let k = rng.gen_range(0..n_enc);
    let has_meds = !rec.medications.is_empty();
    let has_imms = !rec.immunizations.is_empty();
    let flag = |code, field: Option<String>, slot, reason: &str| PendingFlag { code, field, slot, reason: reason.to_string() };
    let pf = match code {
        FlagCode::MissingField => {
            let mut options = vec![0, 1, 2, 3];
            if has_meds {
                options.push(4);
            }
            if has_imms {
                options.push(5);
            }
            match pick(rng, &options) {
                0 => {
                    rec.sex_shown = false;
                    flag(code, Some("patient.sex".into()), Slot::Face, "sex missing from the face sheet")
                }
                1 => {
                    rec.encounters[k].signed = None;
                    fx.blank_signature_line = rng.gen_bool(0.5);
                    flag(code, Some(format!("encounters[{k}].signature")), Slot::Note(k), "progress note is unsigned")
                }
                2 => {
                    rec.encounters[k].provider = None;
                    flag(code, Some(format!("encounters[{k}].provider")), Slot::Note(k), "provider missing from the progress note")
                }
                3 => {
                    rec.encounters[k].date = DateVal::Missing;
                    flag(code, Some(format!("encounters[{k}].date")), Slot::Note(k), "date of service missing")
                }
                4 => {
                    let m = rng.gen_range(0..rec.medications.len());
                    rec.medications[m].dose = None;
                    flag(code, Some(format!("medications[{m}].dose")), Slot::Meds, "medication row without a dose")
                }
                _ => {
                    let m = rng.gen_range(0..rec.immunizations.len());
                    rec.immunizations[m].lot = None;
                    flag(code, Some(format!("immunizations[{m}].lot")), Slot::Imms, "immunization row without a lot")
                }
            }
        }
        FlagCode::LowConfidence => {
            let mut options = vec![0, 1];
            if has_meds {
                options.extend([2, 3]);
            }
            if has_imms {
                options.push(4);
            }
            let (faint, field, slot) = match pick(rng, &options) {
                0 => (Faint::Provider(k), format!("encounters[{k}].provider"), Slot::Note(k)),
                1 => (Faint::VisitDate(k), format!("encounters[{k}].date"), Slot::Note(k)),
                2 => {
                    let m = rng.gen_range(0..rec.medications.len());
                    (Faint::Drug(m), format!("medications[{m}].name"), Slot::Meds)
                }
                3 => {
                    let m = rng.gen_range(0..rec.medications.len());
                    (Faint::Dose(m), format!("medications[{m}].dose"), Slot::Meds)
                }
                _ => {
                    let m = rng.gen_range(0..rec.immunizations.len());
                    (Faint::Lot(m), format!("immunizations[{m}].lot"), Slot::Imms)
                }
            };
            fx.faint = Some(faint);
            flag(code, Some(field), slot, "value handwritten very faintly")
        }
        FlagCode::InvalidValue => match rng.gen_range(0..4) {
            0 => {
                let npi = rec.encounters[k].npi.clone();
                let last = npi[9..].parse::<u32>().unwrap_or(0);
                let wrong = (last + rng.gen_range(1..=9)) % 10;
                rec.encounters[k].npi = format!("{}{}", &npi[..9], wrong);
                flag(code, Some(format!("encounters[{k}].npi")), Slot::Note(k), "NPI check digit is wrong")
            }
            1 => {
                let enc = &mut rec.encounters[k];
                let date = enc.service;
                // The code of the other system for one of the visit's conditions.
                let icd10_era = date >= format::icd10_start();
                let candidates: Vec<&Condition> = data::CONDITIONS
                    .iter()
                    .filter(|c| !format::is_icd10(c.icd9.0))
                    .filter(|c| enc.dx.iter().any(|(code, _)| *code == c.icd9.0 || *code == c.icd10.0))
                    .collect();
                let c = candidates.first().copied().unwrap_or(condition("hypertension"));
                let j = enc.dx.iter().position(|(code, _)| *code == c.icd9.0 || *code == c.icd10.0).unwrap_or(0);
                let wrong = if icd10_era { c.icd9 } else { c.icd10 };
                enc.dx[j] = (wrong.0.to_string(), wrong.1.to_string());
                let reason = if icd10_era { "ICD-9-CM code on a visit after 2015-10-01" } else { "ICD-10-CM code on a visit before 2015-10-01" };
                flag(code, Some(format!("encounters[{k}].diagnoses[{j}].code")), Slot::Note(k), reason)
            }
            2 => {
                let d = rec.encounters[k].service;
                let (m, day) = *[(2u32, 30u32), (2, 31), (4, 31), (6, 31), (9, 31), (11, 31)].choose(rng).expect("dates");
                rec.encounters[k].date = DateVal::Invalid(d.year(), m, day);
                flag(code, Some(format!("encounters[{k}].date")), Slot::Note(k), "date of service is not a calendar date")
            }
            _ => {
                let zip = rec.id.address.zip.clone();
                let cut = rng.gen_range(0..5);
                rec.id.address.zip = format!("{}{}", &zip[..cut], &zip[cut + 1..]);
                flag(code, Some("patient.address.zip".into()), Slot::Face, "ZIP code has four digits")
            }
        },
        FlagCode::IdentityMismatch => {
            let slot = Slot::Note(k);
            match rng.gen_range(0..3) {
                0 => {
                    // A sticker of another chart: one digit off, or another number.
                    let mrn = &rec.id.mrn;
                    let mut other: Vec<char> = mrn.chars().collect();
                    if rng.gen_bool(0.5) {
                        let p = rng.gen_range(other.len().saturating_sub(4)..other.len());
                        let old = other[p];
                        while other[p] == old {
                            other[p] = char::from(b'0' + rng.gen_range(0..10u8));
                        }
                    } else {
                        while other.iter().collect::<String>() == *mrn {
                            for (i, c) in other.iter_mut().enumerate() {
                                if i > 0 || *c != '0' {
                                    *c = char::from(b'0' + rng.gen_range(if i == 0 { 1 } else { 0 }..10u8));
                                }
                            }
                        }
                    }
                    fx.header = Some((slot, HeaderChange::Mrn(other.into_iter().collect())));
                    flag(code, Some("patient.mrn".into()), slot, "page header carries another MRN")
                }
                1 => {
                    let p = &rec.id.person;
                    let mut family = format::display_family(pick(rng, family_names()));
                    while family == p.family || data::FAMILY_AVOID.contains(&family.as_str()) {
                        family = format::display_family(pick(rng, family_names()));
                    }
                    let first = if p.sex == Sex::M { pick(rng, data::MALE_GIVEN) } else { pick(rng, data::FEMALE_GIVEN) };
                    fx.header = Some((slot, HeaderChange::Name(first.to_string(), p.middle, family)));
                    flag(code, Some("patient.name".into()), slot, "page header carries another patient's name")
                }
                _ => {
                    let dob = rec.id.person.dob;
                    // Earlier only: a later DOB could fall after a visit or in the future.
                    let other = dob - Duration::days(*[365i64, 31, 730, 3652].choose(rng).expect("shifts"));
                    fx.header = Some((slot, HeaderChange::Dob(other)));
                    flag(code, Some("patient.dob".into()), slot, "page header carries another date of birth")
                }
            }
        }
        FlagCode::ImplausibleDate => {
            let dob = rec.id.person.dob;
            let mut options = vec![0, 1];
            if has_imms {
                options.push(2);
            }
            match pick(rng, &options) {
                0 => {
                    let date = dob - Duration::days(rng.gen_range(200..3000));
                    let enc = &mut rec.encounters[k];
                    enc.date = DateVal::Real(date);
                    enc.service = date;
                    enc.signed = Some(date);
                    let recoded: Vec<(String, String)> = enc
                        .dx
                        .iter()
                        .map(|(code, _)| {
                            let c = data::CONDITIONS.iter().find(|c| c.icd9.0 == code || c.icd10.0 == code || code == "M54.50");
                            c.map(|c| coded(c, date)).unwrap_or_else(|| coded(condition("well_adult"), date))
                        })
                        .collect();
                    enc.dx = recoded;
                    enc.dx.dedup();
                    flag(code, Some(format!("encounters[{k}].date")), Slot::Note(k), "visit before the date of birth")
                }
                1 => {
                    let year = rng.gen_range(2040..=2060);
                    rec.id.person.dob = random_date(rng, ymd(year, 1, 1), ymd(year, 12, 31));
                    flag(code, Some("patient.dob".into()), Slot::Face, "date of birth in the future")
                }
                _ => {
                    let m = rng.gen_range(0..rec.immunizations.len());
                    rec.immunizations[m].date = dob - Duration::days(rng.gen_range(100..2000));
                    flag(code, Some(format!("immunizations[{m}].date")), Slot::Imms, "immunization before the date of birth")
                }
            }
        }
        FlagCode::UnreadablePage => {
            let extra = if folder && rng.gen_bool(0.5) {
                Extra::Corrupt
            } else if rng.gen_bool(0.5) {
                Extra::Smear(Smear::Black)
            } else {
                Extra::Smear(Smear::Dark)
            };
            let reason = if extra == Extra::Corrupt { "file cannot be decoded" } else { "page is an unreadable smear" };
            fx.extra = Some(extra);
            flag(code, None, Slot::Extra, reason)
        }
        FlagCode::UnknownDocument => {
            let title = pick(
                rng,
                &["LABORATORY REPORT", "RADIOLOGY REPORT", "DISCHARGE SUMMARY", "PATHOLOGY REPORT", "REFERRAL LETTER", "CONSENT FOR TREATMENT"],
            );
            fx.extra = Some(Extra::Unknown(title));
            flag(code, None, Slot::Extra, "page matches no document type")
        }
        FlagCode::DuplicatePatient => {
            let reason = if dup_same_mrn == Some(true) {
                "MRN already used for another patient"
            } else {
                "same name and date of birth under another MRN"
            };
            flag(code, Some("patient.mrn".into()), Slot::Face, reason)
        }
    };
    (fx, pf)
}

// ------------------------------------------------------------ one chart

fn plan_chart(
    seed: u64,
    index: usize,
    id: Identity,
    defect: Option<FlagCode>,
    dup_same_mrn: Option<bool>,
    providers: &[Provider],
    family: Family,
) -> ChartPlan {
    let mut rng = chart_rng(seed, index, 1);
    // The family's own choices come from their own stream, so that a classic
    // chart draws from `rng` exactly what the original generator drew.
    let mut frng = chart_rng(seed, index, 3);
    let mut rec = make_record(&mut rng, id, providers);

    // How the chart is stored and scanned.
    let form = match rng.gen_range(0..100) {
        0..=39 => FileForm::Folder { color: false },
        40..=74 => FileForm::TiffGray { deflate: rng.gen_bool(0.5) },
        _ => FileForm::TiffG4,
    };
    let dpi = *[200, 200, 200, 240, 300, 300, 300, 300, 300, 400].choose(&mut rng).expect("dpis");
    let (form, dpi) = match family {
        // Fax-like archives: mostly bitonal, mostly at fax resolutions.
        Family::Fax => {
            let form = match frng.gen_range(0..100) {
                0..=64 => FileForm::TiffG4,
                65..=84 => FileForm::TiffGray { deflate: frng.gen_bool(0.5) },
                _ => FileForm::Folder { color: false },
            };
            (form, *[200, 200, 200, 240, 300].choose(&mut frng).expect("dpis"))
        }
        Family::Holdout => {
            let form = match frng.gen_range(0..100) {
                0..=49 => FileForm::TiffG4,
                50..=74 => FileForm::TiffGray { deflate: frng.gen_bool(0.5) },
                _ => FileForm::Folder { color: false },
            };
            (form, dpi)
        }
        Family::Classic | Family::Office => (form, dpi),
    };
    let folder = matches!(form, FileForm::Folder { .. });

    let (fx, pending) = match defect {
        Some(code) => {
            let (fx, pf) = apply_defect(&mut rng, &mut rec, code, dup_same_mrn, folder);
            (fx, Some(pf))
        }
        None => (Effects::default(), None),
    };

    // Page order: face sheet, notes (usually oldest first), then the lists.
    let mut slots: Vec<Slot> = vec![Slot::Face];
    let mut notes: Vec<Slot> = (0..rec.encounters.len()).map(Slot::Note).collect();
    if rng.gen_bool(0.2) {
        notes.reverse();
    }
    let meds = !rec.medications.is_empty() && (rng.gen_bool(0.75) || matches!(fx.faint, Some(Faint::Drug(_) | Faint::Dose(_))) || pending.as_ref().is_some_and(|p| p.slot == Slot::Meds));
    let imms = !rec.immunizations.is_empty() && (rng.gen_bool(0.65) || matches!(fx.faint, Some(Faint::Lot(_))) || pending.as_ref().is_some_and(|p| p.slot == Slot::Imms));
    let mut lists = Vec::new();
    if meds {
        lists.push(Slot::Meds);
    }
    if imms {
        lists.push(Slot::Imms);
    }
    if rng.gen_bool(0.25) {
        slots.extend(lists.iter().copied());
        slots.extend(notes.iter().copied());
    } else {
        slots.extend(notes.iter().copied());
        slots.extend(lists.iter().copied());
    }
    if !meds {
        rec.medications.clear();
    }
    if !imms {
        rec.immunizations.clear();
    }
    if fx.extra.is_some() {
        let at = rng.gen_range(1..=slots.len());
        slots.insert(at, Slot::Extra);
    }
    // Blank backs.
    let mut with_blanks = Vec::new();
    for s in slots {
        with_blanks.push(s);
        if rng.gen_bool(0.12) {
            with_blanks.push(Slot::Blank);
        }
    }
    let slots = with_blanks;
    let page_of = |slot: Slot| slots.iter().position(|s| *s == slot).map(|p| p as u32 + 1).unwrap_or(1);

    // Encounter and list numbering follow page order.
    let note_order: Vec<usize> = slots.iter().filter_map(|s| if let Slot::Note(k) = s { Some(*k) } else { None }).collect();

    let flags: Vec<TruthFlag> = pending
        .map(|p| {
            let field = p.field.map(|f| renumber_encounter(&f, &note_order));
            vec![TruthFlag { code: p.code, field, page: page_of(p.slot), reason: p.reason }]
        })
        .unwrap_or_default();

    // The pages.
    let style = compose::Style::new(&mut rng, family, &mut frng);
    let g4 = form == FileForm::TiffG4;
    let folder_enc = match rng.gen_range(0..100) {
        0..=44 => Encoding::Png,
        45..=79 => Encoding::Jpeg { quality: rng.gen_range(50..=90) },
        _ => Encoding::Tiff,
    };
    let mixed = rng.gen_bool(0.1);
    // Colour scanners mostly write JPEG: a colour PNG page would be huge.
    let form = match form {
        FileForm::Folder { .. } => FileForm::Folder { color: !mixed && matches!(folder_enc, Encoding::Jpeg { .. }) && rng.gen_bool(0.4) },
        other => other,
    };
    let mut pages = Vec::new();
    for (i, slot) in slots.iter().enumerate() {
        let content = match slot {
            Slot::Blank => Content::Blank,
            Slot::Extra => match fx.extra.clone().expect("extra page") {
                Extra::Smear(s) => Content::Smear(s),
                Extra::Corrupt => Content::Corrupt,
                Extra::Unknown(title) => Content::Doc(compose::unknown_page(&mut rng, &mut frng, &style, &rec, title)),
            },
            other => Content::Doc(compose::page(&mut rng, &mut frng, &style, &rec, &fx, *other)),
        };
        let encoding = if folder {
            Some(if mixed {
                match rng.gen_range(0..3) {
                    0 => Encoding::Png,
                    1 => Encoding::Jpeg { quality: rng.gen_range(50..=90) },
                    _ => Encoding::Tiff,
                }
            } else {
                folder_enc
            })
        } else {
            None
        };
        let lossless = !g4 && !matches!(encoding, Some(Encoding::Jpeg { .. }));
        let faint_page = fx.faint.is_some() && Some(*slot) == fx.faint.map(faint_slot);
        let mut scan = scan_plan(&mut rng, &content, g4, lossless, faint_page);
        if matches!(content, Content::Doc(_)) && !faint_page {
            family_scan(&mut frng, family, &mut scan, g4);
        }
        pages.push(PagePlan { number: i as u32 + 1, content, scan, encoding });
    }

    let box_no = index / BOX_SIZE + 1;
    let p = &rec.id.person;
    let slug: String = format!("{}-{}", p.family, p.first).to_lowercase().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    let chart_id = format!("box-{box_no:02}/{:04}-{slug}", index + 1);
    let path = match form {
        FileForm::Folder { .. } => chart_id.clone(),
        _ => format!("{chart_id}.{}", if rng.gen_bool(0.3) { "tiff" } else { "tif" }),
    };

    let truth = truth(&chart_id, &rec, &note_order, flags);
    ChartPlan { index, chart_id, family, path, form, dpi, pages, truth }
}

fn faint_slot(f: Faint) -> Slot {
    match f {
        Faint::Provider(k) | Faint::VisitDate(k) => Slot::Note(k),
        Faint::Drug(_) | Faint::Dose(_) => Slot::Meds,
        Faint::Lot(_) => Slot::Imms,
    }
}

/// Encounters are numbered in page order: `encounters[k]` of the record
/// becomes the position of its note among the chart's notes.
fn renumber_encounter(field: &str, note_order: &[usize]) -> String {
    if let Some(rest) = field.strip_prefix("encounters[") {
        if let Some((k, tail)) = rest.split_once(']') {
            if let Ok(k) = k.parse::<usize>() {
                let pos = note_order.iter().position(|x| *x == k).unwrap_or(k);
                return format!("encounters[{pos}]{tail}");
            }
        }
    }
    field.to_string()
}

/// Scan damage of a page. `lossless`: the page is stored losslessly in grey
/// (PNG, grey TIFF), where grain would make files huge, so it is rarer.
fn scan_plan(rng: &mut ChaCha8Rng, content: &Content, g4: bool, lossless: bool, faint_page: bool) -> Scan {
    let mut s = Scan::clean();
    s.paper = if rng.gen_bool(0.5) { 255 } else { rng.gen_range(236..=254) };
    s.ink = rng.gen_range(0..=45);
    s.quarter_turns = match rng.gen_range(0..100) {
        0..=85 => 0,
        86..=92 => 2,
        93..=96 => 1,
        _ => 3,
    };
    s.skew_deg = match rng.gen_range(0..100) {
        0..=14 => 0.0,
        15..=69 => rng.gen_range(-2.0..2.0),
        _ => rng.gen_range(-5.0..5.0),
    };
    if rng.gen_bool(0.25) {
        s.contrast = rng.gen_range(if g4 { 0.7 } else { 0.5 }..0.8);
    }
    if rng.gen_bool(0.35) {
        s.blur = rng.gen_range(0.4..0.9);
    }
    // Grain makes losslessly stored grey pages huge: rare and light there.
    if !lossless && rng.gen_bool(0.4) {
        s.noise = rng.gen_range(2.0..if g4 { 6.0 } else { 7.0 });
    } else if lossless && rng.gen_bool(0.05) {
        s.noise = rng.gen_range(1.5..3.0);
    }
    if rng.gen_bool(0.3) {
        s.salt = rng.gen_range(0.0003..0.002);
    }
    s.holes = rng.gen_bool(0.08);
    if faint_page {
        // The faint value must stay the only hard part of the page.
        s.contrast = 1.0;
        s.blur = s.blur.min(0.5);
        s.noise = s.noise.min(4.0);
    }
    if matches!(content, Content::Blank) {
        s.noise = s.noise.min(4.0);
        s.salt = s.salt.min(0.0005);
    }
    s
}

/// The scan damage of a family on top of the classic damage of a page with
/// text (never on the page of a faint value, which must stay the only hard
/// part of its page). Every page stays legible to a person.
fn family_scan(rng: &mut ChaCha8Rng, family: Family, s: &mut Scan, g4: bool) {
    // (chance of dropouts, of streaks, of thin strokes in G4, of a faint and blurred page)
    let (p_drop, p_streak, p_thin, p_faint) = match family {
        Family::Classic => return,
        Family::Office => (0.1, 0.0, 0.2, 0.08),
        Family::Fax => (0.55, 0.45, 0.5, 0.2),
        Family::Holdout => (0.5, 0.35, 0.5, 0.25),
    };
    if rng.gen_bool(p_drop) {
        s.dropouts = rng.gen_range(0.5..5.0);
    }
    if rng.gen_bool(p_streak) {
        s.streaks = rng.gen_range(1..=6);
    }
    if g4 && rng.gen_bool(p_thin) {
        s.thin = rng.gen_range(0.05..0.2);
    }
    if rng.gen_bool(p_faint) {
        // Faint and blurred: pale toner, a soft focus. In a bitonal scan the
        // threshold takes the paleness away, the blur thickens or breaks strokes.
        s.contrast = s.contrast.min(rng.gen_range(0.42..0.6));
        s.blur = rng.gen_range(0.9..1.4);
        s.noise = s.noise.min(4.0);
        s.thin = s.thin.min(0.1);
    }
}

fn opt(s: &str) -> Option<String> {
    Some(s.to_string())
}

fn truth(chart_id: &str, rec: &Record, note_order: &[usize], flags: Vec<TruthFlag>) -> Truth {
    let p = &rec.id.person;
    let a = &rec.id.address;
    let encounters = note_order
        .iter()
        .map(|k| {
            let e = &rec.encounters[*k];
            TEncounter {
                date: e.date.real().map(format::iso),
                provider: e.provider.as_ref().map(|p| p.name.clone()),
                npi: Some(e.npi.clone()),
                vitals: TVitals {
                    bp: e.vitals.bp.map(|(s, d)| format!("{s}/{d}")),
                    pulse: Some(e.vitals.pulse as i64),
                    temp_f: Some(e.vitals.temp_tenths as f64 / 10.0),
                    weight_lb: Some(e.vitals.weight_lb as i64),
                },
                diagnoses: e.dx.iter().map(|(code, text)| TDiagnosis { code: code.clone(), text: text.clone() }).collect(),
                signed_by: e.signed.map(|_| e.signer.clone()),
                signed_date: e.signed.map(format::iso),
            }
        })
        .collect();
    Truth {
        chart_id: chart_id.to_string(),
        status: if flags.is_empty() { "accepted" } else { "review" },
        flags,
        patient: TPatient {
            family: Some(p.family.clone()),
            given: Some(p.given()),
            mrn: Some(rec.id.mrn.clone()),
            dob: Some(format::iso(p.dob)),
            sex: rec.sex_shown.then(|| p.sex.code().to_string()),
            address: TAddress { line: Some(a.line.clone()), city: opt(a.city), state: opt(a.state), zip: Some(a.zip.clone()) },
            phone: Some(rec.id.phone.clone()),
        },
        allergies: rec
            .allergies
            .iter()
            .map(|(s, r)| TAllergy { substance: s.to_string(), reaction: r.map(|r| r.to_string()) })
            .collect(),
        coverage: TCoverage { payer: opt(rec.payer), member_id: Some(rec.member_id.clone()), group: rec.group.clone() },
        encounters,
        medications: rec
            .medications
            .iter()
            .map(|m| TMedication {
                name: m.name.to_string(),
                dose: m.dose.map(|d| d.to_string()),
                route: opt(m.route),
                frequency: opt(m.frequency),
                start_date: m.start.map(format::iso),
            })
            .collect(),
        immunizations: rec
            .immunizations
            .iter()
            .map(|i| TImmunization {
                vaccine: i.vaccine.to_string(),
                cvx: opt(i.cvx),
                date: Some(format::iso(i.date)),
                lot: i.lot.clone(),
            })
            .collect(),
    }
}

/// A date form for a date of a kind: any of the spec's forms; the two-digit
/// year only where it cannot be misread.
pub fn pick_date_form(rng: &mut impl Rng, year: i32, kind: format::DateKind, preferred: DateForm) -> DateForm {
    if rng.gen_bool(0.6) && (preferred != DateForm::ShortYear || format::two_digit_year_ok(year, kind)) {
        return preferred;
    }
    loop {
        let f = format::DATE_FORMS[rng.gen_range(0..format::DATE_FORMS.len())];
        if f != DateForm::ShortYear || format::two_digit_year_ok(year, kind) {
            return f;
        }
    }
}
