//! `rollback dashboard [RUNS_DIR]`: the team's figures, plans and runs on one screen,
//! live runs with their phase and SLA clock (see `tui::dashboard`). Reads only.

use super::args::DashboardArgs;
use crate::exit::Exit;
use crate::timeline::rundir::runs_root;
use crate::tui::dashboard::screen;
use crate::tui::dashboard_read::Reader;
use crate::tui::theme::Theme;

pub fn run(args: &DashboardArgs) -> color_eyre::Result<Exit> {
    let store = match super::store_at::for_reading(&args.from) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("rollback dashboard: {e}");
            return Ok(Exit::BadInput);
        }
    };
    if let Some(store) = store {
        let rt = crate::runner::runtime()?;
        let theme = Theme::from_env();
        let label = std::path::PathBuf::from(store.shown());
        let mut terminal = crate::tui::open_terminal();
        let reader = Reader::start_store(store);
        let result = rt.block_on(screen(&mut terminal, &label, reader, theme));
        ratatui::restore();
        return Ok(result?);
    }
    let root = runs_root(args.dir.as_deref().or(args.runs.runs_dir.as_deref()));
    let rt = crate::runner::runtime()?;
    let theme = Theme::from_env();
    let mut terminal = crate::tui::open_terminal();
    // Read on a thread of its own from the start: q works before the first scan is done.
    let reader = Reader::start(root.clone(), super::records::scan);
    let result = rt.block_on(screen(&mut terminal, &root, reader, theme));
    ratatui::restore();
    Ok(result?)
}
