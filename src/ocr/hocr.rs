//! The engine's other characters: what Tesseract's LSTM recogniser also saw
//! at each place of a word, with its confidence, from the hOCR it writes
//! with `lstm_choice_mode=2`.
//!
//! For each word, hOCR then lists one group of choices per symbol, in the
//! order of the word's characters, the best first:
//!
//! ```text
//! <span class='ocrx_word' id='word_1_27' title='bbox 1142 504 1260 528; x_wconf 81'>6DLO07E
//!  <span class='ocrx_cinfo' id='lstm_choices_1_27_4'>
//!   <span class='ocrx_cinfo' id='choice_1_27_16' title='x_confs 91.49'>O</span>
//!   <span class='ocrx_cinfo' id='choice_1_27_17' title='x_confs 27.24'>0</span>
//! ```
//!
//! Only the choices that differ from the character read are kept
//! ([`Word::alts`]); a word whose groups do not match its characters one to
//! one (a symbol of several characters) keeps none.

use crate::model::{Alt, BBox, Word};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// Choices under this confidence are the recogniser's noise floor (most
/// are listed at 0) and are not kept.
pub const ALT_FLOOR: f32 = 1.0;

/// A word of the hOCR with the choice groups of its symbols.
#[derive(Debug, Default, PartialEq)]
struct HocrWord {
    text: String,
    bbox: BBox,
    /// Per symbol: its choices (text, confidence), best first.
    groups: Vec<Vec<(String, f32)>>,
}

#[derive(Clone, Copy, PartialEq)]
enum Open {
    Other,
    Word,
    Group,
    Choice,
}

fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

/// `bbox x0 y0 x1 y1` of an hOCR title.
fn title_bbox(title: &str) -> Option<BBox> {
    let part = title.split(';').map(str::trim).find_map(|p| p.strip_prefix("bbox "))?;
    let n: Vec<u32> = part.split_whitespace().filter_map(|s| s.parse().ok()).collect();
    match n[..] {
        [x0, y0, x1, y1] if x1 >= x0 && y1 >= y0 => Some(BBox { x: x0, y: y0, w: x1 - x0, h: y1 - y0 }),
        _ => None,
    }
}

/// `x_confs C` of a choice's title.
fn title_conf(title: &str) -> f32 {
    title
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("x_confs "))
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse::<f32>().ok())
        .unwrap_or(0.0)
}

/// The words of an hOCR page with their choice groups. Malformed input
/// gives the words read up to the fault.
fn parse(hocr: &str) -> Vec<HocrWord> {
    let mut reader = Reader::from_str(hocr);
    let mut stack: Vec<Open> = Vec::new();
    let mut words: Vec<HocrWord> = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let class = attr(&e, b"class").unwrap_or_default();
                let id = attr(&e, b"id").unwrap_or_default();
                let open = if class == "ocrx_word" {
                    let bbox = attr(&e, b"title").as_deref().and_then(title_bbox).unwrap_or_default();
                    words.push(HocrWord { bbox, ..HocrWord::default() });
                    Open::Word
                } else if class == "ocrx_cinfo" && id.starts_with("lstm_choices") && stack.contains(&Open::Word) {
                    if let Some(w) = words.last_mut() {
                        w.groups.push(Vec::new());
                    }
                    Open::Group
                } else if class == "ocrx_cinfo" && id.starts_with("choice") && stack.last() == Some(&Open::Group) {
                    let conf = attr(&e, b"title").as_deref().map_or(0.0, title_conf);
                    if let Some(g) = words.last_mut().and_then(|w| w.groups.last_mut()) {
                        g.push((String::new(), conf));
                    }
                    Open::Choice
                } else {
                    Open::Other
                };
                stack.push(open);
            }
            Ok(Event::End(_)) => {
                stack.pop();
            }
            Ok(Event::Text(t)) => {
                let Ok(text) = t.unescape() else { continue };
                match stack.last() {
                    Some(Open::Word) => {
                        if let Some(w) = words.last_mut() {
                            w.text.push_str(&text);
                        }
                    }
                    Some(Open::Choice) => {
                        if let Some(c) = words.last_mut().and_then(|w| w.groups.last_mut()).and_then(|g| g.last_mut()) {
                            c.0.push_str(&text);
                        }
                    }
                    _ => {}
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    for w in &mut words {
        w.text = w.text.trim().to_string();
    }
    words
}

/// The alternatives of a word: for each of its characters, the choices
/// that differ from it, at or above [`ALT_FLOOR`].
fn alternatives(w: &HocrWord) -> Vec<Alt> {
    let chars: Vec<char> = w.text.chars().collect();
    if chars.len() != w.groups.len() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (at, (c, group)) in chars.iter().zip(&w.groups).enumerate() {
        for (text, conf) in group {
            let mut it = text.chars();
            let (Some(alt), None) = (it.next(), it.next()) else { continue };
            if alt != *c && *conf >= ALT_FLOOR && !out.iter().any(|a: &Alt| a.at == at as u32 && a.ch == alt) {
                out.push(Alt { at: at as u32, ch: alt, conf: *conf });
            }
        }
    }
    out
}

/// Give each word the alternatives the hOCR of the same recognition lists
/// for it (matched by box and text).
pub fn attach(words: &mut [Word], hocr: &str) {
    let parsed = parse(hocr);
    let mut from = 0;
    for w in words.iter_mut() {
        if let Some(k) = parsed[from.min(parsed.len())..].iter().position(|h| h.bbox == w.bbox && h.text == w.text) {
            w.alts = alternatives(&parsed[from + k]);
            from += k + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOCR: &str = "<div class='ocr_page' id='page_1' title='bbox 0 0 300 40'>
 <div class='ocr_carea' id='block_1_1'><p class='ocr_par' id='par_1_1'>
  <span class='ocr_line' id='line_1_1' title='bbox 10 5 140 30'>
   <span class='ocrx_word' id='word_1_1' title='bbox 10 5 60 30; x_wconf 81'>6D&amp;O
    <span class='ocrx_cinfo' id='lstm_choices_1_1_1'>
     <span class='ocrx_cinfo' id='choice_1_1_1' title='x_confs 93.2'>6</span>
     <span class='ocrx_cinfo' id='choice_1_1_2' title='x_confs 0'>G</span></span>
    <span class='ocrx_cinfo' id='lstm_choices_1_1_2'>
     <span class='ocrx_cinfo' id='choice_1_1_3' title='x_confs 94.2'>D</span></span>
    <span class='ocrx_cinfo' id='lstm_choices_1_1_3'>
     <span class='ocrx_cinfo' id='choice_1_1_4' title='x_confs 90.0'>&amp;</span></span>
    <span class='ocrx_cinfo' id='lstm_choices_1_1_4'>
     <span class='ocrx_cinfo' id='choice_1_1_5' title='x_confs 91.5'>O</span>
     <span class='ocrx_cinfo' id='choice_1_1_6' title='x_confs 27.2'>0</span>
     <span class='ocrx_cinfo' id='choice_1_1_7' title='x_confs 3.5'>Q</span></span>
   </span>
   <span class='ocrx_word' id='word_1_2' title='bbox 70 5 140 30; x_wconf 96'>ab
    <span class='ocrx_cinfo' id='lstm_choices_1_2_1'>
     <span class='ocrx_cinfo' id='choice_1_2_1' title='x_confs 96'>a</span></span>
   </span>
  </span></p></div></div>";

    fn word(text: &str, x: u32, w: u32) -> Word {
        Word { text: text.into(), bbox: BBox { x, y: 5, w, h: 25 }, conf: 90.0, block: 1, par: 1, line: 1, alts: Vec::new() }
    }

    #[test]
    fn choices_that_differ_from_the_character_read_are_kept_by_place() {
        let mut words = vec![word("6D&O", 10, 50), word("ab", 70, 70)];
        attach(&mut words, HOCR);
        assert_eq!(
            words[0].alts,
            vec![Alt { at: 3, ch: '0', conf: 27.2 }, Alt { at: 3, ch: 'Q', conf: 3.5 }],
            "the zero-confidence `G` is noise"
        );
        assert!(words[1].alts.is_empty(), "groups that do not match the characters give nothing");
    }

    #[test]
    fn a_word_not_in_the_hocr_keeps_no_alternatives() {
        let mut words = vec![word("6D&O", 11, 50)];
        attach(&mut words, HOCR);
        assert!(words[0].alts.is_empty());
        let mut words = vec![word("6D&O", 10, 50)];
        attach(&mut words, "<div class='ocr_page'><span class='ocrx_word' title='bbox 10 5 60 30'>6D");
        assert!(words[0].alts.is_empty(), "a cut-off page is not an error");
    }
}
