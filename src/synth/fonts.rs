//! The fonts pages are printed and handwritten in, loaded once at run time
//! from the Debian font packages (never committed to the repository).
//!
//! | class | fonts, in slot order | Debian packages |
//! |---|---|---|
//! | typewriter | Courier Prime, FreeMono, Liberation Mono, DejaVu Sans Mono | fonts-courier-prime, fonts-freefont-ttf, fonts-liberation, fonts-dejavu-core |
//! | sans | DejaVu Sans, Liberation Sans, FreeSans | fonts-dejavu-core, fonts-liberation, fonts-freefont-ttf |
//! | serif | DejaVu Serif, Liberation Serif, FreeSerif | fonts-dejavu-core, fonts-liberation, fonts-freefont-ttf |
//! | handwriting | Humor Sans, Comic Neue, Comic Neue Bold, Breip, Femke Klaver, DKG Handwriting, DKG Handwriting Bold | fonts-humor-sans, fonts-comic-neue, fonts-breip, fonts-femkeklaver, fonts-dkg-handwriting |
//!
//! The classes above are the `classic` family's. The other style families
//! print in classes of their own:
//!
//! | class | fonts, in slot order | Debian packages |
//! |---|---|---|
//! | office sans | Roboto, Roboto Condensed, Nimbus Sans | fonts-roboto-unhinted, fonts-urw-base35 |
//! | office mono | Noto Mono | fonts-noto-mono |
//! | fax mono, serif, sans | Nimbus Mono PS; Nimbus Roman; Nimbus Sans Narrow | fonts-urw-base35 |
//! | book serif (`holdout`) | Linux Libertine, URW Bookman, C059, P052 | fonts-linuxlibertine, fonts-urw-base35 |
//! | book sans (`holdout`) | Linux Biolinum, URW Gothic | fonts-linuxlibertine, fonts-urw-base35 |
//!
//! A page names a font by class and slot; when that font is not installed
//! the next installed one of its class is used, so a corpus is the same byte
//! for byte only on machines with the same fonts. A class of a family that
//! has no installed font stops `synth` for that family only (see
//! [`Fonts::check`]); a missing handwriting font falls back to another hand.

use super::family::Family;
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
    /// The classes of the other style families, in `FontClass` order from
    /// `OfficeSans`; a class may be empty when its packages are missing.
    more: Vec<Vec<Face>>,
    /// Handwriting fonts by slot; `None` where not installed.
    hand: Vec<Option<FontArc>>,
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

macro_rules! cand {
    ($dir:literal, $r:literal, $b:literal) => {
        Candidate { regular: &[concat!($dir, "/", $r)], bold: &[concat!($dir, "/", $b)] }
    };
}

macro_rules! urw {
    ($r:literal, $b:literal) => {
        Candidate { regular: &[concat!("/usr/share/fonts/opentype/urw-base35/", $r)], bold: &[concat!("/usr/share/fonts/opentype/urw-base35/", $b)] }
    };
}

const OFFICE_SANS: &[Candidate] = &[
    cand!("/usr/share/fonts/truetype/roboto/unhinted", "RobotoTTF/Roboto-Regular.ttf", "RobotoTTF/Roboto-Bold.ttf"),
    cand!("/usr/share/fonts/truetype/roboto/unhinted", "RobotoCondensed-Regular.ttf", "RobotoCondensed-Bold.ttf"),
    urw!("NimbusSans-Regular.otf", "NimbusSans-Bold.otf"),
];
const OFFICE_MONO: &[Candidate] =
    &[Candidate { regular: &["/usr/share/fonts/truetype/noto/NotoMono-Regular.ttf"], bold: &["/usr/share/fonts/truetype/noto/NotoMono-Bold.ttf"] }];
const FAX_MONO: &[Candidate] = &[urw!("NimbusMonoPS-Regular.otf", "NimbusMonoPS-Bold.otf")];
const FAX_SERIF: &[Candidate] = &[urw!("NimbusRoman-Regular.otf", "NimbusRoman-Bold.otf")];
const FAX_SANS: &[Candidate] = &[urw!("NimbusSansNarrow-Regular.otf", "NimbusSansNarrow-Bold.otf")];
const BOOK_SERIF: &[Candidate] = &[
    cand!("/usr/share/fonts/opentype/linux-libertine", "LinLibertine_R.otf", "LinLibertine_RB.otf"),
    urw!("URWBookman-Light.otf", "URWBookman-Demi.otf"),
    urw!("C059-Roman.otf", "C059-Bold.otf"),
    urw!("P052-Roman.otf", "P052-Bold.otf"),
];
const BOOK_SANS: &[Candidate] = &[
    cand!("/usr/share/fonts/opentype/linux-libertine", "LinBiolinum_R.otf", "LinBiolinum_RB.otf"),
    urw!("URWGothic-Book.otf", "URWGothic-Demi.otf"),
];

/// The classes of the other families, in `FontClass` order from
/// `OfficeSans`, with their Debian packages.
const MORE: &[(FontClass, &[Candidate], &str)] = &[
    (FontClass::OfficeSans, OFFICE_SANS, "fonts-roboto-unhinted fonts-urw-base35"),
    (FontClass::OfficeMono, OFFICE_MONO, "fonts-noto-mono"),
    (FontClass::FaxMono, FAX_MONO, "fonts-urw-base35"),
    (FontClass::FaxSerif, FAX_SERIF, "fonts-urw-base35"),
    (FontClass::FaxSans, FAX_SANS, "fonts-urw-base35"),
    (FontClass::BookSerif, BOOK_SERIF, "fonts-linuxlibertine fonts-urw-base35"),
    (FontClass::BookSans, BOOK_SANS, "fonts-linuxlibertine fonts-urw-base35"),
];

const HAND: &[&[&str]] = &[
    &["/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf"],
    &["/usr/share/fonts/opentype/comic-neue/ComicNeue-Regular.otf", "/usr/share/fonts/truetype/comic-neue/ComicNeue-Regular.ttf"],
    &["/usr/share/fonts/opentype/comic-neue/ComicNeue-Bold.otf", "/usr/share/fonts/truetype/comic-neue/ComicNeue-Bold.ttf"],
    &["/usr/share/fonts/truetype/breip/Breip.ttf"],
    &["/usr/share/fonts/truetype/femkeklaver/femkeklaver.ttf"],
    &["/usr/share/fonts/truetype/fifthhorseman/dkg.ttf"],
    &["/usr/share/fonts/truetype/fifthhorseman/dkgBd.ttf"],
];

/// The Debian packages the generator's fonts come from.
pub const FONT_PACKAGES: &[&str] = &[
    "fonts-dejavu-core",
    "fonts-liberation",
    "fonts-freefont-ttf",
    "fonts-courier-prime",
    "fonts-humor-sans",
    "fonts-comic-neue",
    "fonts-urw-base35",
    "fonts-roboto-unhinted",
    "fonts-noto-mono",
    "fonts-linuxlibertine",
    "fonts-breip",
    "fonts-femkeklaver",
    "fonts-dkg-handwriting",
];

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

fn load_faces(cands: &[Candidate]) -> anyhow::Result<Vec<Face>> {
    let mut out = Vec::new();
    for c in cands {
        if let Some(regular) = load_first(c.regular)? {
            let bold = load_first(c.bold)?.unwrap_or_else(|| regular.clone());
            out.push(Face { regular, bold });
        }
    }
    Ok(out)
}

fn load_class(cands: &[Candidate], class: &str, packages: &str) -> anyhow::Result<Vec<Face>> {
    let out = load_faces(cands)?;
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
        let more = MORE.iter().map(|(_, cands, _)| load_faces(cands)).collect::<anyhow::Result<Vec<_>>>()?;
        let mut hand = Vec::new();
        for paths in HAND {
            hand.push(load_first(paths)?);
        }
        if hand.iter().all(Option::is_none) {
            let looked: Vec<&str> = HAND.iter().flat_map(|p| p.iter().copied()).collect();
            bail!(
                "no handwriting font found (looked for {}); install fonts-humor-sans fonts-comic-neue (apt-get install -y fonts-humor-sans fonts-comic-neue)",
                looked.join(", ")
            );
        }
        Ok(Fonts { typewriter, sans, serif, more, hand })
    }

    /// Fails naming the packages to install when a class that one of the
    /// families prints in has no installed font.
    pub fn check(&self, families: &[Family]) -> anyhow::Result<()> {
        for f in families {
            for class in f.font_classes() {
                if let Some(i) = MORE.iter().position(|(c, _, _)| c == class) {
                    if self.more[i].is_empty() {
                        let packages = MORE[i].2;
                        bail!(
                            "no font for the {} family's {class:?} class; install {packages} (apt-get install -y {packages})",
                            f.name()
                        );
                    }
                }
            }
        }
        Ok(())
    }

    pub fn face(&self, class: FontClass, slot: usize) -> &Face {
        let list = match class {
            FontClass::Typewriter => &self.typewriter,
            FontClass::Sans => &self.sans,
            FontClass::Serif => &self.serif,
            other => {
                let i = MORE.iter().position(|(c, _, _)| *c == other).expect("every class is listed");
                // `check` refuses a family whose class is empty; the
                // fallback only keeps a direct caller from panicking.
                if self.more[i].is_empty() {
                    &self.sans
                } else {
                    &self.more[i]
                }
            }
        };
        &list[slot % list.len()]
    }

    /// A handwriting font by slot; a slot whose font is not installed falls
    /// back to the next installed one.
    pub fn hand(&self, slot: usize) -> &FontArc {
        let n = self.hand.len();
        (0..n).find_map(|k| self.hand[(slot + k) % n].as_ref()).expect("one hand is installed")
    }
}
