//! Each limit of a condition, refused at its line and column, before anything recursive
//! could overflow or anything could run away.

use super::*;
use crate::plan::condition::CompileError;
use crate::plan::condition::Condition;

fn refused(text: &str) -> CompileError {
    let e = Condition::compile(text).expect_err(text);
    assert!(e.over_limit, "{e:?}");
    e
}

fn at(e: &CompileError) -> (u32, u32) {
    (e.line, e.col)
}

#[test]
fn the_text_may_be_2_kib_long() {
    let at_limit = format!("result > 1.0 {}", " ".repeat(MAX_BYTES - 13));
    assert_eq!(at_limit.len(), MAX_BYTES);
    assert!(Condition::compile(&at_limit).is_ok());
    let line = "result > 1.0 ||\n";
    let long = format!("{}result > 2.0", line.repeat(200));
    let e = refused(&long);
    // Byte 2049 is on line 129 (16 bytes a line), its first character.
    assert_eq!(at(&e), (129, 1), "{e:?}");
    assert!(e.message.contains("3212 bytes long"), "{e:?}");
}

#[test]
fn a_20000_member_chain_is_refused_before_it_is_parsed() {
    let chain: Vec<String> = (1..=20_000).map(|i| format!("result > {i}")).collect();
    let e = refused(&chain.join(" || "));
    assert_eq!(e.line, 1);
    assert!(e.message.contains("at most 2048 bytes"), "{e:?}");
}

#[test]
fn brackets_and_conditionals_nest_16_deep() {
    let deep = |n: usize| format!("{}result{} > 1", "(".repeat(n), ")".repeat(n));
    assert!(Condition::compile(&deep(MAX_NESTING)).is_ok());
    assert_eq!(at(&refused(&deep(MAX_NESTING + 1))), (1, 17));
    let ternaries = |n: usize| format!("{}false", "result > 1 ? true : ".repeat(n));
    assert!(Condition::compile(&ternaries(MAX_NESTING)).is_ok());
    let e = refused(&ternaries(MAX_NESTING + 1));
    assert_eq!(at(&e), (1, 16 * 20 + 12), "{e:?}");
    // A closed group gives its levels back; brackets in strings and comments count for nothing.
    let groups = format!("{}true", "(result > 1 ? true : false) || ".repeat(20));
    assert!(Condition::compile(&groups).is_ok());
    let quoted = format!(
        "result == '{0}' || result == \"{0}\" // {0}\n",
        "(".repeat(40)
    );
    assert!(Condition::compile(&quoted).is_ok());
    let raw = format!("result == r'\\' || {}", deep(3));
    assert!(
        Condition::compile(&raw).is_ok(),
        "a raw string ends at its quote"
    );
}

#[test]
fn a_condition_has_256_parts_at_most() {
    // Operators are counted in the text, before parsing: a chain nests as deep as it is long.
    let chain = |n: usize| format!("result{} > 0", ".a".repeat(n));
    let e = refused(&chain(200));
    assert!(
        e.message.contains("deeper than"),
        "parsed, then refused: {e:?}"
    );
    let e = refused(&chain(300));
    assert_eq!(at(&e), (1, 7 + 2 * 256), "the 257th operator: {e:?}");
    let e = refused(&format!("a{}", "||a".repeat(300)));
    assert_eq!(
        at(&e),
        (1, 2 + 3 * 256),
        "the first `|` of the 257th `||`: {e:?}"
    );
    // Values count in the parsed tree; past the limit the whole condition is pointed at.
    let list = |n: usize| format!("size([{}]) > 0", vec!["1"; n].join(","));
    assert!(Condition::compile(&list(250)).is_ok());
    let e = refused(&list(300));
    assert!(e.message.contains("more than 256 parts"), "{e:?}");
    assert_eq!(at(&e), (1, 1), "{e:?}");
    let dotted = "1.5 + 2.25 + 0.125 > 1.0";
    assert!(
        Condition::compile(dotted).is_ok(),
        "decimal points are no operators"
    );
}

#[test]
fn operations_nest_32_deep() {
    let sum = |n: usize| format!("{} > 0.0", vec!["result"; n].join(" + "));
    assert!(Condition::compile(&sum(8)).is_ok());
    // A flat `||` chain is a balanced tree: 50 members stay shallow.
    let or: Vec<String> = (1..=50).map(|i| format!("result == {i}.0")).collect();
    assert!(Condition::compile(&or.join(" || ")).is_ok());
    let e = refused(&format!("{} > 0", vec!["1"; 40].join(" - ")));
    assert!(e.message.contains("deeper than 32"), "{e:?}");
    // Under `>`, the 9th `-` is 32 levels down: its right operand, the 10th `1`, is past them.
    assert_eq!(at(&e), (1, 37), "{e:?}");
}

#[test]
fn a_macro_in_the_body_of_another_is_refused_but_one_after_another_is_fine() {
    let e = refused("result.all(a,\n  result.all(b, a == b))");
    assert!(e.message.contains("inside the body"), "{e:?}");
    assert_eq!(at(&e), (2, 13), "{e:?}");
    // Columns count characters, not bytes.
    let e = refused("'é' != 'ü' && result.all(a, result.all(b, a == b))");
    assert_eq!(at(&e), (1, 39), "{e:?}");
    refused("result.map(a, [a].exists(b, b > 1)).size() > 0");
    refused("result.filter(a, result.exists_one(b, b == a)).size() > 0");
    let chained = "result.filter(x, x > 1.0).map(y, y * 2.0).exists(z, z > 10.0)";
    assert!(Condition::compile(chained).is_ok());
    assert!(Condition::compile("result.all(a, has(a.value))").is_ok());
}

#[test]
fn a_condition_whose_worst_case_is_over_the_budget_is_refused_where_it_passes_it() {
    let e = refused("size(result) > 0 &&\n  result.all(x, x in result)");
    assert!(e.message.contains("could copy or scan about"), "{e:?}");
    assert_eq!(at(&e), (2, 13), "{e:?}");
    let e = refused(&format!("size({}) > 0", ["result"; 12].join(" + ")));
    assert!(e.message.contains("at most 64 MiB"), "{e:?}");
    // The same work on one element at a time is within the budget.
    let c = Condition::compile("result.all(x, x == result[0])").unwrap();
    assert!(c.cost() < super::super::cost::BUDGET);
}

#[test]
fn patterns_are_written_in_the_condition_and_compile_small() {
    let e = refused("result.exists(x, x.matches(x))");
    assert!(e.message.contains("quoted string"), "{e:?}");
    assert_eq!(at(&e), (1, 28), "{e:?}");
    let e = refused(r"result.matches('\\w{1000}')");
    assert!(e.message.contains("too big"), "{e:?}");
    assert_eq!(at(&e), (1, 16), "{e:?}");
    let e = Condition::compile("result.matches('(open')").unwrap_err();
    assert!(
        !e.over_limit && e.message.contains("not a valid pattern"),
        "{e:?}"
    );
    let c = Condition::compile(r"result.exists(s, s.matches('^api-\\d+$'))").unwrap();
    let v = serde_json::json!(["web-1", "api-12"]);
    assert_eq!(c.holds(&v, None), Ok(true));
    assert_eq!(c.holds(&serde_json::json!(["api-x"]), None), Ok(false));
}

#[test]
fn the_worst_text_within_the_limits_compiles_on_a_small_stack() {
    let worst = [
        format!("result{} > 0", ".a".repeat(255)),
        format!("1{} > 0", " + 1".repeat(250)),
        format!("{}true", "!".repeat(255)),
        format!("{}1{} > 0", "[".repeat(16), "]".repeat(16)),
        format!("{}1 > 0", "result > 1 ? true : ".repeat(16)),
        vec!["result > 1.0"; 120].join(" || "),
    ];
    let refused = std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(move || {
            worst
                .iter()
                .map(|t| Condition::compile(t).is_err_and(|e| e.over_limit))
                .collect::<Vec<_>>()
        })
        .unwrap()
        .join()
        .expect("no overflow");
    // The chains nest too deep once parsed and the `||` has too many parts; the rest is fine.
    assert_eq!(refused, [true, true, false, false, false, true]);
}
