//! The fonts pages are printed and handwritten in, loaded once at run time
//! from the Debian font packages (never committed to the repository).
//!
//! | class | fonts, in slot order | Debian packages |
//! |---|---|---|
//! | typewriter | Courier Prime, FreeMono, Liberation Mono, DejaVu Sans Mono | fonts-courier-prime, fonts-freefont-ttf, fonts-liberation, fonts-dejavu-core |
//! | sans | DejaVu Sans, Liberation Sans, FreeSans | fonts-dejavu-core, fonts-liberation, fonts-freefont-ttf |
//! | serif | DejaVu Serif, Liberation Serif, FreeSerif | fonts-dejavu-core, fonts-liberation, fonts-freefont-ttf |
//! | handwriting | Humor Sans, Comic Neue, Comic Neue Bold | fonts-humor-sans, fonts-comic-neue |
//!
//! A page names a font by class and slot; when that font is not installed
//! the next installed one of its class is used, so a corpus is the same byte
//! for byte only on machines with the same fonts.

use super::page::FontClass;
use ab_glyph::FontArc;
use anyhow::{bail, Context};
use std::path::Path;

/// A regular and a bold face.
#[derive(Clone)]
pub struct Face {
    pub regular: FontArc,
    pub bold: FontArc,
}

pub struct Fonts {
    typewriter: Vec<Face>,
    sans: Vec<Face>,
    serif: Vec<Face>,
    hand: Vec<FontArc>,
}

struct Candidate {
    regular: &'static [&'static str],
    bold: &'static [&'static str],
}

const TYPEWRITER: &[Candidate] = &[
    Candidate {
        regular: &["/usr/share/fonts/opentype/courier-prime/Courier Prime.otf", "/usr/share/fonts/truetype/courier-prime/Courier Prime.ttf"],
        bold: &["/usr/share/fonts/opentype/courier-prime/Courier Prime Bold.otf", "/usr/share/fonts/truetype/courier-prime/Courier Prime Bold.ttf"],
    },
    Candidate {
        regular: &["/usr/share/fonts/truetype/freefont/FreeMono.ttf", "/usr/share/fonts/opentype/freefont/FreeMono.otf"],
        bold: &["/usr/share/fonts/truetype/freefont/FreeMonoBold.ttf", "/usr/share/fonts/opentype/freefont/FreeMonoBold.otf"],
    },
    Candidate {
        regular: &["/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf", "/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf"],
        bold: &["/usr/share/fonts/truetype/liberation/LiberationMono-Bold.ttf", "/usr/share/fonts/truetype/liberation2/LiberationMono-Bold.ttf"],
    },
    Candidate {
        regular: &["/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"],
        bold: &["/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"],
    },
];
const SANS: &[Candidate] = &[
    Candidate { regular: &["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"], bold: &["/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"] },
    Candidate {
        regular: &["/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf", "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf"],
        bold: &["/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf", "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf"],
    },
    Candidate {
        regular: &["/usr/share/fonts/truetype/freefont/FreeSans.ttf", "/usr/share/fonts/opentype/freefont/FreeSans.otf"],
        bold: &["/usr/share/fonts/truetype/freefont/FreeSansBold.ttf", "/usr/share/fonts/opentype/freefont/FreeSansBold.otf"],
    },
];
const SERIF: &[Candidate] = &[
    Candidate { regular: &["/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"], bold: &["/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"] },
    Candidate {
        regular: &["/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf", "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"],
        bold: &["/usr/share/fonts/truetype/liberation/LiberationSerif-Bold.ttf", "/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf"],
    },
    Candidate {
        regular: &["/usr/share/fonts/truetype/freefont/FreeSerif.ttf", "/usr/share/fonts/opentype/freefont/FreeSerif.otf"],
        bold: &["/usr/share/fonts/truetype/freefont/FreeSerifBold.ttf", "/usr/share/fonts/opentype/freefont/FreeSerifBold.otf"],
    },
];
const HAND: &[&[&str]] = &[
    &["/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf"],
    &["/usr/share/fonts/opentype/comic-neue/ComicNeue-Regular.otf", "/usr/share/fonts/truetype/comic-neue/ComicNeue-Regular.ttf"],
    &["/usr/share/fonts/opentype/comic-neue/ComicNeue-Bold.otf", "/usr/share/fonts/truetype/comic-neue/ComicNeue-Bold.ttf"],
];

/// The Debian packages the generator's fonts come from.
pub const FONT_PACKAGES: &[&str] =
    &["fonts-dejavu-core", "fonts-liberation", "fonts-freefont-ttf", "fonts-courier-prime", "fonts-humor-sans", "fonts-comic-neue"];

fn load_first(paths: &[&str]) -> anyhow::Result<Option<FontArc>> {
    for p in paths {
        let path = Path::new(p);
        if path.is_file() {
            let bytes = std::fs::read(path).with_context(|| format!("cannot read font {p}"))?;
            let font = FontArc::try_from_vec(bytes).with_context(|| format!("cannot parse font {p}"))?;
            return Ok(Some(font));
        }
    }
    Ok(None)
}

fn load_class(cands: &[Candidate], class: &str, packages: &str) -> anyhow::Result<Vec<Face>> {
    let mut out = Vec::new();
    for c in cands {
        if let Some(regular) = load_first(c.regular)? {
            let bold = load_first(c.bold)?.unwrap_or_else(|| regular.clone());
            out.push(Face { regular, bold });
        }
    }
    if out.is_empty() {
        let looked: Vec<&str> = cands.iter().flat_map(|c| c.regular.iter().copied()).collect();
        bail!("no {class} font found (looked for {}); install {packages} (apt-get install -y {packages})", looked.join(", "));
    }
    Ok(out)
}

impl Fonts {
    /// Loads every installed candidate; fails naming the packages to install
    /// when a class has none.
    pub fn load() -> anyhow::Result<Fonts> {
        let typewriter = load_class(TYPEWRITER, "typewriter", "fonts-courier-prime fonts-freefont-ttf")?;
        let sans = load_class(SANS, "sans", "fonts-dejavu-core fonts-liberation")?;
        let serif = load_class(SERIF, "serif", "fonts-dejavu-core fonts-liberation")?;
        let mut hand = Vec::new();
        for paths in HAND {
            if let Some(f) = load_first(paths)? {
                hand.push(f);
            }
        }
        if hand.is_empty() {
            let looked: Vec<&str> = HAND.iter().flat_map(|p| p.iter().copied()).collect();
            bail!(
                "no handwriting font found (looked for {}); install fonts-humor-sans fonts-comic-neue (apt-get install -y fonts-humor-sans fonts-comic-neue)",
                looked.join(", ")
            );
        }
        Ok(Fonts { typewriter, sans, serif, hand })
    }

    pub fn face(&self, class: FontClass, slot: usize) -> &Face {
        let list = match class {
            FontClass::Typewriter => &self.typewriter,
            FontClass::Sans => &self.sans,
            FontClass::Serif => &self.serif,
        };
        &list[slot % list.len()]
    }

    pub fn hand(&self, slot: usize) -> &FontArc {
        &self.hand[slot % self.hand.len()]
    }
}
