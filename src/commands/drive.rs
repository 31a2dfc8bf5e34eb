//! A started run driven without a screen, then its validation windows when asked.

use super::args::HeadlessArgs;
use crate::engine::Mode;
use crate::exit::Exit;

/// Drives a started run without a screen. It exits when the rollback ends, with the
/// rollback's code: a pipeline is never held for the windows' day unless `--validate` asks.
pub async fn drive_headless(
    session: crate::session::Session,
    rx: tokio::sync::mpsc::UnboundedReceiver<crate::runner::RunnerMsg>,
    h: &HeadlessArgs,
) -> Exit {
    let (who, speed, mode) = (
        session.operator().to_string(),
        session.state().info.as_ref().map_or(1.0, |i| i.speed()),
        session.mode(),
    );
    let dir = session.run().path.clone();
    let vars: Vec<(String, String)> = session
        .vars()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let exit = crate::headless::drive(session, rx, h.clone().into()).await;
    if exit != Exit::Ok {
        return exit;
    }
    // The session is gone, so the run is sealed: its windows follow the seal.
    let skip = if h.no_validate {
        Some("skipped with --no-validate")
    } else if mode == Mode::Drill && !h.validate {
        Some(crate::session::validate_windows::DRILL_SKIP)
    } else {
        None
    };
    if skip.is_none() && !h.validate {
        super::validate_windows::tell_later(&dir);
        return exit;
    }
    let o = super::validate_windows::Options {
        operator: &who,
        speed,
        skip,
        vars,
    };
    super::validate_windows::after_run(&dir, o).await
}
