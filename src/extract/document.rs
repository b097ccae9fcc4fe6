//! The export document of a chart, built from its values and the pipeline.
//!
//! Every path the pipeline declares is present: absent values are `null`,
//! absent lists `[]` — the shape of the spec's export, whatever the pipeline.

use crate::model::{FieldValue, RecordKind, RecordRef};
use crate::pipeline::{Pipeline, ValueType};
use serde_json::{Map, Value as Json};

/// Build the document (without `chart_id`, `status` and `flags`, which the
/// store adds) from the chart's values.
pub fn build(pipeline: &Pipeline, records: &[RecordRef], values: &[FieldValue]) -> Json {
    let mut root = Map::new();
    for f in pipeline.all_fields() {
        match f.path.list() {
            None => skeleton(&mut root, f.path.as_str(), f.value_type),
            Some(list) => {
                root.entry(list.to_string()).or_insert_with(|| Json::Array(Vec::new()));
            }
        }
    }
    for d in &pipeline.documents {
        for t in &d.tables {
            root.entry(t.path.to_string()).or_insert_with(|| Json::Array(Vec::new()));
        }
    }
    // One object per record, every declared key present.
    for r in records {
        let Some(doc) = pipeline.document(&r.doc_type) else { continue };
        match r.kind {
            RecordKind::Document { index } => {
                for f in &doc.fields {
                    if let (Some(list), Some(rest)) = (f.path.list(), f.path.within_record()) {
                        let item = list_item(&mut root, list, index);
                        skeleton(item, rest, f.value_type);
                    }
                }
            }
            RecordKind::TableRow { table, index } => {
                let Some(t) = doc.tables.get(table) else { continue };
                let item = list_item(&mut root, t.path.as_str(), index);
                for c in &t.columns {
                    item.entry(c.key.clone()).or_insert(Json::Null);
                }
            }
        }
    }
    for v in values {
        let Some(value) = &v.value else { continue };
        if matches!(v.kind, ValueType::Diagnoses | ValueType::Allergies) && v.path == v.field {
            continue; // an explicit empty list
        }
        set(&mut root, &v.path, value.to_json(), v.kind);
    }
    Json::Object(root)
}

fn list_item<'a>(root: &'a mut Map<String, Json>, list: &str, index: usize) -> &'a mut Map<String, Json> {
    let arr = root.entry(list.to_string()).or_insert_with(|| Json::Array(Vec::new()));
    if !arr.is_array() {
        *arr = Json::Array(Vec::new());
    }
    let arr = arr.as_array_mut().expect("array");
    while arr.len() <= index {
        arr.push(Json::Object(Map::new()));
    }
    if !arr[index].is_object() {
        arr[index] = Json::Object(Map::new());
    }
    arr[index].as_object_mut().expect("object")
}

/// Insert `null` / `[]` for a declared field (composite types as their parts).
fn skeleton(obj: &mut Map<String, Json>, path: &str, kind: ValueType) {
    let (parent, last) = match path.rsplit_once('.') {
        Some((p, l)) => (Some(p), l),
        None => (None, path),
    };
    let target = match parent {
        Some(p) => object_at(obj, p),
        None => obj,
    };
    match kind {
        ValueType::PersonName => {
            target.entry("family").or_insert(Json::Null);
            target.entry("given").or_insert(Json::Null);
        }
        ValueType::Signature => {
            target.entry("signed_by").or_insert(Json::Null);
            target.entry("signed_date").or_insert(Json::Null);
        }
        ValueType::Address => {
            let a = object_at(target, last);
            for k in ["line", "city", "state", "zip"] {
                a.entry(k).or_insert(Json::Null);
            }
        }
        ValueType::CityStateZip => {
            let a = object_at(target, last);
            for k in ["city", "state", "zip"] {
                a.entry(k).or_insert(Json::Null);
            }
        }
        ValueType::Diagnoses | ValueType::Allergies => {
            target.entry(last.to_string()).or_insert_with(|| Json::Array(Vec::new()));
        }
        _ => {
            target.entry(last.to_string()).or_insert(Json::Null);
        }
    }
}

/// The object at a dotted path (no list segments), created as needed.
fn object_at<'a>(obj: &'a mut Map<String, Json>, path: &str) -> &'a mut Map<String, Json> {
    let mut cur = obj;
    for seg in path.split('.').filter(|s| !s.is_empty()) {
        let e = cur.entry(seg.to_string()).or_insert_with(|| Json::Object(Map::new()));
        if !e.is_object() {
            *e = Json::Object(Map::new());
        }
        cur = e.as_object_mut().expect("object");
    }
    cur
}

/// Keys every item of a composite list carries.
fn item_keys(kind: ValueType) -> &'static [&'static str] {
    match kind {
        ValueType::Diagnoses => &["code", "text"],
        ValueType::Allergies => &["substance", "reaction"],
        _ => &[],
    }
}

/// Set a value at a concrete path like `encounters[0].diagnoses[1].code`.
pub fn set(root: &mut Map<String, Json>, path: &str, value: Json, kind: ValueType) {
    let segs: Vec<&str> = path.split('.').collect();
    let mut cur = root;
    for (i, seg) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        let (name, index) = match seg.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (*seg, None),
        };
        match index {
            Some(ix) => {
                let was = cur.get(name).and_then(|a| a.as_array()).map_or(0, |a| a.len());
                let item = list_item(cur, name, ix);
                if ix >= was {
                    for k in item_keys(kind) {
                        item.entry(k.to_string()).or_insert(Json::Null);
                    }
                }
                if last {
                    return;
                }
                cur = item;
            }
            None if last => {
                cur.insert(name.to_string(), value);
                return;
            }
            None => cur = object_at(cur, name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Provenance, Value};

    fn v(path: &str, field: &str, kind: ValueType, value: Value) -> FieldValue {
        FieldValue {
            path: path.into(),
            field: field.into(),
            value: Some(value),
            kind,
            raw: String::new(),
            error: None,
            prov: Provenance { page: 1, file: "f".into(), file_page: 0, bbox: Default::default(), conf: 90.0, reads: Vec::new() },
        }
    }

    #[test]
    fn empty_chart_has_every_key() {
        let p = Pipeline::default_pipeline();
        let doc = build(&p, &[], &[]);
        let expected = serde_json::json!({
            "patient": {"family": null, "given": null, "mrn": null, "dob": null, "sex": null,
                        "address": {"line": null, "city": null, "state": null, "zip": null}, "phone": null},
            "allergies": [],
            "coverage": {"payer": null, "member_id": null, "group": null},
            "encounters": [], "medications": [], "immunizations": []
        });
        assert_eq!(doc, expected);
    }

    #[test]
    fn records_and_values_fill_the_shape() {
        let p = Pipeline::default_pipeline();
        let records = vec![
            RecordRef { doc_type: "progress_note".into(), page: 2, kind: RecordKind::Document { index: 0 } },
            RecordRef { doc_type: "medication_list".into(), page: 3, kind: RecordKind::TableRow { table: 0, index: 0 } },
        ];
        let values = vec![
            v("patient.family", "patient.name", ValueType::PersonName, Value::Text("Thompson".into())),
            v("encounters[0].diagnoses[0].code", "encounters[0].diagnoses", ValueType::Diagnoses, Value::Text("250.00".into())),
            v("encounters[0].vitals.pulse", "encounters[0].vitals.pulse", ValueType::Integer, Value::Int(76)),
            v("medications[0].name", "medications[0].name", ValueType::Text, Value::Text("Metformin".into())),
        ];
        let doc = build(&p, &records, &values);
        assert_eq!(doc["patient"]["family"], "Thompson");
        let e = &doc["encounters"][0];
        assert_eq!(e["diagnoses"][0], serde_json::json!({"code": "250.00", "text": null}));
        assert_eq!(e["vitals"], serde_json::json!({"bp": null, "pulse": 76, "temp_f": null, "weight_lb": null}));
        assert_eq!(e["signed_by"], Json::Null);
        assert_eq!(e["npi"], Json::Null);
        assert_eq!(doc["medications"][0]["dose"], Json::Null);
        assert_eq!(doc["medications"][0]["name"], "Metformin");
    }
}
