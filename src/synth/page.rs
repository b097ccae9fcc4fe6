//! What a planned page holds, before any pixel is drawn: blocks of text in
//! reading order (title, label-value pairs in one or two columns, boxed
//! forms, tables, paragraphs) and how the scan of it is damaged.
//!
//! The plan decides every word on the page and every damage setting; the
//! renderer only turns them into pixels (with its own seeded noise).

/// How a value is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hand {
    /// Printed in the page's font.
    Print,
    /// Handwritten, legible.
    Neat,
    /// Handwritten very faintly, scrawled and blurred (`low_confidence`).
    Faint,
}

/// A label and its value, e.g. `MRN:` and `00482913`.
#[derive(Clone, Debug, PartialEq)]
pub struct Pair {
    /// The label as printed, punctuation included (`MRN:`, `Chart #`).
    pub label: String,
    pub value: String,
    pub hand: Hand,
}

impl Pair {
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Pair {
        Pair { label: label.into(), value: value.into(), hand: Hand::Print }
    }
    pub fn hand(mut self, hand: Hand) -> Pair {
        self.hand = hand;
        self
    }
}

/// One box of a boxed form: a small label above the value, inside a rectangle.
#[derive(Clone, Debug, PartialEq)]
pub struct BoxCell {
    pub label: String,
    pub value: String,
    pub hand: Hand,
    /// Relative width within its row.
    pub weight: f32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub text: String,
    pub hand: Hand,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// Clinic name and address, centred, small.
    Letterhead(Vec<String>),
    /// The document title, centred, bold.
    Title(String),
    /// A section heading, bold, left.
    Heading(String),
    /// Label-value pairs, one per line (`cols` = 1) or two per line (`cols` =
    /// 2, filled left then right). With `align`, values start at one column.
    Pairs { cols: u8, align: bool, items: Vec<Pair> },
    /// Several pairs on one line separated by wide gaps
    /// (`BP: 128/82   Pulse: 76   Temp: 98.4 F`).
    Inline(Vec<Pair>),
    /// Rows of boxes.
    Boxes(Vec<Vec<BoxCell>>),
    /// The patient label sticker: a framed block of lines at the right.
    Sticker(Vec<Pair>),
    /// Wrapped text after an optional label.
    Para { label: Option<String>, text: String },
    /// A label and one item per line (diagnoses): the first item on the
    /// label's line when `first_inline`, else all below it, indented.
    Codes { label: String, items: Vec<String>, first_inline: bool },
    /// A table with a header row; `widths` are fractions of the text width.
    /// A ruled table is ruled as `rules` says; an unruled one has only a
    /// thin rule under its header.
    Table { headers: Vec<String>, widths: Vec<f32>, rows: Vec<Vec<Cell>>, ruled: bool, rules: Rules },
    /// Several pairs crowded on one line, `gap_em` ems apart (`Name: …  MRN: …  DOB: …`).
    Row { items: Vec<Pair>, gap_em: f32 },
    /// Rows of label cells, each row a strip of boxes holding only the
    /// labels with a strip of boxes holding the values right below it.
    Grid(Vec<Vec<BoxCell>>),
    /// A signature line: the label, a pen scribble on a rule, the date at the
    /// right, and the signer's name written on the line below the rule.
    SignBelow { label: String, name: String, hand: Hand, date_label: String, date: String },
    /// One line of plain text.
    Line { text: String, hand: Hand },
    /// Vertical space, in points.
    Gap(f32),
    /// A horizontal rule across the text width.
    Rule,
}

/// How a ruled table is ruled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rules {
    /// A full grid of thin rules.
    Grid,
    /// Horizontal rules between rows, no vertical ones.
    Horizontal,
    /// A full grid of broken dashes (a dot-matrix or fax rule).
    Dashed,
    /// A thick rule above and below the header row and one at the bottom.
    ThickHeader,
}

/// The font family class of a page's print (see `fonts.rs` for the fonts
/// of each class; each style family prints in classes of its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FontClass {
    Typewriter,
    Sans,
    Serif,
    /// Roboto, Roboto Condensed, Nimbus Sans (`office`).
    OfficeSans,
    /// Noto Mono (`office`).
    OfficeMono,
    /// Nimbus Mono PS (`fax`).
    FaxMono,
    /// Nimbus Roman (`fax`).
    FaxSerif,
    /// Nimbus Sans Narrow (`fax`).
    FaxSans,
    /// Linux Libertine, URW Bookman, C059, P052 (`holdout`).
    BookSerif,
    /// Linux Biolinum, URW Gothic (`holdout`).
    BookSans,
}

/// A page with text.
#[derive(Clone, Debug, PartialEq)]
pub struct Doc {
    pub class: FontClass,
    /// Which font of the class (index into its candidate list; the renderer
    /// falls back to an installed one).
    pub font: usize,
    /// Which handwriting font.
    pub hand_font: usize,
    /// Body text size in points.
    pub size_pt: f32,
    /// Left margin and top margin in inches.
    pub margin_in: (f32, f32),
    pub blocks: Vec<Block>,
}

/// What kind of unreadable page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Smear {
    /// Toner smear: a page almost entirely black with lighter blotches.
    Black,
    /// A badly exposed scan: dark grey with heavy noise over everything.
    Dark,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Content {
    Doc(Doc),
    /// The back of a sheet: paper, maybe specks.
    Blank,
    /// An unreadable page (`unreadable_page`).
    Smear(Smear),
    /// A file that cannot be decoded (folder charts only, `unreadable_page`).
    Corrupt,
}

/// Scan damage of one page.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scan {
    /// Clockwise quarter turns (0–3) the page was fed with.
    pub quarter_turns: u8,
    /// Skew in degrees, positive clockwise.
    pub skew_deg: f32,
    /// Ink contrast, 1.0 = full; lower is faded print.
    pub contrast: f32,
    /// Paper grey level (255 = white).
    pub paper: u8,
    /// Ink grey level for print.
    pub ink: u8,
    /// Gaussian blur sigma at 300 dpi (scaled with the page's dpi), 0 = none.
    pub blur: f32,
    /// Gaussian noise sigma in grey levels, 0 = none.
    pub noise: f32,
    /// Salt-and-pepper density (share of pixels), 0 = none.
    pub salt: f32,
    /// Punched holes at the left edge.
    pub holes: bool,
    /// Ink dropouts: small spots where the ink did not take or the sensor
    /// missed (broken strokes once thresholded), per square inch.
    pub dropouts: f32,
    /// Fax streaks: lost scan lines across the page and dirt on the glass.
    pub streaks: u8,
    /// Where a bitonal scan thresholds, from halfway between paper and ink
    /// (0) towards the ink (positive: thinner, broken strokes).
    pub thin: f32,
}

impl Scan {
    pub fn clean() -> Scan {
        Scan {
            quarter_turns: 0,
            skew_deg: 0.0,
            contrast: 1.0,
            paper: 250,
            ink: 20,
            blur: 0.0,
            noise: 0.0,
            salt: 0.0,
            holes: false,
            dropouts: 0.0,
            streaks: 0,
            thin: 0.0,
        }
    }
}

/// How one page is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Png,
    Jpeg { quality: u8 },
    /// Single-page grey TIFF (Deflate).
    Tiff,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PagePlan {
    /// Page number within the chart, 1-based.
    pub number: u32,
    pub content: Content,
    pub scan: Scan,
    /// For folder charts: the file's encoding (`None` inside a multi-page TIFF).
    pub encoding: Option<Encoding>,
}
