//! Any bytes given to the plan loader and validator: no panic, and every complaint located.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rollback::plan::load::{LoadError, load_bytes};
use rollback::monitor::check_plan as validate;

fuzz_target!(|data: &[u8]| {
    match load_bytes("fuzz.yaml", data.to_vec()) {
        Ok(loaded) => {
            let _ = validate(&loaded.plan);
        }
        Err(LoadError::Invalid { diagnostics, .. }) => {
            assert!(!diagnostics.is_empty());
            assert!(diagnostics.iter().all(|d| d.pos.line >= 1));
        }
        Err(LoadError::Unreadable { .. }) => {}
    }
});
