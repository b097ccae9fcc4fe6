//! Whether the vaccine name written on an immunization row fits its CVX code.
//!
//! The text is read for the CDC vaccine groups it names, from two lists:
//! [`VACCINE_TERMS`] (names, abbreviations and spellings written on charts:
//! `Flu`, `Hep B`, `PPSV23`, `Shingles`, …) and the CDC product names of the
//! CVX table (`Shingrix`, `Fluzone`, `Boostrix`, …; the first word of each).
//! The code's groups are CDC's vaccine groups of that CVX. A text agrees
//! when it names one of the code's groups; it disagrees only when it names
//! groups all of another family (influenza, pneumococcal, meningococcal and
//! the tetanus-diphtheria vaccines DTaP, Td and Tdap are families of several
//! groups: `Td` beside a Tdap code, or `PPSV23` beside a PCV13 code, is
//! [`Agreement::Unknown`], not a disagreement); a text that names no group is
//! unknown. Words of five letters or more may carry one OCR slip.

use super::text::{one_slip, tokens};
use super::{cvx, cvx_table, Agreement};
use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

/// Phrases (space-separated words) naming vaccine groups, and the CDC group
/// names they stand for.
const VACCINE_TERMS: &[(&str, &[&str])] = &[
    ("influenza", &["FLU"]),
    ("flu", &["FLU"]),
    ("grippe", &["FLU"]),
    ("iiv", &["FLU"]),
    ("iiv3", &["FLU"]),
    ("iiv4", &["FLU"]),
    ("cciiv4", &["FLU"]),
    ("laiv", &["FLU"]),
    ("laiv4", &["FLU"]),
    ("riv4", &["FLU"]),
    ("h1n1", &["H1N1 flu"]),
    ("h5n1", &["H5N1 flu"]),
    ("hep b", &["HepB"]),
    ("hepatitis b", &["HepB"]),
    ("hepb", &["HepB"]),
    ("hbv", &["HepB"]),
    ("hep a", &["HepA"]),
    ("hepatitis a", &["HepA"]),
    ("hepa", &["HepA"]),
    ("hav", &["HepA"]),
    ("hep a hep b", &["HepA", "HepB"]),
    ("mmr", &["MMR"]),
    ("measles", &["MMR"]),
    ("mumps", &["MMR"]),
    ("rubella", &["MMR"]),
    ("mmrv", &["MMR", "VARICELLA"]),
    ("tdap", &["TDAP"]),
    ("td", &["Td"]),
    ("tetanus", &["Td", "TDAP", "DTAP"]),
    ("diphtheria", &["Td", "TDAP", "DTAP"]),
    ("dtap", &["DTAP"]),
    ("dtp", &["DTAP"]),
    ("pertussis", &["DTAP", "TDAP"]),
    ("whooping cough", &["DTAP", "TDAP"]),
    ("zoster", &["ZOSTER"]),
    ("shingles", &["ZOSTER"]),
    ("herpes zoster", &["ZOSTER"]),
    ("rzv", &["ZOSTER"]),
    ("zvl", &["ZOSTER"]),
    ("pneumococcal", &["PneumoPCV", "PneumoPPV"]),
    ("pneumo", &["PneumoPCV", "PneumoPPV"]),
    ("pneumonia", &["PneumoPCV", "PneumoPPV"]),
    ("pneumococcal conjugate", &["PneumoPCV"]),
    ("pneumococcal polysaccharide", &["PneumoPPV"]),
    ("pcv", &["PneumoPCV"]),
    ("pcv7", &["PneumoPCV"]),
    ("pcv10", &["PneumoPCV"]),
    ("pcv13", &["PneumoPCV"]),
    ("pcv15", &["PneumoPCV"]),
    ("pcv20", &["PneumoPCV"]),
    ("pcv21", &["PneumoPCV"]),
    ("ppsv", &["PneumoPPV"]),
    ("ppsv23", &["PneumoPPV"]),
    ("ppv", &["PneumoPPV"]),
    ("ppv23", &["PneumoPPV"]),
    ("covid", &["COVID-19"]),
    ("covid19", &["COVID-19"]),
    ("sars cov 2", &["COVID-19"]),
    ("coronavirus", &["COVID-19"]),
    ("ipv", &["POLIO"]),
    ("opv", &["POLIO"]),
    ("polio", &["POLIO"]),
    ("poliovirus", &["POLIO"]),
    ("hpv", &["HPV"]),
    ("hpv2", &["HPV"]),
    ("hpv4", &["HPV"]),
    ("hpv9", &["HPV"]),
    ("papilloma", &["HPV"]),
    ("papillomavirus", &["HPV"]),
    ("hib", &["HIB"]),
    ("haemophilus", &["HIB"]),
    ("hemophilus", &["HIB"]),
    ("haemophilus influenzae", &["HIB"]),
    ("hemophilus influenzae", &["HIB"]),
    ("h influenzae", &["HIB"]),
    ("varicella", &["VARICELLA"]),
    ("chickenpox", &["VARICELLA"]),
    ("chicken pox", &["VARICELLA"]),
    ("meningococcal", &["MENING", "MeningB"]),
    ("mening", &["MENING", "MeningB"]),
    ("mcv4", &["MENING"]),
    ("menacwy", &["MENING"]),
    ("mpsv4", &["MENING"]),
    ("menb", &["MeningB"]),
    ("men b", &["MeningB"]),
    ("rotavirus", &["ROTAVIRUS"]),
    ("rota", &["ROTAVIRUS"]),
    ("rsv", &["RSV"]),
    ("respiratory syncytial", &["RSV"]),
    ("rabies", &["RABIES"]),
    ("typhoid", &["TYPHOID"]),
    ("yellow fever", &["YELLOWFEVER"]),
    ("japanese encephalitis", &["Japanese encephalitis"]),
    ("bcg", &["BCG"]),
    ("anthrax", &["ANTHRAX"]),
    ("smallpox", &["Orthopoxvirus"]),
    ("vaccinia", &["Orthopoxvirus"]),
    ("mpox", &["Orthopoxvirus"]),
    ("monkeypox", &["Orthopoxvirus"]),
    ("cholera", &["cholera"]),
    ("dengue", &["DENGUE"]),
    ("chikungunya", &["Chikungunya"]),
    ("adenovirus", &["ADENO"]),
    ("ebola", &["Ebola"]),
    ("tick borne encephalitis", &["Tick-borne encephalitis"]),
    ("lyme", &["Lyme disease"]),
    ("plague", &["Plague"]),
];

/// First words of CDC product names that name a maker or a kind of vaccine,
/// not a product; they are not taken as product names.
const NOT_PRODUCT_WORDS: &[&str] = &[
    "pfizer", "biontech", "moderna", "novavax", "janssen", "sanofi", "merck", "glaxosmithkline",
    "seqirus", "astrazeneca", "vaccine", "generic", "adult", "pediatric", "tetanus",
    "diphtheria", "influenza", "hepatitis", "pneumococcal", "zoster", "rabies", "typhoid",
    "cholera", "anthrax", "smallpox", "covid", "unspecified", "other", "novel",
];

/// The family of a CDC vaccine group: groups of one family are different
/// vaccines against the same disease, written loosely on charts.
fn family(group: &str) -> &str {
    match group {
        "FLU" | "FLU-Avian-H5" | "H1N1 flu" | "H5N1 flu" => "influenza",
        "PneumoPCV" | "PneumoPPV" => "pneumococcal",
        "MENING" | "MeningB" => "meningococcal",
        "DTAP" | "Td" | "TDAP" => "tetanus",
        other => other,
    }
}

/// Every phrase the text reader knows: the terms above and the product words
/// of the CVX table, as word lists, longest first.
fn phrases() -> &'static [(Vec<String>, Vec<&'static str>)] {
    static PHRASES: OnceLock<Vec<(Vec<String>, Vec<&'static str>)>> = OnceLock::new();
    PHRASES.get_or_init(|| {
        let mut map: HashMap<Vec<String>, BTreeSet<&'static str>> = HashMap::new();
        for (phrase, groups) in VACCINE_TERMS {
            let words: Vec<String> = phrase.split(' ').map(str::to_string).collect();
            map.entry(words).or_default().extend(groups.iter().copied());
        }
        let known: BTreeSet<String> =
            VACCINE_TERMS.iter().flat_map(|(p, _)| p.split(' ')).map(str::to_string).collect();
        for code in cvx_table().values() {
            if code.groups.is_empty() {
                continue;
            }
            for product in &code.products {
                let Some(first) = tokens(product).into_iter().next() else { continue };
                let letters = first.chars().filter(|c| c.is_alphabetic()).count();
                if letters < 5
                    || known.contains(&first)
                    || NOT_PRODUCT_WORDS.contains(&first.as_str())
                {
                    continue;
                }
                map.entry(vec![first]).or_default().extend(code.groups.iter().copied());
            }
        }
        let mut list: Vec<(Vec<String>, Vec<&'static str>)> =
            map.into_iter().map(|(k, v)| (k, v.into_iter().collect())).collect();
        list.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        list
    })
}

/// The vaccine groups a text names.
pub(super) fn groups_in(text: &str) -> BTreeSet<&'static str> {
    let words = tokens(text);
    let mut found = BTreeSet::new();
    let mut i = 0;
    while i < words.len() {
        let hit = phrases().iter().find(|(phrase, _)| {
            phrase.len() <= words.len() - i
                && phrase.iter().zip(&words[i..]).all(|(p, w)| {
                    if p.chars().count() >= 5 {
                        one_slip(p, w)
                    } else {
                        p == w
                    }
                })
        });
        match hit {
            Some((phrase, groups)) => {
                found.extend(groups.iter().copied());
                i += phrase.len();
            }
            None => i += 1,
        }
    }
    found
}

/// Whether the vaccine name written on the same row fits the CVX code.
pub fn cvx_agrees(code: &str, vaccine_text: &str) -> Agreement {
    let Some(c) = cvx(code) else {
        return Agreement::Unknown;
    };
    let mut code_groups: BTreeSet<&str> = c.groups.iter().copied().collect();
    if code_groups.is_empty() {
        code_groups = groups_in(c.short_name);
    }
    let text_groups = groups_in(vaccine_text);
    if code_groups.is_empty() || text_groups.is_empty() {
        return Agreement::Unknown;
    }
    if text_groups.iter().any(|g| code_groups.contains(g)) {
        return Agreement::Agrees;
    }
    let code_families: BTreeSet<&str> = code_groups.iter().map(|g| family(g)).collect();
    if text_groups.iter().any(|g| code_families.contains(family(g))) {
        Agreement::Unknown
    } else {
        Agreement::Disagrees
    }
}
