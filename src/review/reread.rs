//! A page read again for the reviewer: turned, or read as the document
//! type a person named. The page's values are replaced by the new read's,
//! the chart's records renumbered in page order the way the batch numbers
//! them (`extract::assemble_chart`), and every path that moves — values,
//! verified marks, flags — moves with its record. Nothing is dropped
//! without saying so: a page holding values a person verified is not read
//! again, and a read that yields fewer records of a list than the page had
//! is refused unless the reviewer says the missing ones are not on it.

use super::draft::{records, validate_chart, Draft, RECOMPUTED};
use super::Refusal;
use crate::extract::{self, PageExtract};
use crate::model::{FieldValue, Flag, FlagCode};
use crate::pipeline::{path, Pipeline};
use crate::store::StagedValue;
use chrono::NaiveDate;
use std::collections::{BTreeMap, HashMap, HashSet};

/// What reading a page again did.
#[derive(Clone, Debug, Default)]
pub struct ReadAgain {
    pub page: u32,
    pub doc_type_before: Option<String>,
    pub doc_type: Option<String>,
    pub values_before: usize,
    pub values_now: usize,
    /// Records of each list on the page, before and now.
    pub records: BTreeMap<String, (usize, usize)>,
    pub resolved: Vec<String>,
    pub raised: Vec<String>,
}

/// The list a concrete path belongs to and its index: `encounters[2].date`
/// → (`encounters`, 2).
fn unit(path: &str) -> Option<(String, usize)> {
    let open = path.find('[')?;
    Some((path[..open].to_string(), path::first_index(path)?))
}

/// `path` with its first index replaced.
fn reindexed(path: &str, index: usize) -> String {
    match (path.find('['), path.find(']')) {
        (Some(o), Some(c)) if o < c => format!("{}[{index}]{}", &path[..o], &path[c + 1..]),
        _ => path.to_string(),
    }
}

impl Draft {
    /// Replace page `x.info.at.page`'s values by the new read `x`.
    pub fn replace_page(
        &mut self,
        pipeline: &Pipeline,
        today: NaiveDate,
        x: PageExtract,
        how: &str,
        drop_records: bool,
    ) -> Result<ReadAgain, Refusal> {
        let chart_id = self.chart_id().to_string();
        if self.state.pipeline_id != pipeline.id() {
            return Err(Refusal::PipelineMismatch { chart_id, chart: self.state.pipeline_id.clone(), given: pipeline.id() });
        }
        let page = x.info.at.page;
        let pos = self
            .state
            .pages
            .iter()
            .position(|p| p.at.page == page)
            .ok_or_else(|| Refusal::Usage(format!("chart {chart_id} has no page {page}")))?;
        if x.info.doc_type.is_none() {
            return Err(Refusal::Usage(format!(
                "chart {chart_id}: page {page} read again ({how}) is {} and matches no document type: nothing was changed; name its type",
                x.info.status.as_str()
            )));
        }
        let verified: Vec<String> = self
            .values
            .iter()
            .filter(|v| v.value.prov.page == page && v.verified.is_some())
            .map(|v| v.value.path.clone())
            .collect();
        if !verified.is_empty() {
            return Err(Refusal::Usage(format!(
                "chart {chart_id}: page {page} holds values a person verified ({}): reading it again would replace them; nothing was changed",
                verified.join(", ")
            )));
        }

        // The new page's values, numbered as if it were the only page.
        let new_page = extract::assemble_chart(pipeline, vec![x.clone()]);
        let (kept, old_on_page): (Vec<StagedValue>, Vec<StagedValue>) = self.values.iter().cloned().partition(|v| v.value.prov.page != page);

        // Records of each list on the page, before and now.
        let count = |vals: &mut dyn Iterator<Item = &FieldValue>| -> BTreeMap<String, HashSet<usize>> {
            let mut m: BTreeMap<String, HashSet<usize>> = BTreeMap::new();
            for v in vals {
                if let Some((list, i)) = unit(&v.path) {
                    m.entry(list).or_default().insert(i);
                }
            }
            m
        };
        let before = count(&mut old_on_page.iter().map(|v| &v.value));
        let now = count(&mut new_page.values.iter());
        let mut per_list: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for (l, s) in &before {
            per_list.entry(l.clone()).or_default().0 = s.len();
        }
        for (l, s) in &now {
            per_list.entry(l.clone()).or_default().1 = s.len();
        }
        let fewer: Vec<String> =
            per_list.iter().filter(|(_, (b, n))| n < b).map(|(l, (b, n))| format!("{l}: {b} on the page before, {n} now")).collect();
        if !fewer.is_empty() && !drop_records {
            return Err(Refusal::Usage(format!(
                "chart {chart_id}: page {page} read again ({how}) has fewer records than before ({}): nothing was changed; if they are not on the page, say so (drop records)",
                fewer.join("; ")
            )));
        }

        // Renumber every list in page order: the kept records by their old
        // index, the page's new ones by theirs.
        let mut units: HashMap<String, Vec<(u32, usize, bool, usize)>> = HashMap::new(); // list -> (page, order, new?, old index)
        let mut seen: HashSet<(String, usize, bool)> = HashSet::new();
        for v in &kept {
            if let Some((list, i)) = unit(&v.value.path) {
                if seen.insert((list.clone(), i, false)) {
                    let p = kept.iter().filter(|w| unit(&w.value.path).as_ref() == Some(&(list.clone(), i))).map(|w| w.value.prov.page).min().unwrap_or(v.value.prov.page);
                    units.entry(list).or_default().push((p, i, false, i));
                }
            }
        }
        for v in &new_page.values {
            if let Some((list, i)) = unit(&v.path) {
                if seen.insert((list.clone(), i, true)) {
                    units.entry(list).or_default().push((page, i, true, i));
                }
            }
        }
        let mut moved: HashMap<(String, usize, bool), usize> = HashMap::new();
        for (list, mut us) in units {
            us.sort_by_key(|&(p, order, _, _)| (p, order));
            for (k, (_, _, new, old)) in us.into_iter().enumerate() {
                moved.insert((list.clone(), old, new), k);
            }
        }
        let place = |p: &str, new: bool| -> String {
            match unit(p) {
                Some((list, i)) => moved.get(&(list, i, new)).map_or_else(|| p.to_string(), |&k| reindexed(p, k)),
                None => p.to_string(),
            }
        };
        let renumber = |v: &mut FieldValue, new: bool| {
            v.path = place(&v.path, new);
            v.field = place(&v.field, new);
        };

        let mut after: Vec<StagedValue> = kept
            .into_iter()
            .map(|mut v| {
                renumber(&mut v.value, false);
                v
            })
            .collect();
        for mut v in new_page.values {
            // A second face sheet: the first one stands (as in the batch).
            if unit(&v.path).is_none() && after.iter().any(|o| o.value.path == v.path) {
                continue;
            }
            renumber(&mut v, true);
            after.push(StagedValue { value: v, pipeline_id: self.state.pipeline_id.clone(), verified: None });
        }
        after.sort_by_key(|v| v.value.prov.page);

        // Flags on the other pages follow their records.
        for f in &mut self.flags {
            if f.flag.page != Some(page) {
                if let Some(field) = &f.flag.field {
                    let to = place(field, false);
                    if &to != field {
                        f.moved_from = Some(field.clone());
                        f.flag.field = Some(to);
                    }
                }
            }
        }

        let mut pages = self.state.pages.clone();
        let doc_type_before = pages[pos].doc_type.clone();
        pages[pos] = x.info.clone();
        let current: Vec<FieldValue> = self.values.iter().map(|v| v.value.clone()).collect();
        let after_values: Vec<FieldValue> = after.iter().map(|v| v.value.clone()).collect();
        let validate_with = |pages: &[crate::model::PageInfo], vals: &[FieldValue]| validate_chart(pipeline, pages, vals, today);
        let key = |f: &Flag| (f.code, f.field.clone(), f.page);
        // Before, in the new numbering, so that a moved flag is the same flag.
        let before_flags: Vec<Flag> = validate_with(&self.state.pages, &current)
            .into_iter()
            .map(|mut f| {
                if f.page != Some(page) {
                    f.field = f.field.map(|p| place(&p, false));
                }
                f
            })
            .collect();
        let after_flags = validate_with(&pages, &after_values);
        let before_keys: HashSet<_> = before_flags.iter().map(key).collect();
        let after_keys: HashSet<_> = after_flags.iter().map(key).collect();

        let mut out = ReadAgain {
            page,
            doc_type_before: doc_type_before.clone(),
            doc_type: x.info.doc_type.clone(),
            values_before: old_on_page.len(),
            values_now: after.len() - (self.values.len() - old_on_page.len()),
            records: per_list,
            ..ReadAgain::default()
        };
        let resolution = format!("page {page} read again ({how})");
        let gone = format!("no longer raised after page {page} was read again");
        for i in 0..self.flags.len() {
            let f = &self.flags[i];
            if !f.is_open() {
                continue;
            }
            let r = if f.flag.page == Some(page) && !after_keys.contains(&key(&f.flag)) {
                resolution.clone()
            } else if RECOMPUTED.contains(&f.flag.code) && before_keys.contains(&key(&f.flag)) && !after_keys.contains(&key(&f.flag)) {
                gone.clone()
            } else if matches!(f.flag.code, FlagCode::UnknownDocument | FlagCode::UnreadablePage) && f.flag.page == Some(page) {
                resolution.clone()
            } else {
                continue;
            };
            out.resolved.push(self.resolve(i, r));
        }
        let open_keys: HashSet<_> = self.open_flags().map(|f| key(&f.flag)).collect();
        for f in after_flags {
            if !before_keys.contains(&key(&f)) && !open_keys.contains(&key(&f)) {
                out.raised.push(self.raise(f));
            }
        }

        self.document = Some(extract::document::build(pipeline, &records(pipeline, &pages, &after_values), &after_values));
        self.state.pages = pages;
        self.values = after;
        self.mark_changed(true);
        let summary: Vec<String> = out.records.iter().map(|(l, (b, n))| format!("{l} {b} → {n}")).collect();
        self.audit_line(
            "read_again",
            None,
            Some(doc_type_before.unwrap_or_else(|| "no type".into())),
            out.doc_type.clone(),
            format!("page {page} ({how}): {} value(s) before, {} now{}", out.values_before, out.values_now, if summary.is_empty() { String::new() } else { format!("; {}", summary.join(", ")) }),
        );
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_renumbered_by_their_first_index() {
        assert_eq!(unit("encounters[2].diagnoses[1].code"), Some(("encounters".into(), 2)));
        assert_eq!(unit("patient.mrn"), None);
        assert_eq!(reindexed("encounters[2].diagnoses[1].code", 5), "encounters[5].diagnoses[1].code");
        assert_eq!(reindexed("immunizations[10].lot", 0), "immunizations[0].lot");
    }
}
