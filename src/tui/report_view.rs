//! A run's report on the screen (the dashboard's Enter): its Markdown, scrolled.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Paragraph, Widget};

use super::theme::Theme;

/// A report, scrolled.
pub struct ReportView<'a> {
    pub text: &'a str,
    pub scroll: u16,
    /// The `?` help is open.
    pub help: bool,
    pub theme: Theme,
}

impl Widget for ReportView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let [body, footer] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(area);
        // Wrapped: a long line goes on below rather than being cut without a sign.
        Paragraph::new(self.text)
            .wrap(ratatui::widgets::Wrap { trim: false })
            .scroll((self.scroll, 0))
            .style(Style::default())
            .render(body, buf);
        let hint = "↑↓ PgUp PgDn scroll  q back  ? help";
        buf.set_string(footer.x + 1, footer.y, hint, self.theme.dim());
        if self.help {
            super::help::Help {
                title: "Report: keys",
                keys: &super::dashboard::REPORT_KEYS,
                theme: self.theme,
            }
            .render(area, buf);
        }
    }
}

/// The report's Markdown of the run in `dir`: its copy if written, else rendered now.
pub fn report_text(dir: &std::path::Path, now_ms: i64) -> String {
    if let Ok(text) = crate::timeline::files::read_text(
        &dir.join(crate::timeline::reports::MARKDOWN),
        crate::timeline::files::MAX_WHOLE,
    ) {
        return text;
    }
    match crate::timeline::reports::render_with_history(dir, now_ms) {
        Ok(r) => crate::report::markdown_text(&r),
        Err(e) => format!("the report cannot be rendered: {e}"),
    }
}
