//! The loader never panics and always locates its complaint, whatever the bytes.

use proptest::prelude::*;
use rollback::plan::load::{LoadError, load_bytes};

const BASE: &str = include_str!("plans/base.yaml");

fn check(bytes: Vec<u8>) -> Result<(), TestCaseError> {
    match load_bytes("p.yaml", bytes) {
        Ok(_) => {}
        Err(LoadError::Unreadable { .. }) => {}
        Err(LoadError::Invalid {
            diagnostics,
            source,
        }) => {
            prop_assert!(!diagnostics.is_empty());
            let lines = source.text.lines().count().max(1) as u32;
            for d in diagnostics {
                prop_assert!(d.pos.line >= 1 && d.pos.column >= 1);
                prop_assert!(
                    d.pos.line <= lines + 1,
                    "{} beyond {lines} lines",
                    d.pos.line
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check(bytes)?;
    }

    #[test]
    fn yaml_looking_text(text in "[a-z:\\-\\[\\]{}&*!|>'\" \n#0-9]{0,300}") {
        check(text.into_bytes())?;
    }

    #[test]
    fn mutated_plans(at in 0..BASE.len(), cut in 0usize..20, insert in "[a-z:\\-\\[\\]{}&* \n\t]{0,6}") {
        let mut text = BASE.as_bytes().to_vec();
        let end = (at + cut).min(text.len());
        text.splice(at..end, insert.bytes());
        check(text)?;
    }
}
