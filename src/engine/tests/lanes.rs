//! Regions as lanes: the parallel limit, each region's own clock, what a region's failure
//! does to the others (stop_all, continue, ask), and a replay that gives the same state.

use super::*;

/// Three regions, a lane phase between two plain ones; `{policy}` is `on_region_failure`.
fn plan(policy: &str) -> String {
    format!(
        "plan: r\ntitle: Regional\nlevel: 4\noperation: infrastructure\nautomation: full\nsla: 10m\n\
        regions: [eu, us, ap]\nparallel: 2\non_region_failure: {policy}\nphases:\n  \
        - id: capture\n    steps:\n      - {{id: save, run: 'true'}}\n  \
        - id: execute\n    for_each: region\n    steps:\n      - {{id: apply, run: 'true'}}\n      \
        - {{id: check, check: 'true'}}\n  \
        - id: verify\n    steps:\n      - {{id: ready, check: 'true'}}\n"
    )
}

const APPLY_EU: usize = 1;
const CHECK_EU: usize = 2;
const APPLY_US: usize = 3;
const APPLY_AP: usize = 5;
const READY: usize = 7;

impl Harness {
    /// Answers every spawn the decision asks for with `Spawned`, and those of the decisions
    /// that follow; returns the steps started.
    fn spawn_all(&mut self, d: &Decision) -> Vec<usize> {
        let mut started = Vec::new();
        let mut todo = spawns(d);
        while let Some((step, attempt)) = todo.pop() {
            started.push(step);
            let d = self.feed(Input::Spawned {
                step,
                attempt,
                pid: Some(100 + step as u32),
                pgid: Some(100 + step as i32),
                log: format!("output/{step}.{attempt}.log"),
            });
            todo.extend(spawns(&d));
        }
        started
    }

    /// Ends the running attempt of `step`, then starts whatever that lets start.
    fn end(&mut self, step: usize, outcome: StepOutcome) -> Vec<usize> {
        let attempt = self.state.steps[step].attempts_used();
        let d = self.feed(Input::Exited {
            step,
            attempt,
            report: report(outcome),
        });
        self.spawn_all(&d)
    }

    fn running(&self) -> Vec<usize> {
        self.state.running_steps().collect()
    }

    /// A fold of everything recorded, from the plan alone, gives the state back.
    fn assert_replays(&self) {
        let mut replay = RunState::new(&self.plan, None);
        for (seq, e) in self.log.iter().enumerate() {
            replay.apply(&Stamped {
                seq: seq as u64,
                mode: Mode::Drill,
                ts_ms: T0,
                operator: "alice".into(),
                event: e.clone(),
            });
        }
        assert_eq!(replay.waiting(), self.state.waiting());
        let keys = |s: &RunState| -> Vec<(String, Status)> {
            s.steps.iter().map(|x| (x.key.clone(), x.status)).collect()
        };
        assert_eq!(keys(&replay), keys(&self.state));
    }
}

use crate::engine::state::Status;

fn started(policy: &str) -> Harness {
    let mut h = Harness::with_plan(&plan(policy), None, &[]);
    let d = h.start(None);
    assert_eq!(h.spawn_all(&d), vec![0]);
    h
}

#[test]
fn each_region_gets_its_own_instance_of_the_phase() {
    let h = Harness::with_plan(&plan("stop_all"), None, &[]);
    let keys: Vec<&str> = h.state.steps.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "capture.save",
            "execute.apply@eu",
            "execute.check@eu",
            "execute.apply@us",
            "execute.check@us",
            "execute.apply@ap",
            "execute.check@ap",
            "verify.ready",
        ]
    );
    assert_eq!(h.state.steps[APPLY_US].region.as_deref(), Some("us"));
    // Chosen regions narrow the lanes.
    let h = Harness::with_plan(&plan("stop_all"), None, &["ap"]);
    assert_eq!(h.state.steps[1].key, "execute.apply@ap");
    assert_eq!(h.state.steps.len(), 4);
}

#[test]
fn no_more_regions_run_at_once_than_parallel_allows() {
    let mut h = started("stop_all");
    assert_eq!(h.end(0, StepOutcome::Ok), vec![APPLY_EU, APPLY_US]);
    assert_eq!(
        h.running(),
        vec![APPLY_EU, APPLY_US],
        "ap waits: parallel 2"
    );
    assert_eq!(h.end(APPLY_US, StepOutcome::Ok), vec![CHECK_EU + 2]);
    assert_eq!(h.running().len(), 2);
    let mut max = 0;
    let mut guard = 0;
    while let Some(&step) = h.running().first() {
        h.end(step, StepOutcome::Ok);
        max = max.max(h.running().len());
        guard += 1;
        assert!(guard < 20, "the run never ends");
    }
    assert_eq!(max, 2);
    assert!(h.state.steps.iter().all(|s| s.attempts_used() == 1));
    assert_eq!(h.state.waiting(), Waiting::Finished(Outcome::Completed));
    h.assert_replays();
}

#[test]
fn the_next_phase_waits_for_every_region() {
    let mut h = started("stop_all");
    h.end(0, StepOutcome::Ok);
    for step in [APPLY_EU, CHECK_EU, APPLY_US, 4, APPLY_AP] {
        assert!(!h.running().contains(&READY));
        h.end(step, StepOutcome::Ok);
    }
    assert_eq!(h.running(), vec![6]);
    assert_eq!(h.end(6, StepOutcome::Ok), vec![READY]);
}

#[test]
fn stop_all_lets_running_regions_finish_their_step_and_starts_nothing_new() {
    let mut h = started("stop_all");
    h.end(0, StepOutcome::Ok);
    assert_eq!(h.end(APPLY_EU, StepOutcome::Failed), Vec::<usize>::new());
    assert!(h.log.iter().any(|e| matches!(e,
        Event::RegionFailed { region, policy: crate::plan::RegionFailure::StopAll, .. } if region == "eu")));
    assert_eq!(h.state.waiting(), Waiting::Running(APPLY_US));
    assert_eq!(h.end(APPLY_US, StepOutcome::Ok), Vec::<usize>::new());
    assert_eq!(h.state.waiting(), Waiting::Failure(APPLY_EU));
    // The operator's retry lifts the stop.
    let d = h.feed(Input::Retry { by: "bob".into() });
    assert_eq!(
        h.spawn_all(&d),
        vec![APPLY_EU, 4],
        "eu first, then room for one"
    );
    h.assert_replays();
}

#[test]
fn continue_lets_the_other_regions_finish_then_asks_about_the_failed_one() {
    let mut h = started("continue");
    h.end(0, StepOutcome::Ok);
    assert_eq!(h.end(APPLY_EU, StepOutcome::Failed), vec![APPLY_AP]);
    for step in [APPLY_US, APPLY_AP, 4, 6] {
        h.end(step, StepOutcome::Ok);
    }
    assert_eq!(h.running(), Vec::<usize>::new());
    assert_eq!(h.state.waiting(), Waiting::Failure(APPLY_EU));
    let d = h.feed(Input::Skip {
        by: "bob".into(),
        reason: "eu is drained".into(),
    });
    assert_eq!(h.spawn_all(&d), vec![CHECK_EU]);
    h.assert_replays();
}

#[test]
fn ask_waits_for_the_operator_to_choose_then_does_as_chosen() {
    let mut h = started("ask");
    h.end(0, StepOutcome::Ok);
    assert_eq!(h.end(APPLY_EU, StepOutcome::Failed), Vec::<usize>::new());
    h.end(APPLY_US, StepOutcome::Ok);
    assert_eq!(h.state.waiting(), Waiting::RegionFailure(APPLY_EU));
    let d = h.feed(Input::ChooseRegionPolicy {
        by: "bob".into(),
        choice: crate::plan::RegionFailure::Ask,
    });
    assert!(d.refused.is_some());
    let d = h.feed(Input::ChooseRegionPolicy {
        by: "bob".into(),
        choice: crate::plan::RegionFailure::Continue,
    });
    assert_eq!(kinds(&d.events)[0], "region_policy_chosen");
    assert_eq!(h.spawn_all(&d), vec![4, APPLY_AP]);
    h.assert_replays();

    // Stop all instead: the failure goes straight to retry, skip or abort.
    let mut h = started("ask");
    h.end(0, StepOutcome::Ok);
    h.end(APPLY_EU, StepOutcome::Failed);
    h.end(APPLY_US, StepOutcome::Ok);
    let d = h.feed(Input::ChooseRegionPolicy {
        by: "bob".into(),
        choice: crate::plan::RegionFailure::StopAll,
    });
    assert!(spawns(&d).is_empty());
    assert_eq!(h.state.waiting(), Waiting::Failure(APPLY_EU));
}

#[test]
fn each_region_keeps_its_own_clock_escalation_and_sla() {
    let mut h = started("stop_all");
    h.end(0, StepOutcome::Ok);
    // us finishes quickly; eu's apply hangs past the first rung and the region's SLA.
    h.at(60, 0);
    h.end(APPLY_US, StepOutcome::Ok);
    h.end(4, StepOutcome::Ok);
    let finished: Vec<_> = h
        .log
        .iter()
        .filter_map(|e| match e {
            Event::RegionFinished {
                region,
                duration_ms,
                met,
                sla_ms,
            } => Some((region.clone(), *duration_ms, *met, *sla_ms)),
            _ => None,
        })
        .collect();
    assert_eq!(finished, [("us".to_string(), 60_000, true, 600_000)]);
    // ap started when us made room, a minute in: its clock starts there.
    assert_eq!(h.state.regions[2].started_ms, Some(T0 + 60_000));
    h.at(5 * 60, 0).feed(Input::Tick);
    let esc: Vec<_> = h
        .log
        .iter()
        .filter_map(|e| match e {
            Event::RegionEscalated { region, level, .. } => Some((region.as_str(), *level)),
            _ => None,
        })
        .collect();
    assert_eq!(
        esc,
        [("eu", 2)],
        "ap has been on its clock for 4 minutes only"
    );
    h.at(10 * 60, 0).feed(Input::Tick);
    assert!(h.state.regions[0].sla_breached);
    assert!(!h.state.regions[2].sla_breached);
    h.at(10 * 60 + 30, 0);
    h.end(APPLY_EU, StepOutcome::Ok);
    h.end(CHECK_EU, StepOutcome::Ok);
    assert_eq!(h.state.regions[0].finished, Some((630_000, false)));
    assert_eq!(h.state.regions_met(), Some(false), "eu missed its own SLA");
    h.assert_replays();
}

#[test]
fn no_region_crosses_the_point_of_no_return_before_it_is_confirmed() {
    let text = plan("stop_all").replace(
        "    for_each: region\n",
        "    for_each: region\n    point_of_no_return: true\n",
    );
    let mut h = Harness::with_plan(&text, None, &[]);
    let d = h.start(None);
    h.spawn_all(&d);
    assert_eq!(h.end(0, StepOutcome::Ok), Vec::<usize>::new());
    assert_eq!(h.state.waiting(), Waiting::PointOfNoReturn(APPLY_EU));
    let d = h.feed(Input::ConfirmPointOfNoReturn { by: "bob".into() });
    assert_eq!(h.spawn_all(&d), vec![APPLY_EU, APPLY_US]);
}

#[test]
fn resume_marks_each_running_region_interrupted_and_lets_the_others_go_on() {
    let mut h = started("stop_all");
    h.end(0, StepOutcome::Ok);
    h.end(APPLY_EU, StepOutcome::Ok);
    assert_eq!(h.running(), vec![CHECK_EU, APPLY_US]);
    // The tool died here; what was recorded replays, then the run resumes.
    let mut replay = RunState::new(&h.plan, None);
    for (seq, e) in h.log.iter().enumerate() {
        replay.apply(&Stamped {
            seq: seq as u64,
            mode: Mode::Drill,
            ts_ms: T0,
            operator: "alice".into(),
            event: e.clone(),
        });
    }
    h.state = replay;
    let d = h.feed(Input::Resume {
        host: "h".into(),
        pid: 2,
        forced: false,
        plan_sha256: "00".into(),
        unrecorded: vec![],
        orphans: vec![],
    });
    let interrupted: Vec<&str> = d
        .events
        .iter()
        .filter_map(|e| match e {
            Event::StepInterrupted { step, .. } => Some(step.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(interrupted, ["execute.check@eu", "execute.apply@us"]);
    // ap, not yet begun, starts; the interrupted ones wait for the operator.
    assert_eq!(h.spawn_all(&d), vec![APPLY_AP]);
    h.end(APPLY_AP, StepOutcome::Ok);
    h.end(6, StepOutcome::Ok);
    assert_eq!(h.state.waiting(), Waiting::Interrupted(CHECK_EU));
    let d = h.feed(Input::Retry { by: "bob".into() });
    assert_eq!(h.spawn_all(&d), vec![CHECK_EU]);
    assert_eq!(
        h.state.steps[APPLY_EU].attempts_used(),
        1,
        "eu's apply is not run again"
    );
}

#[test]
fn each_region_s_escalation_and_breach_reach_the_notify_hook_with_its_region() {
    let text = plan("stop_all").replace("sla: 10m\n", "sla: 10m\nnotify: ./page.sh\n");
    let mut h = Harness::with_plan(&text, None, &[]);
    let d = h.start(None);
    h.spawn_all(&d);
    h.end(0, StepOutcome::Ok);
    // us finishes at once (ap takes its place); eu's and ap's apply hang.
    h.end(APPLY_US, StepOutcome::Ok);
    h.end(4, StepOutcome::Ok);
    let mut sent: Vec<(&str, String, u64)> = Vec::new();
    for minute in [6, 11, 16] {
        let d = h.at(minute * 60, 0).feed(Input::Tick);
        for e in &d.effects {
            if let Effect::Notify { on, payload, .. } = e
                && on.starts_with("region_")
            {
                let region = payload["region"].as_str().unwrap_or_default().to_string();
                sent.push((*on, region, payload["level"].as_u64().unwrap()));
            }
        }
    }
    let eu: Vec<(&str, u64)> = sent
        .iter()
        .filter(|(_, r, _)| r == "eu")
        .map(|(on, _, l)| (*on, *l))
        .collect();
    assert_eq!(
        eu,
        [
            ("region_escalated", 2),
            ("region_sla_breached", 2),
            ("region_escalated", 3)
        ],
        "{sent:?}"
    );
    assert!(sent.iter().any(|(_, r, _)| r == "ap"), "{sent:?}");
    assert!(
        sent.iter().all(|(_, r, _)| r != "us"),
        "us finished before its first rung"
    );
}
