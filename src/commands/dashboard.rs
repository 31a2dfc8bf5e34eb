//! `rollback dashboard [RUNS_DIR]`: the team's figures, plans and runs on one screen,
//! live runs with their phase and SLA clock (see `tui::dashboard`). Reads only.

use super::args::DashboardArgs;
use crate::exit::Exit;
use crate::timeline::rundir::runs_root;
use crate::tui::dashboard::{Dashboard, screen};
use crate::tui::theme::Theme;

pub fn run(args: &DashboardArgs) -> color_eyre::Result<Exit> {
    let root = runs_root(args.dir.as_deref().or(args.runs.runs_dir.as_deref()));
    let load = || {
        let now = chrono::Utc::now().timestamp_millis();
        Dashboard::load(root.clone(), super::records::scan(&root, now), now)
    };
    let rt = crate::runner::runtime()?;
    let theme = Theme::from_env();
    crossterm::style::force_color_output(true);
    let mut terminal = ratatui::init();
    let result = rt.block_on(async { screen(&mut terminal, load(), load, theme).await });
    ratatui::restore();
    Ok(result?)
}
