//! Every value type's normaliser on any text: no panic; a one-value result
//! normalises to itself again.
#![no_main]

use chartmill::model::Value;
use chartmill::normalize::{normalize, Context, Normalized};
use chartmill::pipeline::ValueType;
use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;

const ALL: [ValueType; 22] = [
    ValueType::Text,
    ValueType::PersonName,
    ValueType::ProviderName,
    ValueType::Date,
    ValueType::BirthDate,
    ValueType::Sex,
    ValueType::Phone,
    ValueType::Identifier,
    ValueType::Address,
    ValueType::CityStateZip,
    ValueType::City,
    ValueType::State,
    ValueType::Zip,
    ValueType::Npi,
    ValueType::Diagnoses,
    ValueType::Allergies,
    ValueType::Signature,
    ValueType::BloodPressure,
    ValueType::Integer,
    ValueType::Decimal,
    ValueType::Cvx,
    ValueType::Lot,
];

fuzz_target!(|raw: &str| {
    let ctx = Context { today: NaiveDate::from_ymd_opt(2026, 5, 1).unwrap() };
    for vt in ALL {
        if let Ok(Normalized::Scalar(v)) = normalize(vt, raw, &ctx) {
            // A decimal's text form of NaN/inf is not a number a page shows.
            if matches!(v, Value::Num(n) if !n.is_finite()) {
                continue;
            }
            let again = normalize(vt, &v.to_string(), &ctx);
            assert_eq!(again, Ok(Normalized::Scalar(v)), "{vt:?} is not stable");
        }
    }
});
