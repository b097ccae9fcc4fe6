//! Style families: named groups of style choices (fonts, label styles,
//! layouts, table rules, handwriting, scan damage), one per chart.
//!
//! Three families are for development (tuning, tests, fixtures); the fourth,
//! `holdout`, uses fonts, label styles and table rules that none of the
//! others use, so that accuracy can be measured on charts no threshold or
//! rule was fitted on. A corpus is made of the development families unless
//! the held-out one is asked for by name.
//!
//! | family | fonts | labels | layouts | tables | damage |
//! |---|---|---|---|---|---|
//! | `classic` | the original ten (Courier Prime … FreeSerif) | spec spellings, mostly `Label:` | pairs, two columns, boxed forms | full grid or unruled | the original scan damage |
//! | `office` | Roboto, Roboto Condensed, Nimbus Sans, Noto Mono | ALL CAPS, `#` after identifiers | crowded label lines, signer's name below `Signed:` | horizontal rules only, or unruled | the original, lighter |
//! | `fax` | Nimbus Mono PS, Nimbus Roman, Nimbus Sans Narrow | spec spellings, a third without `:` | pairs, crowded lines | grids of broken dashes, or unruled | mostly G4: broken strokes, dropouts, thin strokes, fax streaks; faint and blurred pages |
//! | `holdout` | Linux Libertine, Linux Biolinum, URW Bookman, C059, P052, URW Gothic | Title Case, `No.` after identifiers | labels in their own box with the value below, crowded lines, signer's name below `Signed:` | thick header rule, or unruled | a mix of all of the above |

use super::page::{FontClass, Rules};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// A style family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum Family {
    /// The original generator's styles.
    Classic,
    /// Practice-management printouts: sans fonts, capital labels, crowded lines.
    Office,
    /// Bitonal fax and G4 scans: broken strokes, dropouts, streaks, faint pages.
    Fax,
    /// The held-out family: fonts, label styles and table rules of its own.
    Holdout,
}

/// The families a corpus is made of when none is named.
pub const DEVELOPMENT: &[Family] = &[Family::Classic, Family::Office, Family::Fax];

impl Family {
    pub const ALL: [Family; 4] = [Family::Classic, Family::Office, Family::Fax, Family::Holdout];

    pub fn name(self) -> &'static str {
        match self {
            Family::Classic => "classic",
            Family::Office => "office",
            Family::Fax => "fax",
            Family::Holdout => "holdout",
        }
    }

    /// Whether the family is held out of tuning data and fixtures.
    pub fn held_out(self) -> bool {
        self == Family::Holdout
    }

    /// The font classes the family prints in.
    pub fn font_classes(self) -> &'static [FontClass] {
        match self {
            Family::Classic => &[FontClass::Typewriter, FontClass::Sans, FontClass::Serif],
            Family::Office => &[FontClass::OfficeSans, FontClass::OfficeSans, FontClass::OfficeMono],
            Family::Fax => &[FontClass::FaxMono, FontClass::FaxSerif, FontClass::FaxSans],
            Family::Holdout => &[FontClass::BookSerif, FontClass::BookSerif, FontClass::BookSans],
        }
    }

    /// The handwriting fonts (slots of [`super::fonts::Fonts::hand`]) the
    /// family writes with.
    pub fn hands(self) -> &'static [usize] {
        match self {
            // Mostly the neater hand (Comic Neue), sometimes the rough one;
            // drawn by the classic code itself.
            Family::Classic => &[0, 1, 2],
            Family::Office => &[1, 3],
            Family::Fax => &[0, 4],
            Family::Holdout => &[5, 6],
        }
    }

    /// How the family's ruled tables are ruled, and how often a table is ruled.
    pub fn rules(self) -> (&'static [Rules], f64) {
        match self {
            Family::Classic => (&[Rules::Grid], 0.5),
            Family::Office => (&[Rules::Horizontal], 0.7),
            Family::Fax => (&[Rules::Dashed], 0.7),
            Family::Holdout => (&[Rules::ThickHeader], 0.75),
        }
    }
}

/// How the labels of a page are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelStyle {
    /// The spec's spellings (`Date of Birth`), mostly with `:` (the classic rule).
    Spec,
    /// `DATE OF BIRTH:`; identifiers sometimes with `#` (`MRN #`, `PHONE #`).
    Caps,
    /// The spec's spellings; a third of the labels with nothing after them.
    Bare,
    /// `Date Of Birth:`; identifiers sometimes with `No.` (`NPI No.`).
    TitleCase,
}

/// The family's choices for one chart, drawn from the family's own stream so
/// that the classic family draws exactly what the original generator drew.
#[derive(Clone, Debug)]
pub struct Look {
    pub family: Family,
    pub labels: LabelStyle,
    /// Lines of several label-value pairs (face sheet, visit, coverage).
    pub crowded: bool,
    /// Gap between the pairs of a crowded line, in ems of the body size.
    pub gap_em: f32,
    /// Labels in their own box with the value in the box below.
    pub label_cells: bool,
    /// The signer's name is written on the line below `Signed:`.
    pub sign_below: bool,
    /// Handwriting is more frequent (vitals, table cells, face-sheet values).
    pub more_hand: bool,
    /// Titles printed in Title Case (`Progress Note`) rather than capitals.
    pub title_case: bool,
}

impl Look {
    pub fn new(family: Family, rng: &mut ChaCha8Rng) -> Look {
        match family {
            Family::Classic => Look {
                family,
                labels: LabelStyle::Spec,
                crowded: false,
                gap_em: 2.2,
                label_cells: false,
                sign_below: false,
                more_hand: false,
                title_case: false,
            },
            Family::Office => Look {
                family,
                labels: if rng.gen_bool(0.8) { LabelStyle::Caps } else { LabelStyle::Spec },
                crowded: rng.gen_bool(0.7),
                gap_em: rng.gen_range(1.1..1.8),
                label_cells: false,
                sign_below: rng.gen_bool(0.5),
                more_hand: rng.gen_bool(0.3),
                title_case: false,
            },
            Family::Fax => Look {
                family,
                labels: *[LabelStyle::Bare, LabelStyle::Spec].choose(rng).expect("styles"),
                crowded: rng.gen_bool(0.5),
                gap_em: rng.gen_range(1.3..2.2),
                label_cells: false,
                sign_below: false,
                more_hand: rng.gen_bool(0.3),
                title_case: false,
            },
            Family::Holdout => Look {
                family,
                labels: LabelStyle::TitleCase,
                crowded: rng.gen_bool(0.5),
                gap_em: rng.gen_range(1.1..1.8),
                label_cells: rng.gen_bool(0.6),
                sign_below: rng.gen_bool(0.6),
                more_hand: rng.gen_bool(0.6),
                title_case: rng.gen_bool(0.5),
            },
        }
    }
}

/// Identifier labels that may take `#` or `No.` (`MRN #`, `NPI No.`).
const NUMBERED: &[&str] = &["MRN", "NPI", "Provider NPI", "Phone", "Telephone", "Home Phone", "Member ID", "Subscriber ID", "Group", "Lot"];

fn title_case(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A label of a non-classic family with its punctuation. `boxed`: above its
/// value (boxed forms, label cells), usually without a colon.
pub fn label(rng: &mut ChaCha8Rng, style: LabelStyle, base: &str, boxed: bool) -> String {
    let special = base.ends_with('#') || base.ends_with('.');
    let numbered = NUMBERED.contains(&base);
    let text = match style {
        LabelStyle::Caps => base.to_uppercase(),
        LabelStyle::TitleCase => title_case(base),
        LabelStyle::Spec | LabelStyle::Bare => base.to_string(),
    };
    if special {
        return text;
    }
    match style {
        LabelStyle::Caps if numbered && rng.gen_bool(0.4) => format!("{text} #"),
        LabelStyle::TitleCase if numbered && rng.gen_bool(0.5) => format!("{text} No."),
        LabelStyle::Bare if rng.gen_bool(0.35) => text,
        _ if boxed && rng.gen_bool(0.6) => text,
        _ => format!("{text}:"),
    }
}

/// A table header or title in the page's label style.
pub fn header(style: LabelStyle, base: &str) -> String {
    match style {
        LabelStyle::Caps => base.to_uppercase(),
        LabelStyle::TitleCase => title_case(base),
        LabelStyle::Spec | LabelStyle::Bare => base.to_string(),
    }
}

/// Deals families to charts: as even as the count allows, in a seeded order.
pub fn deal(families: &[Family], charts: usize, rng: &mut ChaCha8Rng) -> Vec<Family> {
    if families.is_empty() {
        return vec![Family::Classic; charts];
    }
    let mut out: Vec<Family> = (0..charts).map(|i| families[i % families.len()]).collect();
    out.shuffle(rng);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn labels_keep_the_spec_spelling_in_every_style() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..50 {
            assert_eq!(label(&mut rng, LabelStyle::Caps, "Date of Birth", false), "DATE OF BIRTH:");
            assert_eq!(label(&mut rng, LabelStyle::TitleCase, "Seen by", false), "Seen By:");
            let mrn = label(&mut rng, LabelStyle::TitleCase, "MRN", false);
            assert!(mrn == "MRN:" || mrn == "MRN No.", "{mrn}");
            assert_eq!(label(&mut rng, LabelStyle::Caps, "Chart #", false), "CHART #");
            let bare = label(&mut rng, LabelStyle::Bare, "Provider", false);
            assert!(bare == "Provider" || bare == "Provider:");
        }
    }

    #[test]
    fn families_are_dealt_evenly_and_holdout_is_not_development() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let dealt = deal(DEVELOPMENT, 12, &mut rng);
        for f in DEVELOPMENT {
            assert_eq!(dealt.iter().filter(|x| *x == f).count(), 4);
        }
        assert!(!DEVELOPMENT.contains(&Family::Holdout));
        // The held-out family shares no font class, hand or table rule with the others.
        for f in DEVELOPMENT {
            assert!(f.font_classes().iter().all(|c| !Family::Holdout.font_classes().contains(c)));
            assert!(f.hands().iter().all(|h| !Family::Holdout.hands().contains(h)));
            assert!(f.rules().0.iter().all(|r| !Family::Holdout.rules().0.contains(r)));
        }
    }
}
