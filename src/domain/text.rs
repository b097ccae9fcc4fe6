//! Text normalisation shared by the agreement checks: tokens, stems and the
//! tolerance for one OCR slip.

/// Lower-cases `text` and splits it into alphanumeric tokens. `w/` and `w/o`
/// become `with` and `without`, `&` becomes `and`.
pub fn tokens(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let lower = lower.replace("w/o", " without ").replace("w/", " with ").replace('&', " and ");
    lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// A crude English stem: plural endings removed (`infections` → `infection`,
/// `allergies` → `allergy`, `boxes` → `box`), British `oe`/`ae` spellings of
/// medical words folded (`oesophageal` → `esophageal`, `haemorrhage` →
/// `hemorrhage`).
pub fn stem(token: &str) -> String {
    let mut t = token.to_string();
    if let Some(rest) = t.strip_prefix("oe") {
        t = format!("e{rest}");
    }
    if let Some(pos) = t.find("haem") {
        t.replace_range(pos..pos + 4, "hem");
    }
    let n = t.len();
    if n > 4 && t.ends_with("ies") {
        t.truncate(n - 3);
        t.push('y');
    } else if n > 4
        && t.ends_with("es")
        && matches!(t.as_bytes()[n - 3], b's' | b'x' | b'z' | b'h')
    {
        t.truncate(n - 2);
    } else if n > 3
        && t.ends_with('s')
        && !t.ends_with("ss")
        && !t.ends_with("us")
        && !t.ends_with("is")
    {
        t.truncate(n - 1);
    }
    t
}

/// Whether two stems name the same word: equal; or one OCR slip apart (one
/// character inserted, deleted or replaced) when both have five characters or
/// more; or sharing a prefix of at least six characters that covers most of
/// the shorter one (`diabetes` and `diabetic`, `osteoarthrosis` and
/// `osteoarthritis`, `hypertension` and `hypertensive`).
pub fn same_word(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (la, lb) = (a.chars().count(), b.chars().count());
    if la >= 5 && lb >= 5 && la.abs_diff(lb) <= 1 && strsim::levenshtein(a, b) <= 1 {
        return true;
    }
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let shorter = la.min(lb);
    common >= 6 && common * 10 >= shorter * 6
}

/// Whether `a` and `b` are at most one OCR slip apart, for words of five
/// characters or more; shorter words must be equal.
pub fn one_slip(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (la, lb) = (a.chars().count(), b.chars().count());
    la >= 5 && lb >= 5 && la.abs_diff(lb) <= 1 && strsim::levenshtein(a, b) <= 1
}
