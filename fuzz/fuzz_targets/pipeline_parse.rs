//! The pipeline TOML loader: any text. It never panics; a pipeline it
//! accepts passes its own checks again and has an id.
#![no_main]

use chartmill::pipeline::Pipeline;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(p) = Pipeline::parse(text, "fuzz.toml") {
        assert!(p.check().is_empty());
        let _ = p.id();
    }
});
