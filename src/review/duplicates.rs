//! Duplicate and overlaid patients: the `duplicate_patient` flag.
//!
//! A migration is where a master patient index gets polluted. Two mistakes
//! are caught, against every chart already loaded (accepted or in review)
//! and every chart seen earlier in the same batch:
//!
//! - an **overlay**: the chart's MRN belongs to another chart with another
//!   name or another date of birth — two people under one number;
//! - a **duplicate**: the same person — the same date of birth and a name
//!   that matches despite OCR slips and nicknames — under another MRN.
//!
//! Names match when the family names agree (after folding OCR confusions
//! such as `rn`/`m`, `0`/`o`; Jaro-Winkler ≥ 0.9 with at most one edit, two
//! in long names; or one part of a compound name equals the other) and the
//! first given names agree (the same name with one slip, an initial, or
//! nicknames of one name: Bob and Robert, Peggy and Margaret, …). A comma
//! lost by OCR (family and given swapped) still matches. Different people
//! sharing a prefix (`Thomas`, `Thompson`) and twins (same family name and
//! DOB, other given names) do not.
//!
//! [`PatientIndex`] is pure: the runner builds it once from the store
//! ([`PatientIndex::from_store`]) and calls [`PatientIndex::check`] for each
//! chart before it is loaded. Flag reasons name the other chart by its id
//! (a path in the archive, not a patient value) and never quote a value.

use crate::model::{Flag, FlagCode};
use crate::store::{KnownPatient, Store, StoreError};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The field a `duplicate_patient` flag names: the MRN is what links (or
/// should link) the charts; correcting it re-checks the chart.
pub const FLAG_FIELD: &str = "patient.mrn";

/// At most this many `duplicate_patient` flags per chart; the last one says
/// how many more charts matched.
const MAX_FLAGS: usize = 5;

/// The identity of a chart's patient, as the export document has it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    pub mrn: Option<String>,
    pub family: Option<String>,
    pub given: Option<String>,
    /// `YYYY-MM-DD`.
    pub dob: Option<String>,
}

impl Identity {
    /// The patient of an export document (`patient.mrn`, `.family`, `.given`, `.dob`).
    pub fn from_document(document: &Json) -> Identity {
        let get = |key: &str| -> Option<String> {
            match document.get("patient")?.get(key)? {
                Json::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
                Json::Number(n) => Some(n.to_string()),
                _ => None,
            }
        };
        Identity { mrn: get("mrn"), family: get("family"), given: get("given"), dob: get("dob") }
    }

    fn from_known(k: &KnownPatient) -> Identity {
        let clean = |s: &Option<String>| s.as_ref().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        Identity { mrn: clean(&k.mrn), family: clean(&k.family), given: clean(&k.given), dob: clean(&k.dob) }
    }

    fn mrn_key(&self) -> Option<String> {
        let key: String = self.mrn.as_deref()?.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_uppercase).collect();
        (!key.is_empty()).then_some(key)
    }

    /// Same person's name, as far as OCR'd names can tell; `None` when
    /// either side has no family name.
    pub fn same_name(&self, other: &Identity) -> Option<bool> {
        let (fa, fb) = (self.family.as_deref()?, other.family.as_deref()?);
        let (ga, gb) = (self.given.as_deref().unwrap_or(""), other.given.as_deref().unwrap_or(""));
        Some(names_match(fa, ga, fb, gb))
    }
}

/// How another chart matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchKind {
    /// Same MRN, another name and/or date of birth.
    Overlay { name_differs: bool, dob_differs: bool },
    /// Same name and date of birth, another MRN.
    Duplicate,
}

/// Where the other chart was seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Already in the database (accepted or in review).
    Loaded,
    /// Earlier in the batch being run.
    Batch,
}

/// Another chart that the chart's patient collides with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatientMatch {
    pub other_chart: String,
    pub kind: MatchKind,
    pub origin: Origin,
    /// The other chart's patient (for `review show`; never for a log).
    pub other: Identity,
}

impl PatientMatch {
    /// The plain reason of the flag: names the other chart, quotes no value.
    pub fn reason(&self) -> String {
        let other = &self.other_chart;
        match (self.kind, self.origin) {
            (MatchKind::Overlay { name_differs, dob_differs }, origin) => {
                let what = match (name_differs, dob_differs) {
                    (true, true) => "another name and date of birth",
                    (true, false) => "another name",
                    _ => "another date of birth",
                };
                match origin {
                    Origin::Loaded => format!("MRN already loaded for {what} (chart {other})"),
                    Origin::Batch => format!("MRN also read for {what} in this batch (chart {other})"),
                }
            }
            (MatchKind::Duplicate, Origin::Loaded) => {
                format!("same name and date of birth already loaded under another MRN (chart {other})")
            }
            (MatchKind::Duplicate, Origin::Batch) => {
                format!("same name and date of birth read under another MRN in this batch (chart {other})")
            }
        }
    }

    pub fn to_flag(&self) -> Flag {
        Flag { code: FlagCode::DuplicatePatient, field: Some(FLAG_FIELD.to_string()), page: None, reason: self.reason() }
    }
}

/// The flags for a list of matches, at most [`MAX_FLAGS`].
pub fn flags_for(matches: &[PatientMatch]) -> Vec<Flag> {
    let mut flags: Vec<Flag> = matches.iter().take(MAX_FLAGS).map(PatientMatch::to_flag).collect();
    if matches.len() > MAX_FLAGS {
        if let Some(last) = flags.last_mut() {
            last.reason.push_str(&format!("; and {} more charts", matches.len() - MAX_FLAGS));
        }
    }
    flags
}

/// Every known patient by chart id, indexed by MRN and date of birth.
#[derive(Clone, Debug, Default)]
pub struct PatientIndex {
    patients: BTreeMap<String, (Identity, Origin)>,
    by_mrn: HashMap<String, BTreeSet<String>>,
    by_dob: HashMap<String, BTreeSet<String>>,
}

impl PatientIndex {
    /// An empty index.
    pub fn new() -> PatientIndex {
        PatientIndex::default()
    }

    /// The patients of the charts already loaded (accepted or in review).
    pub fn from_store(store: &Store) -> Result<PatientIndex, StoreError> {
        Ok(PatientIndex::from_known(&store.known_patients()?))
    }

    /// The index of patients read from the store.
    pub fn from_known(known: &[KnownPatient]) -> PatientIndex {
        let mut index = PatientIndex::new();
        for k in known {
            index.register(&k.chart_id, Identity::from_known(k), Origin::Loaded);
        }
        index
    }

    /// Number of charts known.
    pub fn len(&self) -> usize {
        self.patients.len()
    }

    pub fn is_empty(&self) -> bool {
        self.patients.is_empty()
    }

    /// Flags `duplicate_patient` for this chart against everything loaded
    /// and everything seen earlier in this batch, then registers this
    /// chart's patient (replacing an earlier version of the same chart id).
    /// Pure of I/O.
    pub fn check(&mut self, chart_id: &str, document: &Json) -> Vec<Flag> {
        let identity = Identity::from_document(document);
        let flags = flags_for(&self.matches(chart_id, &identity));
        self.register(chart_id, identity, Origin::Batch);
        flags
    }

    /// The other charts this patient collides with: overlays first, then
    /// duplicates, each in chart-id order. The chart itself (an earlier
    /// version of it) is never a match.
    pub fn matches(&self, chart_id: &str, who: &Identity) -> Vec<PatientMatch> {
        let mut out = Vec::new();
        let mrn = who.mrn_key();
        if let Some(key) = &mrn {
            for other_id in self.by_mrn.get(key).into_iter().flatten().filter(|id| *id != chart_id) {
                let (other, origin) = &self.patients[other_id];
                let name_differs = who.same_name(other) == Some(false);
                let dob_differs = matches!((&who.dob, &other.dob), (Some(a), Some(b)) if a != b);
                if name_differs || dob_differs {
                    out.push(PatientMatch {
                        other_chart: other_id.clone(),
                        kind: MatchKind::Overlay { name_differs, dob_differs },
                        origin: *origin,
                        other: other.clone(),
                    });
                }
            }
        }
        if let (Some(key), Some(dob)) = (&mrn, &who.dob) {
            for other_id in self.by_dob.get(dob).into_iter().flatten().filter(|id| *id != chart_id) {
                let (other, origin) = &self.patients[other_id];
                let other_key = other.mrn_key();
                if other_key.is_some() && other_key.as_ref() != Some(key) && who.same_name(other) == Some(true) {
                    out.push(PatientMatch {
                        other_chart: other_id.clone(),
                        kind: MatchKind::Duplicate,
                        origin: *origin,
                        other: other.clone(),
                    });
                }
            }
        }
        out
    }

    /// Add (or replace) a chart's patient.
    pub fn register(&mut self, chart_id: &str, who: Identity, origin: Origin) {
        self.remove(chart_id);
        if let Some(key) = who.mrn_key() {
            self.by_mrn.entry(key).or_default().insert(chart_id.to_string());
        }
        if let Some(dob) = &who.dob {
            self.by_dob.entry(dob.clone()).or_default().insert(chart_id.to_string());
        }
        self.patients.insert(chart_id.to_string(), (who, origin));
    }

    /// Forget a chart (it was rejected, or is being re-checked).
    pub fn remove(&mut self, chart_id: &str) {
        let Some((old, _)) = self.patients.remove(chart_id) else { return };
        if let Some(key) = old.mrn_key() {
            if let Some(set) = self.by_mrn.get_mut(&key) {
                set.remove(chart_id);
            }
        }
        if let Some(dob) = &old.dob {
            if let Some(set) = self.by_dob.get_mut(dob) {
                set.remove(chart_id);
            }
        }
    }
}

// ------------------------------------------------------------------ names

/// Nicknames and the names they stand for: two given names are the same
/// name when they share a group.
const NICKNAMES: &[&[&str]] = &[
    &["robert", "bob", "bobby", "rob", "robbie", "bert"],
    &["william", "bill", "billy", "will", "willie", "liam"],
    &["margaret", "peggy", "maggie", "meg", "marge", "margie", "greta", "madge"],
    &["elizabeth", "liz", "lizzie", "beth", "betty", "betsy", "eliza", "libby", "lisa", "bess"],
    &["richard", "dick", "rick", "ricky", "rich", "richie"],
    &["james", "jim", "jimmy", "jamie"],
    &["john", "jack", "johnny", "jon"],
    &["joseph", "joe", "joey"],
    &["thomas", "tom", "tommy"],
    &["charles", "charlie", "chuck", "chas"],
    &["edward", "ed", "eddie", "ted", "ned"],
    &["theodore", "ted", "teddy", "theo"],
    &["michael", "mike", "mickey", "mick"],
    &["katherine", "catherine", "kathryn", "kate", "kathy", "katie", "cathy", "kitty"],
    &["patricia", "pat", "patty", "trish", "tricia"],
    &["patrick", "pat", "paddy"],
    &["jennifer", "jen", "jenny"],
    &["susan", "sue", "susie", "suzanne"],
    &["deborah", "debra", "deb", "debbie"],
    &["dorothy", "dot", "dottie", "dolly"],
    &["anthony", "tony"],
    &["daniel", "dan", "danny"],
    &["david", "dave", "davy"],
    &["steven", "stephen", "steve"],
    &["christopher", "chris", "kit"],
    &["christine", "christina", "chris", "tina", "chrissy"],
    &["nicholas", "nick", "nicky"],
    &["alexander", "alex", "al", "sandy"],
    &["alexandra", "alex", "sandra", "sandy"],
    &["andrew", "andy", "drew"],
    &["benjamin", "ben", "benny"],
    &["samuel", "sam", "sammy"],
    &["matthew", "matt"],
    &["gregory", "greg"],
    &["lawrence", "laurence", "larry"],
    &["timothy", "tim", "timmy"],
    &["kenneth", "ken", "kenny"],
    &["ronald", "ron", "ronnie"],
    &["donald", "don", "donnie"],
    &["gerald", "jerry", "gerry"],
    &["harold", "harry", "hal"],
    &["henry", "harry", "hank"],
    &["francis", "frances", "frank", "fran", "frankie"],
    &["barbara", "barb", "babs"],
    &["rebecca", "becky", "becca"],
    &["victoria", "vicky", "tori"],
    &["virginia", "ginny", "ginger"],
    &["albert", "al", "bert"],
    &["alfred", "al", "fred", "alf"],
    &["frederick", "fred", "freddie"],
    &["walter", "walt", "wally"],
    &["eugene", "gene"],
    &["raymond", "ray"],
    &["jacob", "jake"],
    &["peter", "pete"],
    &["philip", "phillip", "phil"],
    &["leonard", "leo", "len", "lenny"],
    &["louis", "lou", "louie"],
    &["douglas", "doug"],
    &["jeffrey", "geoffrey", "jeff"],
    &["joshua", "josh"],
    &["zachary", "zach", "zack"],
    &["abigail", "abby", "gail"],
    &["cynthia", "cindy"],
    &["judith", "judy"],
    &["kimberly", "kim"],
    &["pamela", "pam"],
    &["sarah", "sara", "sally", "sadie"],
    &["mary", "molly", "polly", "mae", "mamie"],
    &["ann", "anne", "anna", "annie", "nancy", "nan"],
    &["helen", "nell", "nellie"],
    &["eleanor", "ellie", "nora", "nell"],
    &["jacqueline", "jackie"],
    &["josephine", "jo", "josie"],
    &["gwendolyn", "gwen"],
    &["vincent", "vince", "vinny"],
    &["samantha", "sam", "sammie"],
    &["stanley", "stan"],
    &["gordon", "gordy"],
    &["herbert", "herb", "bert"],
    &["norman", "norm"],
    &["arthur", "art", "artie"],
    &["clifford", "cliff"],
    &["melvin", "mel"],
    &["mildred", "millie"],
    &["wilhelmina", "mina", "minnie", "billie"],
];

fn same_nickname_group(a: &str, b: &str) -> bool {
    NICKNAMES.iter().any(|g| g.contains(&a) && g.contains(&b))
}

const SUFFIXES: &[&str] = &["jr", "sr", "ii", "iii", "iv"];

/// Lower case, letters only, common OCR confusions folded (`0`/`o`,
/// `1`/`l`, `5`/`s`, `rn`/`m`, `vv`/`w`).
fn canon(s: &str) -> String {
    let folded: String = s
        .to_lowercase()
        .chars()
        .map(|c| match c {
            '0' => 'o',
            '1' | '|' => 'l',
            '5' => 's',
            c => c,
        })
        .filter(|c| c.is_alphabetic())
        .collect();
    folded.replace("rn", "m").replace("vv", "w")
}

/// Canonical words of a name, suffixes dropped.
fn words(s: &str) -> Vec<String> {
    s.split([' ', '-', ','])
        .filter(|w| !SUFFIXES.contains(&w.trim_end_matches('.').to_lowercase().as_str()))
        .map(canon)
        .filter(|w| !w.is_empty())
        .collect()
}

/// Two canonical words are the same allowing an OCR slip: Jaro-Winkler
/// ≥ 0.9 and at most one edit (two in words of nine letters or more).
fn similar(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let short = a.chars().count().min(b.chars().count());
    if short < 4 {
        return false;
    }
    let max_edits = if short >= 9 { 2 } else { 1 };
    strsim::jaro_winkler(a, b) >= 0.9 && strsim::levenshtein(a, b) <= max_edits
}

/// Family names agree: the whole name, or one part of a compound name
/// (`Smith-Jones` and `Smith`; `De La Cruz` and `Cruz`).
fn family_match(a: &str, b: &str) -> bool {
    let (wa, wb) = (words(a), words(b));
    if wa.is_empty() || wb.is_empty() {
        return false;
    }
    if similar(&wa.concat(), &wb.concat()) {
        return true;
    }
    wa.iter().any(|x| x.chars().count() >= 3 && wb.iter().any(|y| similar(x, y)))
}

/// First given names agree: absent on one side, an initial of the other,
/// the same name with a slip, or nicknames of one name.
fn given_match(a: &str, b: &str) -> bool {
    let first = |s: &str| words(s).into_iter().next().unwrap_or_default();
    let (a, b) = (first(a), first(b));
    if a.is_empty() || b.is_empty() {
        return true;
    }
    if a.chars().count() == 1 || b.chars().count() == 1 {
        return a.chars().next() == b.chars().next();
    }
    similar(&a, &b) || same_nickname_group(&a, &b)
}

/// Same person's name: family and first given name agree, also when OCR
/// lost the comma and swapped them.
pub fn names_match(family_a: &str, given_a: &str, family_b: &str, given_b: &str) -> bool {
    if family_match(family_a, family_b) && given_match(given_a, given_b) {
        return true;
    }
    let first = |s: &str| s.split([' ', '-']).find(|w| !w.is_empty()).unwrap_or("").to_string();
    let (ga, gb) = (first(given_a), first(given_b));
    !ga.is_empty()
        && !gb.is_empty()
        && family_match(family_a, &gb)
        && family_match(&ga, family_b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(family: &str, given: &str, mrn: &str, dob: &str) -> Json {
        json!({"patient": {"family": family, "given": given, "mrn": mrn, "dob": dob, "sex": "F"}})
    }

    fn name(s: &str) -> (String, String) {
        let n = crate::normalize::person_name(s).unwrap();
        (n.family, n.given)
    }

    #[test]
    fn names_tolerate_slips_and_nicknames() {
        let cases = [
            ("THOMPSON, MARGARET A", "Margaret A. Thompson", true),
            ("THOMPSON, MARGARET A", "THORNPSON, MARGARET", true),
            ("THOMPSON, MARGARET A", "THOMPSON, PEGGY", true),
            ("SMITH, ROBERT", "SMITH, BOB", true),
            ("JONES, WILLIAM", "JONES, BILL", true),
            ("SMITH-JONES, ANNE", "SMITH, ANNE", true),
            ("KING JR, MARTIN", "KING, MARTIN", true),
            ("THOMPSON, MARGARET", "THOMPSON, M", true),
            ("THOMPSON, MARGARET A", "THOMAS, MARGARET A", false),
            ("SMITH, ANN", "SMITH, MARY", false),
            ("GARCIA, MARIA", "GARZA, MARIA", false),
            ("LEE, ANN", "LI, ANN", false),
            ("SMITH, ROBERT", "SMITH, WILLIAM", false),
            ("THOMPSON, MARGARET", "THOMPSON, R", false),
        ];
        let mut failures = Vec::new();
        for (a, b, expected) in cases {
            let ((fa, ga), (fb, gb)) = (name(a), name(b));
            if names_match(&fa, &ga, &fb, &gb) != expected {
                failures.push(format!("{a} / {b}: expected {expected}"));
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
        // A lost comma swaps family and given.
        assert!(names_match("Margaret", "Thompson", "Thompson", "Margaret"));
    }

    #[test]
    fn overlay_and_duplicate_across_two_charts_of_one_batch() {
        let mut index = PatientIndex::new();
        assert!(index.check("box-01/a", &doc("Thompson", "Margaret A", "00482913", "1952-03-14")).is_empty());
        // Same MRN, another person: an overlay.
        let overlay = index.check("box-01/b", &doc("Garcia", "Luis", "00482913", "1970-01-02"));
        assert_eq!(overlay.len(), 1, "{overlay:?}");
        assert_eq!(overlay[0].code, FlagCode::DuplicatePatient);
        assert_eq!(overlay[0].field.as_deref(), Some("patient.mrn"));
        assert!(overlay[0].reason.contains("chart box-01/a"), "{}", overlay[0].reason);
        assert!(overlay[0].reason.contains("another name and date of birth"));
        // Same person (nickname, OCR slip) under another MRN: a duplicate.
        let dup = index.check("box-02/c", &doc("Thornpson", "Peggy", "00999999", "1952-03-14"));
        assert_eq!(dup.len(), 1, "{dup:?}");
        assert!(dup[0].reason.contains("under another MRN"));
        assert!(dup[0].reason.contains("chart box-01/a"));
        // No reason quotes a value.
        for f in overlay.iter().chain(&dup) {
            for v in ["Thompson", "Garcia", "00482913", "00999999", "1952", "1970", "Peggy"] {
                assert!(!f.reason.contains(v), "{} quotes {v}", f.reason);
            }
        }
    }

    #[test]
    fn same_patient_again_and_twins_are_not_flagged() {
        let mut index = PatientIndex::new();
        assert!(index.check("a", &doc("Smith", "Ann", "111", "1980-05-05")).is_empty());
        // The same patient's second volume: same MRN, same name and DOB.
        assert!(index.check("b", &doc("SMITH", "Ann", "111", "1980-05-05")).is_empty());
        // A twin: same family and DOB, another given name and MRN.
        assert!(index.check("c", &doc("Smith", "Mary", "222", "1980-05-05")).is_empty());
        // Same name, another DOB and MRN: another person.
        assert!(index.check("d", &doc("Smith", "Ann", "333", "1981-05-05")).is_empty());
    }

    #[test]
    fn a_reprocessed_chart_is_not_its_own_duplicate() {
        let known = vec![KnownPatient {
            chart_id: "a".into(),
            status: crate::model::ChartStatus::Accepted,
            mrn: Some("111".into()),
            family: Some("Smith".into()),
            given: Some("Ann".into()),
            dob: Some("1980-05-05".into()),
        }];
        let mut index = PatientIndex::from_known(&known);
        // The same chart read again with another DOB replaces its entry.
        assert!(index.check("a", &doc("Smith", "Ann", "111", "1980-06-05")).is_empty());
        assert_eq!(index.len(), 1);
        // A loaded chart is reported as loaded.
        let f = index.check("b", &doc("Jones", "Bob", "111", "1990-01-01"));
        assert_eq!(f.len(), 1);
        assert!(f[0].reason.starts_with("MRN also read"), "{}", f[0].reason);
        let f = PatientIndex::from_known(&known).check("b", &doc("Jones", "Bob", "111", "1990-01-01"));
        assert!(f[0].reason.starts_with("MRN already loaded"), "{}", f[0].reason);
    }

    #[test]
    fn missing_parts_never_match_and_flags_are_capped() {
        let mut index = PatientIndex::new();
        assert!(index.check("a", &json!({"patient": {"mrn": null}})).is_empty());
        assert!(index.check("b", &json!({"patient": {"mrn": "5", "dob": "2000-01-01"}})).is_empty());
        // Same MRN, other chart lacks a name and DOB: nothing to compare.
        assert!(index.check("c", &doc("Doe", "Jane", "5", "2000-01-01")).is_empty());
        for i in 0..8 {
            index.register(&format!("x{i}"), Identity::from_document(&doc("Other", "Person", "77", "1990-01-01")), Origin::Loaded);
        }
        let flags = index.check("y", &doc("Doe", "Jane", "77", "1990-01-01"));
        assert_eq!(flags.len(), MAX_FLAGS);
        assert!(flags.last().unwrap().reason.ends_with("and 3 more charts"));
    }
}
