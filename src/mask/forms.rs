//! The forms a secret value may take in text: as it is, URL-encoded the ways libraries
//! write it, and line by line for a multi-line value.

/// Shortest secret value that is masked: a shorter one (`k`, `42`) would mask ordinary text
/// everywhere, ids and names included, and protects nothing.
pub const MIN_SECRET: usize = 4;

/// Shortest piece of a multi-line secret masked on its own: shorter lines (`}`, `--`) would
/// mask ordinary text everywhere.
const MIN_LINE_PART: usize = 4;

/// The forms of secret values that are masked: each value as it is, its URL-encoded forms
/// (RFC 3986 as curl and most libraries write it, `encodeURIComponent`'s, form encoding with
/// `+`, each with upper- and lower-case hex) and, for a multi-line value, each of its lines,
/// since output is often read line by line. Longest first, so a longer form is masked whole.
pub fn secret_forms<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    const COMPONENT: &AsciiSet = &RFC3986
        .remove(b'!')
        .remove(b'*')
        .remove(b'\'')
        .remove(b'(')
        .remove(b')');
    let mut forms: Vec<String> = Vec::new();
    for value in values
        .into_iter()
        .filter(|v| v.chars().count() >= MIN_SECRET)
    {
        forms.push(value.to_string());
        for set in [RFC3986, COMPONENT] {
            let upper = utf8_percent_encode(value, set).to_string();
            let form = upper.replace("%20", "+");
            for f in [lower_hex(&upper), form.clone(), lower_hex(&form), upper] {
                forms.push(f);
            }
        }
        if value.contains('\n') {
            let parts = value
                .lines()
                .map(str::trim)
                .filter(|l| l.len() >= MIN_LINE_PART);
            forms.extend(parts.map(str::to_string));
        }
    }
    forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    forms.dedup();
    forms
}

/// `%2f` for `%2F`: both spellings are valid and both are seen.
fn lower_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut left = 0;
    for c in encoded.chars() {
        if c == '%' {
            left = 2;
            out.push(c);
        } else if left > 0 {
            left -= 1;
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_forms_cover_url_encoding_and_lines() {
        let forms = secret_forms(["p@ss w/rd", "-----BEGIN KEY-----\nAAAAbbbbCCCC\n}\n"]);
        for form in [
            "p@ss w/rd",
            "p%40ss%20w%2Frd",
            "p%40ss%20w%2frd",
            "p%40ss+w%2Frd",
            "AAAAbbbbCCCC",
            "-----BEGIN KEY-----",
        ] {
            assert!(
                forms.contains(&form.to_string()),
                "{form} missing from {forms:?}"
            );
        }
        assert!(
            !forms.contains(&"}".to_string()),
            "short lines are not masked"
        );
        assert!(
            forms.windows(2).all(|w| w[0].len() >= w[1].len()),
            "longest first"
        );
        let text = "curl -d token=p%40ss%20w%2Frd and p@ss w/rd";
        assert_eq!(
            super::super::Mask::new(forms).text(text),
            "curl -d token=*** and ***"
        );
    }

    #[test]
    fn values_too_short_to_be_secret_are_not_masked() {
        assert!(secret_forms(["k", "abc"]).is_empty());
        assert_eq!(secret_forms(["abcd"]), vec!["abcd".to_string()]);
    }
}
