//! Whether the diagnosis text printed after a code fits the code.
//!
//! Both texts are cut into words, lower-cased and stemmed (`infections` →
//! `infection`); `type II` becomes `type 2`; the abbreviations of
//! [`ABBREVIATIONS`] are spelled out (`HTN` → `hypertension`); words that say
//! nothing about the condition ([`STOPWORDS`]: `unspecified`, `other`, `of`,
//! …) are dropped, and the weak words of [`WEAK_WORDS`] (`disease`, `acute`,
//! `chronic`, …) do not count as evidence on their own.
//!
//! - The text **agrees** when one of its strong words is a word of the
//!   code's description or of one of its headers (`E11` "Type 2 diabetes
//!   mellitus" for `E11.9`); words match when equal, one OCR slip apart, or
//!   sharing a long prefix (`diabetic` and `diabetes`).
//! - It **disagrees** only when it shares no strong word with them and all
//!   its strong words are found together in the description of a code of
//!   another category (the first three characters): `Urinary tract infection`
//!   printed after `E11.9`. A single strong word counts only when it has six
//!   letters or more and names codes of at most three categories
//!   (`Asthma` printed after `I10`).
//! - Otherwise, and for a code not in the tables, it is **unknown**.

use super::text::{same_word, stem, tokens};
use super::{icd10_table, icd9_table, Agreement, IcdSystem};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Abbreviations written on charts, with what they stand for.
pub const ABBREVIATIONS: &[(&str, &str)] = &[
    ("htn", "hypertension"),
    ("dm", "diabetes mellitus"),
    ("dm1", "type 1 diabetes mellitus"),
    ("dm2", "type 2 diabetes mellitus"),
    ("t1dm", "type 1 diabetes mellitus"),
    ("t2dm", "type 2 diabetes mellitus"),
    ("dmii", "type 2 diabetes mellitus"),
    ("iddm", "type 1 diabetes mellitus"),
    ("niddm", "type 2 diabetes mellitus"),
    ("copd", "chronic obstructive pulmonary disease"),
    ("gerd", "gastro esophageal reflux disease"),
    ("gord", "gastro esophageal reflux disease"),
    ("cad", "coronary artery atherosclerotic heart disease"),
    ("ashd", "atherosclerotic heart disease"),
    ("chf", "congestive heart failure"),
    ("hf", "heart failure"),
    ("uri", "upper respiratory infection"),
    ("uti", "urinary tract infection"),
    ("afib", "atrial fibrillation"),
    ("af", "atrial fibrillation"),
    ("oa", "osteoarthritis osteoarthrosis"),
    ("ra", "rheumatoid arthritis"),
    ("hld", "hyperlipidemia"),
    ("mdd", "major depressive disorder"),
    ("ckd", "chronic kidney disease"),
    ("esrd", "end stage renal disease"),
    ("bph", "benign prostatic hyperplasia"),
    ("osa", "obstructive sleep apnea"),
    ("mi", "myocardial infarction"),
    ("cva", "cerebral infarction stroke"),
    ("tia", "transient ischemic attack"),
    ("dvt", "deep vein thrombosis"),
    ("pe", "pulmonary embolism"),
    ("lbp", "low back pain"),
    ("om", "otitis media"),
    ("aom", "acute otitis media"),
    ("adhd", "attention deficit hyperactivity disorder"),
    ("gad", "generalized anxiety disorder"),
    ("hypothyroid", "hypothyroidism"),
    ("hyperthyroid", "hyperthyroidism"),
    ("hx", "history"),
    ("dx", "diagnosis"),
    ("pna", "pneumonia"),
    ("sob", "shortness breath"),
    ("vit", "vitamin"),
    ("wcc", "child health examination"),
    ("cpe", "general medical examination"),
    ("physical", "examination"),
    ("checkup", "examination"),
];

/// Words that say nothing about the condition.
pub const STOPWORDS: &[&str] = &[
    "of", "and", "or", "the", "a", "an", "with", "without", "in", "on", "to", "due", "by", "for",
    "as", "at", "not", "elsewhere", "classified", "nos", "nec", "other", "unspecified", "unsp",
    "specified", "site", "type", "mention", "stated", "than", "from", "w", "wo", "no", "is",
    "unspec", "ne", "unknown",
];

/// Words too common in descriptions to count as evidence on their own.
pub const WEAK_WORDS: &[&str] = &[
    "disease", "disorder", "acute", "chronic", "primary", "syndrome", "condition", "history",
    "encounter", "left", "right", "bilateral", "initial", "subsequent", "sequela", "single",
    "episode", "uncomplicated", "complication", "mellitus", "diagnosis", "general", "routine",
    "controlled", "uncontrolled", "mild", "moderate", "severe", "state", "status", "1", "2",
    "follow", "up", "visit", "recheck", "check", "refill", "medication", "management", "care",
];

/// The words of a text after normalisation, with the strong ones marked.
fn words(text: &str) -> Vec<(String, bool)> {
    let raw = tokens(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        let t = raw[i].as_str();
        // "type II" and "type ii" are "type 2"; "type I" is "type 1".
        if i > 0 && raw[i - 1] == "type" && (t == "ii" || t == "i") {
            out.push((if t == "ii" { "2" } else { "1" }.to_string(), false));
            i += 1;
            continue;
        }
        if let Some((_, full)) = ABBREVIATIONS.iter().find(|(a, _)| *a == t) {
            for w in full.split(' ') {
                push_word(&mut out, w);
            }
        } else {
            push_word(&mut out, t);
        }
        i += 1;
    }
    out
}

fn push_word(out: &mut Vec<(String, bool)>, w: &str) {
    if STOPWORDS.contains(&w) {
        return;
    }
    let s = stem(w);
    let weak = WEAK_WORDS.contains(&w) || WEAK_WORDS.contains(&s.as_str()) || s.len() < 3;
    out.push((s, !weak));
}

/// The description of a code and of its headers (every shorter prefix that
/// is in the table), for the system's table.
fn descriptions(code: &str, system: IcdSystem) -> Option<Vec<&'static str>> {
    let get = |k: &str| -> Option<&'static str> {
        match system {
            IcdSystem::Icd10Cm => icd10_table().get(k).map(|e| e.description),
            IcdSystem::Icd9Cm => icd9_table().get(k).map(|e| e.description),
        }
    };
    let own = get(code)?;
    let mut all = vec![own];
    for n in 3..code.len() {
        if let Some(d) = code.get(..n).and_then(get) {
            all.push(d);
        }
    }
    Some(all)
}

/// For the disagreement test: every word (stem) of the descriptions of a
/// system, with the codes whose description holds it.
struct Index {
    codes: Vec<&'static str>,
    postings: HashMap<String, Vec<u32>>,
}

fn index(system: IcdSystem) -> &'static Index {
    static ICD10: OnceLock<Index> = OnceLock::new();
    static ICD9: OnceLock<Index> = OnceLock::new();
    let build = |entries: Vec<(&'static str, &'static str)>| {
        let mut codes = Vec::with_capacity(entries.len());
        let mut postings: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, (code, desc)) in entries.into_iter().enumerate() {
            codes.push(code);
            let mut seen: Vec<String> = Vec::new();
            for (w, strong) in words(desc) {
                if strong && !seen.contains(&w) {
                    postings.entry(w.clone()).or_default().push(i as u32);
                    seen.push(w);
                }
            }
        }
        Index { codes, postings }
    };
    match system {
        IcdSystem::Icd10Cm => ICD10.get_or_init(|| {
            build(icd10_table().iter().map(|(k, e)| (*k, e.description)).collect())
        }),
        IcdSystem::Icd9Cm => {
            ICD9.get_or_init(|| build(icd9_table().iter().map(|(k, e)| (*k, e.description)).collect()))
        }
    }
}

/// Whether some code outside `category` holds all of `strong` in its description.
fn matches_elsewhere(strong: &[String], category: &str, system: IcdSystem) -> bool {
    let idx = index(system);
    let mut lists: Vec<&Vec<u32>> = Vec::new();
    for w in strong {
        match idx.postings.get(w) {
            Some(list) => lists.push(list),
            None => return false,
        }
    }
    lists.sort_by_key(|l| l.len());
    let Some((first, rest)) = lists.split_first() else {
        return false;
    };
    first.iter().any(|&i| {
        let code = idx.codes[i as usize];
        !code.starts_with(category) && rest.iter().all(|l| l.binary_search(&i).is_ok())
    })
}

/// The number of categories whose codes hold `word` in their description.
fn categories_of(word: &str, system: IcdSystem) -> usize {
    let idx = index(system);
    let Some(list) = idx.postings.get(word) else {
        return 0;
    };
    let mut cats: Vec<&str> =
        list.iter().map(|&i| idx.codes[i as usize]).map(|c| c.get(..3).unwrap_or(c)).collect();
    cats.sort_unstable();
    cats.dedup();
    cats.len()
}

/// Whether the diagnosis text printed after a code fits the code's description.
pub fn icd_text_agrees(code: &str, text: &str, system: IcdSystem) -> Agreement {
    let key = super::key(code);
    let Some(descs) = descriptions(&key, system) else {
        return Agreement::Unknown;
    };
    let text_words = words(text);
    let strong: Vec<String> =
        text_words.iter().filter(|(_, s)| *s).map(|(w, _)| w.clone()).collect();
    if strong.is_empty() {
        return Agreement::Unknown;
    }
    let code_words: Vec<String> =
        descs.iter().flat_map(|d| words(d)).filter(|(_, s)| *s).map(|(w, _)| w).collect();
    if strong.iter().any(|t| code_words.iter().any(|c| same_word(t, c))) {
        return Agreement::Agrees;
    }
    let specific = strong.len() >= 2
        || (strong[0].chars().count() >= 6 && categories_of(&strong[0], system) <= 3);
    // An ICD-9-CM E code's category has four characters (E849), others three.
    let width = if system == IcdSystem::Icd9Cm && key.starts_with('E') { 4 } else { 3 };
    let category = key.get(..width).unwrap_or(&key);
    if specific && matches_elsewhere(&strong, category, system) {
        Agreement::Disagrees
    } else {
        Agreement::Unknown
    }
}
