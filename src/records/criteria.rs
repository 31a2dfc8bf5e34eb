//! The standard's success criteria, judged over a set of finished runs: rollbacks within
//! SLA >= 95%, success >= 95%, automated >= 80% (automated steps over all steps run, as
//! each report counts them), zero failed rollbacks (runs that ended `failed`). A criterion
//! with nothing to measure is neither met nor unmet: "no data".

use serde::Serialize;

use crate::report::metrics::pct_text;

/// One criterion and where the runs stand.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Criterion {
    pub id: &'static str,
    /// As the standard words it.
    pub target: &'static str,
    /// The measured value, percent or count.
    pub value: Option<f64>,
    /// `value` with what it was measured over.
    pub detail: String,
    /// `None`: no data.
    pub met: Option<bool>,
}

impl Criterion {
    pub fn word(&self) -> &'static str {
        match self.met {
            Some(true) => "met",
            Some(false) => "unmet",
            None => "no data",
        }
    }
}

/// The counts the criteria are judged on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub runs: u32,
    pub completed: u32,
    pub failed: u32,
    /// Runs with an SLA verdict, and those inside it.
    pub sla_measured: u32,
    pub sla_met: u32,
    pub steps_selected: u32,
    pub steps_automated: u32,
}

/// `part` of `whole` in percent, one decimal, rounded down: a figure shown at a threshold
/// has reached it.
pub fn pct(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| (f64::from(part) * 1000.0 / f64::from(whole)).floor() / 10.0)
}

fn share(
    id: &'static str,
    target: &'static str,
    min: f64,
    (part, whole): (u32, u32),
    of: &str,
) -> Criterion {
    let value = pct(part, whole);
    Criterion {
        id,
        target,
        value,
        detail: match value {
            Some(v) => format!("{} ({part} of {whole} {of})", pct_text(v)),
            None => format!("no {of}"),
        },
        // Judged on the exact ratio, not the rounded one.
        met: (whole > 0).then(|| f64::from(part) * 100.0 >= min * f64::from(whole)),
    }
}

pub fn judge(c: &Counts) -> Vec<Criterion> {
    vec![
        share(
            "sla",
            "rollbacks within SLA >= 95%",
            95.0,
            (c.sla_met, c.sla_measured),
            "runs",
        ),
        share(
            "success",
            "success rate >= 95%",
            95.0,
            (c.completed, c.runs),
            "runs",
        ),
        share(
            "automated",
            "automated >= 80%",
            80.0,
            (c.steps_automated, c.steps_selected),
            "steps",
        ),
        Criterion {
            id: "zero_failed",
            target: "zero failed rollbacks",
            value: Some(f64::from(c.failed)),
            detail: format!("{} failed of {} runs", c.failed, c.runs),
            met: (c.runs > 0).then_some(c.failed == 0),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn met(c: &Counts) -> Vec<(&'static str, Option<bool>)> {
        judge(c).into_iter().map(|c| (c.id, c.met)).collect()
    }

    const ALL_GOOD: Counts = Counts {
        runs: 20,
        completed: 19,
        failed: 0,
        sla_measured: 20,
        sla_met: 19,
        steps_selected: 10,
        steps_automated: 8,
    };

    #[test]
    fn each_criterion_is_met_exactly_at_its_threshold() {
        assert!(met(&ALL_GOOD).iter().all(|(_, m)| *m == Some(true)));
    }

    #[test]
    fn each_criterion_is_unmet_just_below_its_threshold() {
        let cases: [(&str, Counts); 4] = [
            (
                "sla",
                Counts {
                    sla_met: 18,
                    ..ALL_GOOD
                },
            ),
            (
                "success",
                Counts {
                    completed: 18,
                    ..ALL_GOOD
                },
            ),
            (
                "automated",
                Counts {
                    steps_automated: 7,
                    ..ALL_GOOD
                },
            ),
            (
                "zero_failed",
                Counts {
                    failed: 1,
                    ..ALL_GOOD
                },
            ),
        ];
        for (id, counts) in cases {
            for (c, m) in met(&counts) {
                assert_eq!(m, Some(c != id), "{id}: {c}");
            }
        }
    }

    #[test]
    fn nothing_measured_is_no_data_not_a_failure() {
        let none = judge(&Counts::default());
        assert!(
            none.iter()
                .all(|c| c.met.is_none() && c.word() == "no data")
        );
        assert_eq!(none[0].detail, "no runs");
    }

    #[test]
    fn a_near_miss_is_not_rounded_up_to_the_threshold() {
        // 99.99...% of the way to 95% is below it, and is not shown as 95% either.
        let c = Counts {
            sla_met: 9_499,
            sla_measured: 10_000,
            ..ALL_GOOD
        };
        assert_eq!(judge(&c)[0].met, Some(false));
        assert_eq!(judge(&c)[0].detail, "94.9% (9499 of 10000 runs)");
    }
}
