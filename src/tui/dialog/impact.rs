//! An impact figure for the report, typed as `NAME=VALUE` on the summary.

use crossterm::event::KeyEvent;
use ratatui::text::{Line, Text};
use ratatui_textarea::TextArea;

use super::{Dialog, Modal, is_enter, keys, text_of};
use crate::tui::app::App;
use crate::tui::theme::Theme;

pub(super) fn view<'a>(t: Theme, field: &'a TextArea<'static>) -> Dialog<'a> {
    Dialog {
        title: "Impact of the incident (for the report)".into(),
        title_style: t.title(),
        body: Text::from(vec![
            Line::raw("One figure as NAME=VALUE, recorded with your name and the time:"),
            Line::raw(
                "users_affected, data_loss, downtime (e.g. 12m), revenue_impact, customer_complaints, affected_requests, failed_requests",
            ),
        ]),
        input: Some((field, 1)),
        keys: keys(t, &[("enter", "record"), ("esc", "back")]),
        width: 72,
    }
}

pub(super) fn key(app: &mut App, key: KeyEvent) {
    let by = app.session.operator().to_string();
    let Some(Modal::Impact(field)) = app.modal.as_mut() else {
        return;
    };
    if !is_enter(key) {
        field.input(key);
        return;
    }
    let text = text_of(field);
    let now = chrono::Utc::now().timestamp_millis();
    let dir = app.session.run().path.clone();
    match crate::timeline::reports::enter_impact(&dir, &text, &by, now) {
        Ok(kept) => {
            app.flash = Some(format!("recorded {kept}; the report is updated"));
            app.modal = Some(Modal::Finished);
        }
        Err(why) => app.flash = Some(crate::text::inline(&why).into_owned()),
    }
}
