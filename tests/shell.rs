//! What a shell and a manual reader get from the command line definition itself.

mod common;

use common::{Runs, text};

#[test]
fn completions_for_each_shell_name_every_subcommand() {
    let runs = Runs::new();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef rollback"),
        ("fish", "complete -c rollback"),
    ] {
        let out = runs.run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(script.contains(marker), "{shell}: {script}");
        for sub in ["drill", "resume", "verify", "validate", "completions"] {
            assert!(script.contains(sub), "{shell} misses {sub}");
        }
    }
    let bash = runs.run(&["completions", "bash"]).stdout;
    let path = runs.path().join("rollback.bash");
    std::fs::write(&path, bash).unwrap();
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .output()
        .unwrap();
    assert!(check.status.success(), "bash -n: {}", text(&check));
    let out = runs.run(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2), "an unknown shell is bad input");
}

#[test]
fn the_manual_page_documents_the_commands_and_flags() {
    let out = Runs::new().run(&["man"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(
        page.starts_with(".ie") || page.contains(".TH rollback"),
        "{page}"
    );
    for word in ["resume", "drill", "\\-\\-color"] {
        assert!(page.contains(word), "{word} missing");
    }
}
