use super::*;

/// The synthetic generator's vocabulary, compiled here as a copy of its own
/// (the module is private to `synth`).
#[path = "../synth/data.rs"]
#[allow(dead_code)]
mod synth_data;
use synth_data::{CONDITIONS, DRUGS, VACCINES};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[test]
fn every_table_loads() {
    let (icd10, icd9, cvx_n, drugs) = preload();
    // Every code of FY2026 (98,186 with headers) and the retired ones.
    assert!(icd10 > 98_000, "{icd10}");
    // ICD-9-CM v32: 14,567 billable codes and their headers.
    assert_eq!(icd9, 17_561);
    assert!(cvx_n > 250, "{cvx_n}");
    assert!(drugs > 5_000, "{drugs}");
}

#[test]
fn icd10cm_codes_on_their_dates() {
    let day = d(2020, 1, 1);
    assert_eq!(icd10cm_on("I10", day), CodeStatus::Valid);
    assert_eq!(icd10cm_on("E11.9", day), CodeStatus::Valid);
    assert_eq!(icd10cm_on("E119", day), CodeStatus::Valid);
    assert_eq!(icd10cm_on("i25.10", day), CodeStatus::Valid);
    assert_eq!(icd10cm_on("I25.1", day), CodeStatus::Header);
    assert_eq!(icd10cm_on("E11", day), CodeStatus::Header);
    assert_eq!(icd10cm_on("Q99.99", day), CodeStatus::Unknown);
    assert_eq!(icd10cm_on("XYZ", day), CodeStatus::Unknown);
    // COVID-19: added mid FY2020, valid from FY2021 in these tables.
    assert_eq!(icd10cm_on("U07.1", d(2019, 6, 1)), CodeStatus::NotValidOn);
    assert_eq!(icd10cm_on("U07.1", d(2021, 1, 1)), CodeStatus::Valid);
    // Low back pain became a header in FY2022 (M54.50, M54.51, M54.59).
    assert_eq!(icd10cm_on("M54.5", d(2021, 9, 30)), CodeStatus::Valid);
    assert_eq!(icd10cm_on("M54.5", d(2021, 10, 1)), CodeStatus::Header);
    assert_eq!(icd10cm_on("M54.50", d(2021, 9, 30)), CodeStatus::NotValidOn);
    assert_eq!(icd10cm_on("M54.50", d(2022, 3, 1)), CodeStatus::Valid);
    // Before ICD-10-CM began, no code is valid; after the newest release, FY2026 judges.
    assert_eq!(icd10cm_on("I10", d(2015, 9, 30)), CodeStatus::NotValidOn);
    assert_eq!(icd10cm_on("I10", d(2015, 10, 1)), CodeStatus::Valid);
    assert_eq!(icd10cm_on("I10", d(2031, 5, 1)), CodeStatus::Valid);
    assert_eq!(icd10cm_description("I10"), Some("Essential (primary) hypertension"));
    assert_eq!(icd10cm_description("U07.1"), Some("COVID-19"));
}

#[test]
fn fiscal_years() {
    assert_eq!(fiscal_year(d(2019, 9, 30)), 2019);
    assert_eq!(fiscal_year(d(2019, 10, 1)), 2020);
}

#[test]
fn icd9cm_codes() {
    let dm = icd9cm("250.00").unwrap();
    assert!(dm.billable);
    assert!(dm.description.starts_with("Diabetes mellitus without mention of complication"));
    assert!(icd9cm("401.9").unwrap().billable);
    assert!(icd9cm("4019").unwrap().billable);
    assert!(icd9cm("V70.0").unwrap().billable);
    assert!(icd9cm("E849.7").unwrap().billable);
    assert_eq!(icd9cm_status("250"), CodeStatus::Header);
    assert_eq!(icd9cm_status("250.0"), CodeStatus::Header);
    assert_eq!(icd9cm_status("999.99"), CodeStatus::Unknown);
}

#[test]
fn cvx_codes() {
    let flu = cvx("141").unwrap();
    assert_eq!(flu.groups, vec!["FLU"]);
    assert_eq!(cvx("3").unwrap().code, "03");
    assert_eq!(cvx("03").unwrap().short_name, "MMR");
    assert_eq!(cvx("003").unwrap().code, "03");
    assert_eq!(cvx("187").unwrap().status, CvxStatus::Active);
    assert!(cvx("187").unwrap().products.contains(&"SHINGRIX"));
    assert!(cvx("").is_none());
    assert!(cvx("12a").is_none());
    // A combination vaccine belongs to each of its groups.
    let pediarix = cvx("110").unwrap();
    for g in ["DTAP", "HepB", "POLIO"] {
        assert!(pediarix.groups.contains(&g), "{g}");
    }
}

#[test]
fn cvx_agreement() {
    use Agreement::*;
    assert_eq!(cvx_agrees("141", "Influenza"), Agrees);
    assert_eq!(cvx_agrees("141", "Flu"), Agrees);
    assert_eq!(cvx_agrees("141", "flu shot"), Agrees);
    assert_eq!(cvx_agrees("141", "Fluzone"), Agrees);
    assert_eq!(cvx_agrees("141", "Infiuenza"), Agrees);
    assert_eq!(cvx_agrees("141", "MMR"), Disagrees);
    assert_eq!(cvx_agrees("141", "Hep B"), Disagrees);
    assert_eq!(cvx_agrees("03", "MMR"), Agrees);
    assert_eq!(cvx_agrees("3", "Measles, mumps, rubella"), Agrees);
    assert_eq!(cvx_agrees("115", "Tdap"), Agrees);
    assert_eq!(cvx_agrees("115", "Boostrix"), Agrees);
    assert_eq!(cvx_agrees("115", "Tetanus"), Agrees);
    assert_eq!(cvx_agrees("115", "Td"), Unknown);
    assert_eq!(cvx_agrees("115", "Influenza"), Disagrees);
    assert_eq!(cvx_agrees("08", "Hep B"), Agrees);
    assert_eq!(cvx_agrees("43", "Hep B"), Agrees);
    assert_eq!(cvx_agrees("43", "Hepatitis B"), Agrees);
    assert_eq!(cvx_agrees("43", "HepB"), Agrees);
    assert_eq!(cvx_agrees("43", "Hepatitis A"), Disagrees);
    assert_eq!(cvx_agrees("33", "PPSV23"), Agrees);
    assert_eq!(cvx_agrees("33", "Pneumovax 23"), Agrees);
    assert_eq!(cvx_agrees("133", "PPSV23"), Unknown);
    assert_eq!(cvx_agrees("133", "Prevnar 13"), Agrees);
    assert_eq!(cvx_agrees("187", "Shingrix"), Agrees);
    assert_eq!(cvx_agrees("187", "Shingles"), Agrees);
    assert_eq!(cvx_agrees("121", "Zoster"), Agrees);
    assert_eq!(cvx_agrees("208", "COVID-19"), Agrees);
    assert_eq!(cvx_agrees("208", "Pfizer"), Unknown);
    assert_eq!(cvx_agrees("10", "IPV"), Agrees);
    assert_eq!(cvx_agrees("10", "Polio"), Agrees);
    assert_eq!(cvx_agrees("20", "DTaP"), Agrees);
    assert_eq!(cvx_agrees("110", "Pediarix"), Agrees);
    assert_eq!(cvx_agrees("110", "DTaP-HepB-IPV"), Agrees);
    assert_eq!(cvx_agrees("165", "HPV"), Agrees);
    assert_eq!(cvx_agrees("165", "Gardasil 9"), Agrees);
    assert_eq!(cvx_agrees("48", "Hib"), Agrees);
    assert_eq!(cvx_agrees("48", "Haemophilus influenzae type b"), Agrees);
    assert_eq!(cvx_agrees("21", "Varicella"), Agrees);
    assert_eq!(cvx_agrees("21", "Chickenpox"), Agrees);
    // Texts that name nothing known, and unknown codes, are unknown.
    assert_eq!(cvx_agrees("141", "Vaccine"), Unknown);
    assert_eq!(cvx_agrees("141", ""), Unknown);
    assert_eq!(cvx_agrees("9999", "Influenza"), Unknown);
}

#[test]
fn diagnosis_text_agreement() {
    use Agreement::*;
    use IcdSystem::*;
    assert_eq!(icd_text_agrees("I10", "Hypertension", Icd10Cm), Agrees);
    assert_eq!(icd_text_agrees("I10", "HTN", Icd10Cm), Agrees);
    assert_eq!(icd_text_agrees("I10", "Essential hypertenslon", Icd10Cm), Agrees);
    assert_eq!(icd_text_agrees("E11.9", "DM2", Icd10Cm), Agrees);
    assert_eq!(icd_text_agrees("E11.9", "Diabetes type II", Icd10Cm), Agrees);
    assert_eq!(icd_text_agrees("E11.9", "Type 2 diabetic", Icd10Cm), Agrees);
    assert_eq!(icd_text_agrees("J44.9", "COPD", Icd10Cm), Agrees);
    assert_eq!(icd_text_agrees("K21.9", "GERD", Icd10Cm), Agrees);
    assert_eq!(icd_text_agrees("I25.10", "CAD", Icd10Cm), Agrees);
    assert_eq!(icd_text_agrees("I50.9", "CHF", Icd10Cm), Agrees);
    assert_eq!(icd_text_agrees("J06.9", "URI", Icd10Cm), Agrees);
    assert_eq!(icd_text_agrees("N39.0", "UTI", Icd10Cm), Agrees);
    assert_eq!(icd_text_agrees("250.00", "DM", Icd9Cm), Agrees);
    assert_eq!(icd_text_agrees("401.9", "HTN", Icd9Cm), Agrees);
    assert_eq!(icd_text_agrees("493.90", "Asthma", Icd9Cm), Agrees);
    // Clear evidence of another condition.
    assert_eq!(icd_text_agrees("I10", "Asthma", Icd10Cm), Disagrees);
    assert_eq!(icd_text_agrees("E11.9", "Urinary tract infection", Icd10Cm), Disagrees);
    assert_eq!(icd_text_agrees("401.9", "Acute pharyngitis", Icd9Cm), Disagrees);
    // Too little to say.
    assert_eq!(icd_text_agrees("I10", "Unspecified", Icd10Cm), Unknown);
    assert_eq!(icd_text_agrees("I10", "", Icd10Cm), Unknown);
    assert_eq!(icd_text_agrees("I10", "Follow up", Icd10Cm), Unknown);
    assert_eq!(icd_text_agrees("Q99.99", "Asthma", Icd10Cm), Unknown);
}

#[test]
fn drugs_and_doses() {
    use Agreement::*;
    let m = drug("Metformin").unwrap();
    assert_eq!(m.generic, "metformin");
    assert!(m.strengths_mg.contains(&500.0));
    assert_eq!(drug("Metformin HCl ER").unwrap().generic, "metformin");
    assert_eq!(drug("Lipitor").unwrap().generic, "atorvastatin");
    assert_eq!(drug("Atorvastatn").unwrap().generic, "atorvastatin");
    assert!(drug("Unobtainium").is_none());
    assert_eq!(dose_plausible("Metformin", "500 mg"), Agrees);
    assert_eq!(dose_plausible("Metformin", "1000 mg"), Agrees);
    assert_eq!(dose_plausible("Metformin", "2 g"), Agrees);
    assert_eq!(dose_plausible("Metformin", "500 mcg"), Disagrees);
    assert_eq!(dose_plausible("Levothyroxine", "100 mcg"), Agrees);
    assert_eq!(dose_plausible("Levothyroxine", "100 mg"), Disagrees);
    assert_eq!(dose_plausible("Albuterol", "90 mcg"), Agrees);
    assert_eq!(dose_plausible("Insulin glargine", "10 units"), Unknown);
    assert_eq!(dose_plausible("Unobtainium", "10 mg"), Unknown);
    assert_eq!(dose_plausible("Metformin", "one tablet"), Unknown);
    assert_eq!(dose_mg("12.5 mg"), Some(12.5));
    assert_eq!(dose_mg("90 mcg"), Some(0.09));
    assert_eq!(dose_mg("10 units"), None);
}

/// The synthetic generator's own pairs are correct: none may disagree.
#[test]
fn synthetic_vocabulary_never_disagrees() {
    let mut unknown = Vec::new();
    for c in CONDITIONS {
        let (code9, text9) = c.icd9;
        assert!(icd9cm(code9).is_some_and(|x| x.billable), "{code9}");
        match icd_text_agrees(code9, text9, IcdSystem::Icd9Cm) {
            Agreement::Disagrees => panic!("{code9} {text9}"),
            Agreement::Unknown => unknown.push(code9),
            Agreement::Agrees => {}
        }
        let (code10, text10) = c.icd10;
        assert!(icd10cm_description(code10).is_some(), "{code10}");
        match icd_text_agrees(code10, text10, IcdSystem::Icd10Cm) {
            Agreement::Disagrees => panic!("{code10} {text10}"),
            Agreement::Unknown => unknown.push(code10),
            Agreement::Agrees => {}
        }
    }
    for v in VACCINES {
        assert_ne!(cvx_agrees(v.cvx, v.name), Agreement::Disagrees, "{} {}", v.cvx, v.name);
        assert_eq!(cvx_agrees(v.cvx, v.name), Agreement::Agrees, "{} {}", v.cvx, v.name);
    }
    for drug_row in DRUGS {
        for dose in drug_row.doses {
            assert_ne!(
                dose_plausible(drug_row.name, dose),
                Agreement::Disagrees,
                "{} {dose}",
                drug_row.name
            );
        }
    }
    assert!(unknown.is_empty(), "{unknown:?}");
}

/// Reports the time of the first load of every table (run this test alone
/// with `--nocapture`: other tests may have loaded the tables already). It
/// asserts only a generous bound, for a loaded machine.
#[test]
fn load_time() {
    let start = std::time::Instant::now();
    preload();
    let ms = start.elapsed().as_millis();
    eprintln!("domain tables loaded in {ms} ms");
    assert!(ms < 2_000, "{ms} ms");
}
