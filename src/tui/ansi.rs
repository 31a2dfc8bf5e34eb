//! Step output is untrusted. Colours (SGR) become styles; every other escape sequence
//! (clear screen, cursor moves, title or clipboard writes such as OSC 52) and every control
//! character is shown inert, as visible symbols, never handed to the terminal; bidi
//! overrides are shown escaped as in plan text ([`crate::text`]). Carriage returns were
//! already applied by the output ring (`OutputTail`).

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use super::theme::Theme;
use crate::text;

/// The visible stand-in for a control character: ␛ for ESC, ␀ for NUL, and so on.
fn picture(c: char) -> char {
    match c as u32 {
        0x00..=0x1f => char::from_u32(0x2400 + c as u32).unwrap_or('?'),
        0x7f => '␡',
        _ => '�',
    }
}

/// One line of output as styled text.
pub fn line(text: &str, theme: Theme) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut style = Style::new();
    let mut buf = String::new();
    let flush = |buf: &mut String, spans: &mut Vec<Span<'static>>, style: Style| {
        if !buf.is_empty() {
            spans.push(Span::styled(std::mem::take(buf), style));
        }
    };
    let mut chars = text.chars().peekable();
    let mut col = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' if chars.peek() == Some(&'[') => {
                chars.next();
                let mut params = String::new();
                let mut fin = None;
                for p in chars.by_ref() {
                    if ('\u{40}'..='\u{7e}').contains(&p) {
                        fin = Some(p);
                        break;
                    }
                    params.push(p);
                }
                if fin == Some('m') && params.chars().all(|p| p.is_ascii_digit() || p == ';') {
                    flush(&mut buf, &mut spans, style);
                    style = sgr(style, &params, theme);
                } else {
                    flush(&mut buf, &mut spans, style);
                    let shown = format!("␛[{params}{}", fin.map(String::from).unwrap_or_default());
                    col += shown.chars().count();
                    spans.push(Span::styled(shown, theme.dim()));
                }
            }
            '\t' => {
                let n = 8 - col % 8;
                buf.push_str(&" ".repeat(n));
                col += n;
            }
            c if c.is_control() => {
                buf.push(picture(c));
                col += 1;
            }
            c if text::is_unsafe(c) => {
                let before = buf.len();
                text::escape_char(c, &mut buf);
                col += buf.len() - before;
            }
            c => {
                buf.push(c);
                col += 1;
            }
        }
    }
    flush(&mut buf, &mut spans, style);
    Line::from(spans)
}

/// Applies an SGR parameter list; without colour, only the modifiers are kept.
fn sgr(mut style: Style, params: &str, theme: Theme) -> Style {
    let nums: Vec<u16> = params.split(';').map(|p| p.parse().unwrap_or(0)).collect();
    let mut i = 0;
    while i < nums.len() {
        let n = nums[i];
        match n {
            0 => style = Style::new(),
            1 => style = style.add_modifier(Modifier::BOLD),
            2 => style = style.add_modifier(Modifier::DIM),
            3 => style = style.add_modifier(Modifier::ITALIC),
            4 => style = style.add_modifier(Modifier::UNDERLINED),
            7 => style = style.add_modifier(Modifier::REVERSED),
            22 => style = style.remove_modifier(Modifier::BOLD | Modifier::DIM),
            23 => style = style.remove_modifier(Modifier::ITALIC),
            24 => style = style.remove_modifier(Modifier::UNDERLINED),
            27 => style = style.remove_modifier(Modifier::REVERSED),
            30..=37 | 90..=97 if theme.color => style = style.fg(basic(n % 10, n >= 90)),
            40..=47 | 100..=107 if theme.color => style = style.bg(basic(n % 10, n >= 100)),
            39 if theme.color => style = style.fg(Color::Reset),
            49 if theme.color => style = style.bg(Color::Reset),
            38 | 48 => {
                let color = match nums.get(i + 1) {
                    Some(5) => {
                        i += 2;
                        nums.get(i).map(|&v| Color::Indexed(v as u8))
                    }
                    Some(2) => {
                        i += 4;
                        match (nums.get(i - 2), nums.get(i - 1), nums.get(i)) {
                            (Some(&r), Some(&g), Some(&b)) => {
                                Some(Color::Rgb(r as u8, g as u8, b as u8))
                            }
                            _ => None,
                        }
                    }
                    _ => None,
                };
                if let (Some(c), true) = (color, theme.color) {
                    style = if n == 38 { style.fg(c) } else { style.bg(c) };
                }
            }
            _ => {}
        }
        i += 1;
    }
    style
}

fn basic(n: u16, bright: bool) -> Color {
    match (n, bright) {
        (0, false) => Color::Black,
        (1, false) => Color::Red,
        (2, false) => Color::Green,
        (3, false) => Color::Yellow,
        (4, false) => Color::Blue,
        (5, false) => Color::Magenta,
        (6, false) => Color::Cyan,
        (7, false) => Color::Gray,
        (0, true) => Color::DarkGray,
        (1, true) => Color::LightRed,
        (2, true) => Color::LightGreen,
        (3, true) => Color::LightYellow,
        (4, true) => Color::LightBlue,
        (5, true) => Color::LightMagenta,
        (6, true) => Color::LightCyan,
        _ => Color::White,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(l: &Line) -> String {
        l.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn escapes_are_inert_and_colours_become_styles() {
        let t = Theme { color: true };
        let l = line("\u{1b}[2J\u{1b}[Hcleared\u{1b}]52;c;ZXZpbA==\u{7}", t);
        let shown = text(&l);
        assert!(
            !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
            "{shown:?}"
        );
        assert!(
            shown.contains("␛[2J") && shown.contains("␛]52;c;ZXZpbA==␇"),
            "{shown:?}"
        );

        let l = line("\u{1b}[1;31merror\u{1b}[0m ok", t);
        assert_eq!(text(&l), "error ok");
        assert_eq!(l.spans[0].style.fg, Some(Color::Red));
        assert!(l.spans[0].style.add_modifier.contains(Modifier::BOLD));
        assert_eq!(l.spans[1].style, Style::new());

        let plain = line("\u{1b}[31merror", Theme { color: false });
        assert_eq!(plain.spans[0].style.fg, None, "no colour under NO_COLOR");
    }

    #[test]
    fn tabs_render_like_a_terminal_and_controls_stay_visible() {
        let t = Theme { color: false };
        assert_eq!(text(&line("a\tb", t)), "a       b");
        assert_eq!(text(&line("nul\0bell\u{7}cr\r", t)), "nul␀bell␇cr␍");
        assert_eq!(text(&line("abc\u{202e}def", t)), "abc\\u{202e}def");
    }
}
