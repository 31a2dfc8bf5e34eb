//! The terminal UI: a start screen, then the run screen. One loop selects over terminal
//! events, the runner's reports and a timer for the clock; it draws only when something
//! changed or the displayed second did. The terminal is restored on every way out, panics
//! included (ratatui's hook), and nothing that happened on screen is lost: it was recorded
//! before it was drawn.

pub mod ansi;
pub mod app;
pub mod board;
mod compact;
pub mod dashboard;
pub mod dashboard_read;
pub mod dialog;
pub mod fired;
mod fit;
pub mod follow;
pub mod header;
pub mod help;
pub mod hints;
pub mod input;
pub mod keymap;
pub mod lanes;
pub mod modal;
pub mod output;
pub mod recent;
pub mod report_view;
pub mod start;
mod start_view;
pub mod steps;
pub mod theme;
pub mod validation;
pub mod view;
pub mod watch;
pub mod watch_view;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::Event;
use ratatui::DefaultTerminal;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::engine::{Clock, Mode, Outcome};
use crate::exit::Exit;
use crate::plan::Loaded;
use crate::runner::RunnerMsg;
use crate::session::{self, ResumeOptions, Session, StartOptions};
use app::App;
use input::{Input, Keys};
use start::{StartAnswer, StartForm};
use theme::Theme;

/// The terminal for a screen, watched for going away (see `input`).
pub(crate) fn open_terminal() -> DefaultTerminal {
    input::watch_terminal();
    // Draw with our own styles only. Under NO_COLOR crossterm would otherwise drop all
    // styling (reverse video included), and the selection would vanish.
    crossterm::style::force_color_output(true);
    ratatui::init()
}

/// `rollback run|rehearse|drill PLAN` with a screen. A drill shows its validation windows
/// only when `validate` asks (`--validate`), on its drill clock.
pub fn run_new(
    loaded: Loaded,
    given: crate::plan::vars::Given,
    opts: StartOptions,
    clock: Arc<dyn Clock>,
    validate: bool,
) -> color_eyre::Result<Exit> {
    let theme = Theme::from_env();
    let rt = crate::runner::runtime()?;
    let mut terminal = open_terminal();
    let outcome = rt.block_on(async {
        let mut form = StartForm::new(
            &loaded.plan,
            &given,
            opts.mode,
            opts.scenario.clone(),
            &opts.operator,
            theme,
        );
        let (vars, operator) = match start_screen(&mut terminal, &mut form).await? {
            StartAnswer::Leave => return Ok(None),
            StartAnswer::Start { vars, operator } => (vars, operator),
        };
        let values = StartForm::values(&loaded.plan, &vars);
        let given: Vec<(String, String)> = values
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let who = operator.clone();
        let opts = StartOptions {
            vars: values,
            operator,
            ..opts
        };
        let (session, rx) = session::start(&loaded, opts, clock).map_err(std::io::Error::other)?;
        let mut app = App::new(session, theme);
        app.windows_after = app.session.plan().post_rollback.windows.is_some()
            && (app.session.mode() != Mode::Drill || validate);
        let summary = run_screen(&mut terminal, app, rx).await?;
        // The run is sealed now; a completed one goes on with its validation windows (a
        // drill's only when asked: they are recorded as not run otherwise).
        if summary.outcome == Some(Outcome::Completed)
            && summary.fatal.is_none()
            && session::validate_windows::pending(&summary.dir)
        {
            if summary.mode == Mode::Drill && !validate {
                let line = validation::skip_drill(&summary.dir, &who, summary.speed, &given);
                return Ok(Some(Summary {
                    validation: Some((Exit::Ok, line)),
                    ..summary
                }));
            }
            let (exit, line) = validation::screen(
                &mut terminal,
                &summary.dir,
                &who,
                summary.speed,
                &given,
                theme,
            )
            .await;
            return Ok(Some(Summary {
                validation: Some((exit, line)),
                ..summary
            }));
        }
        Ok(Some(summary))
    });
    ratatui::restore();
    finish(outcome)
}

/// `rollback resume RUN` with a screen.
pub fn run_resume(
    dir: PathBuf,
    mut opts: ResumeOptions,
    clock: Arc<dyn Clock>,
) -> color_eyre::Result<Exit> {
    let theme = Theme::from_env();
    let rt = crate::runner::runtime()?;
    let mut terminal: Option<DefaultTerminal> = None;
    let mut asked = false;
    let opened = loop {
        match rt.block_on(async { session::resume(&dir, opts.clone(), clock.clone()) }) {
            // Secrets are never recorded: ask for them here rather than fail.
            Err(session::ResumeError::MissingSecrets(names)) if !asked => {
                asked = true;
                let term = terminal.get_or_insert_with(open_terminal);
                match rt.block_on(ask_secrets(term, &dir, &names, &opts.operator, theme)) {
                    Ok(Some((vars, operator))) => {
                        opts.vars.extend(vars);
                        opts.operator = operator;
                    }
                    Ok(None) => {
                        ratatui::restore();
                        eprintln!("rollback resume: nothing was resumed");
                        return Ok(Exit::Ok);
                    }
                    Err(e) => {
                        ratatui::restore();
                        return Err(e.into());
                    }
                }
            }
            other => break other,
        }
    };
    let (session, rx) = match opened {
        Ok(o) => o,
        Err(e) => {
            if terminal.is_some() {
                ratatui::restore();
            }
            eprintln!("rollback resume: {e}");
            return Ok(match e {
                session::ResumeError::Other(_) => Exit::Internal,
                _ => Exit::BadInput,
            });
        }
    };
    let mut terminal = terminal.unwrap_or_else(open_terminal);
    let outcome = rt.block_on(run_screen(&mut terminal, App::new(session, theme), rx));
    ratatui::restore();
    finish(outcome.map(Some))
}

/// The secrets a resumed run needs again, typed on a form like the start screen's, with
/// the operator's name; `None` when the operator leaves instead.
async fn ask_secrets(
    terminal: &mut DefaultTerminal,
    dir: &std::path::Path,
    names: &[String],
    operator: &str,
    theme: Theme,
) -> std::io::Result<Option<(Vec<(String, String)>, String)>> {
    let plan_path = dir.join(crate::timeline::rundir::PLAN_COPY);
    let loaded = crate::plan::load::load_file(&plan_path)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let (mode, run_id) = session::recorded_start(dir);
    let mut form = StartForm::secrets(&loaded.plan, names, mode, &run_id, operator, theme);
    Ok(match start_screen(terminal, &mut form).await? {
        StartAnswer::Leave => None,
        StartAnswer::Start { vars, operator } => Some((vars.pairs(), operator)),
    })
}

/// What the operator is told once the screen is gone, and the exit code.
fn finish(outcome: std::io::Result<Option<Summary>>) -> color_eyre::Result<Exit> {
    match outcome? {
        None => {
            eprintln!("rollback: nothing was started");
            Ok(Exit::Ok)
        }
        Some(s) => {
            println!("run directory: {}", s.dir.display());
            if let Some(why) = &s.fatal {
                eprintln!("rollback: the run stopped: {why}");
                return Ok(Exit::Internal);
            }
            if let Some(lines) = &s.cut {
                for line in lines {
                    println!("{line}");
                }
                return Ok(Exit::Failed);
            }
            match s.outcome {
                Some(o) => {
                    println!("run {}: rollback report {}", o.word(), s.id);
                    if let Some((exit, line)) = s.validation {
                        println!("{line}");
                        return Ok(exit);
                    }
                    Ok(Exit::of(Some(o)))
                }
                None => {
                    println!("the run can be resumed: rollback resume {}", s.id);
                    Ok(Exit::of(None))
                }
            }
        }
    }
}

struct Summary {
    dir: PathBuf,
    id: String,
    outcome: Option<Outcome>,
    fatal: Option<String>,
    /// The validation screen's exit code and closing line, when it was shown.
    validation: Option<(Exit, String)>,
    mode: Mode,
    /// The run's clock factor: a drill's validation windows pass on it too.
    speed: f64,
    /// What to tell the trainee when a drill exercise cut the session.
    cut: Option<Vec<String>>,
}

async fn start_screen(
    terminal: &mut DefaultTerminal,
    form: &mut StartForm<'_>,
) -> std::io::Result<StartAnswer> {
    let mut keys = Keys::new();
    loop {
        if input::draw(terminal, |f| f.render_widget(&*form, f.area())).is_err() {
            return Ok(StartAnswer::Leave);
        }
        match keys.next().await {
            Input::Event(Event::Key(key)) => {
                if let Some(answer) = form.on_key(key) {
                    return Ok(answer);
                }
            }
            Input::Event(_) => {}
            // Nothing was started: nothing to record.
            Input::Gone => return Ok(StartAnswer::Leave),
        }
    }
}

/// How long a running step's spinner turns at full speed; after that it moves with the
/// one-second redraws of the clocks, so a long quiet step costs about one wake-up a second.
const SPIN_FOR_MS: i64 = 3000;

/// Milliseconds until the screen must next change by itself: the engine's next deadline,
/// the next second of the countdown, or the spinner's next frame in a step's first seconds.
/// Both clocks keep to the run's start, so a second's redraw is also a spinner frame.
pub fn wake_in_ms(s: &Session) -> u64 {
    let now = s.now_ms();
    let elapsed = now - s.state().started_ms;
    // A drill clock's second is shorter: the countdown moves on each of them.
    let second = ((1000.0 / s.state().speed()) as i64).max(50);
    let mut at = now + second - elapsed.rem_euclid(second);
    let spinning = s.state().running().is_some_and(|i| {
        s.state().steps[i]
            .last_attempt()
            .is_some_and(|a| now - a.started_ms < SPIN_FOR_MS)
    });
    if spinning {
        at = at.min(now + steps::SPIN_MS - elapsed.rem_euclid(steps::SPIN_MS));
    }
    if let Some(d) = s.next_deadline_ms() {
        at = at.min(d.max(now));
    }
    u64::try_from(at - now).unwrap_or(0)
}

fn next_wake(app: &App) -> tokio::time::Instant {
    let s = &app.session;
    let mut ms = wake_in_ms(s);
    // The dialog's keys appear when its guard ends.
    if let Some(end) = app.guard_ends_ms() {
        ms = ms.min(u64::try_from(end - s.now_ms()).unwrap_or(0));
    }
    tokio::time::Instant::now() + Duration::from_millis(ms)
}

/// The terminal hung up: record it, then let the running step end as the policy says,
/// with nothing drawn; nothing new starts.
async fn hang_up(app: &mut App, rx: &mut UnboundedReceiver<RunnerMsg>) {
    if app.session.hang_up().is_err() {
        return;
    }
    while app.session.busy() > 0 {
        match rx.recv().await {
            Some(m) => app.on_runner(m),
            None => break,
        }
    }
}

async fn run_screen(
    terminal: &mut DefaultTerminal,
    mut app: App,
    mut rx: UnboundedReceiver<RunnerMsg>,
) -> std::io::Result<Summary> {
    let mut keys = Keys::new();
    let mut dirty = true;
    loop {
        if dirty && input::draw(terminal, |f| view::render(&mut app, f)).is_err() {
            break hang_up(&mut app, &mut rx).await;
        }
        dirty = false;
        if app.done() || app.session.cut().is_some() {
            break;
        }
        let wake = next_wake(&app);
        tokio::select! {
            input = keys.next() => match input {
                Input::Event(Event::Key(key)) => {
                    app.on_key(key);
                    dirty = true;
                }
                Input::Event(Event::Resize(..)) => dirty = true,
                Input::Event(_) => {}
                // SIGHUP, EOF or EIO: the terminal is gone.
                Input::Gone => break hang_up(&mut app, &mut rx).await,
            },
            msg = rx.recv() => {
                if let Some(m) = msg {
                    let visible = match &m {
                        RunnerMsg::Output { step } => *step == app.selected,
                        RunnerMsg::Input(_) => true,
                    };
                    app.on_runner(m);
                    dirty |= visible;
                }
            }
            _ = tokio::time::sleep_until(wake) => {
                app.tick();
                dirty = true;
            }
        }
    }
    let s = &app.session;
    Ok(Summary {
        dir: s.run().path.clone(),
        id: s.run().id.clone(),
        outcome: s.state().end.as_ref().map(|e| e.outcome),
        fatal: s.fatal().map(str::to_string),
        validation: None,
        mode: s.mode(),
        speed: s.state().info.as_ref().map_or(1.0, |i| i.speed()),
        cut: s.cut().map(|c| c.lines()),
    })
}
