//! Exact nearest-rank percentiles (median and p95, as `records::figures::Spread` takes them)
//! of many groups at once, without sorting every value in the database: values are counted
//! per group and second first, the second that holds each wanted rank is found here, and
//! only the values of those seconds are asked for. Two scans, no sort of the whole table.

use std::collections::{BTreeMap, HashMap};

use tokio_postgres::Client;
use tokio_postgres::types::ToSql;

use super::config::Store;
use super::connect::StoreError;
use super::read::Column;
use crate::records::figures::Spread;

/// A group: its plan (`None`: every plan), its part (a phase, or `""` for the whole run),
/// and whether it counts drills (timed apart, on their clock).
pub type Group = (Option<String>, String, bool);

/// Each group's spread, and the order of its part in its plan (the lowest `ord` seen).
pub type Spreads = HashMap<Group, (Spread, i16)>;

const WANTED: [u64; 2] = [50, 95];

/// The spreads of `values`, a query of columns `plan, part, drill, v` (v in ms), whose
/// values per second `counted` gives as `plan, part, drill, second, n, ord`; both take
/// `params`. Per plan and over every plan.
pub async fn spreads(
    store: &Store,
    client: &Client,
    counted: &str,
    values: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Spreads, StoreError> {
    let counted = client
        .query(counted, params)
        .await
        .map_err(|e| store.error(&e))?;
    // Per group: seconds in order, with how many values fall in each; and the lowest ord.
    let mut hist: HashMap<Group, (BTreeMap<i64, u64>, i16)> = HashMap::new();
    for r in &counted {
        let (plan, part, drill): (String, String, bool) = (r.at(0), r.at(1), r.at(2));
        let (second, n, ord): (i64, i64, i16) = (r.at(3), r.at(4), r.at(5));
        let n = n.max(0) as u64;
        for key in [
            (Some(plan.clone()), part.clone(), drill),
            (None, part, drill),
        ] {
            let e = hist.entry(key).or_insert_with(|| (BTreeMap::new(), ord));
            *e.0.entry(second).or_default() += n;
            e.1 = e.1.min(ord);
        }
    }
    // The second each wanted rank falls in, and the rank within it (1-based).
    let mut targets: HashMap<(Group, u64), (i64, u64)> = HashMap::new();
    let mut totals: HashMap<Group, (u64, i16)> = HashMap::new();
    for (group, (seconds, ord)) in &hist {
        let total: u64 = seconds.values().sum();
        totals.insert(group.clone(), (total, *ord));
        for pct in WANTED {
            let rank = (total * pct).div_ceil(100).max(1);
            let mut before = 0;
            for (second, n) in seconds {
                if before + n >= rank {
                    targets.insert((group.clone(), pct), (*second, rank - before));
                    break;
                }
                before += n;
            }
        }
    }
    // Only the values in those seconds: a plan's in its own, every plan's in the overall
    // groups' (read as a stream; only the values asked for are kept).
    type Key = (Option<String>, String, bool, i64);
    let mut found: HashMap<Key, Vec<i64>> = HashMap::new();
    for (((plan, part, drill), _), (second, _)) in &targets {
        found.insert((plan.clone(), part.clone(), *drill, *second), Vec::new());
    }
    let keys: Vec<Key> = found.keys().cloned().collect();
    let (mine, every): (Vec<Key>, Vec<Key>) = keys.into_iter().partition(|k| k.0.is_some());
    // A plan's seconds, then every plan's: each through the index on seconds.
    for (of_plan, keys) in [(true, mine), (false, every)] {
        if keys.is_empty() {
            continue;
        }
        let plans: Vec<&str> = keys.iter().map(|k| k.0.as_deref().unwrap_or("")).collect();
        let parts: Vec<&str> = keys.iter().map(|k| k.1.as_str()).collect();
        let drills: Vec<bool> = keys.iter().map(|k| k.2).collect();
        let seconds: Vec<i64> = keys.iter().map(|k| k.3).collect();
        let n = params.len();
        let mut all: Vec<&(dyn ToSql + Sync)> = params.to_vec();
        all.extend([&plans as &(dyn ToSql + Sync), &parts, &drills, &seconds]);
        let sql = format!(
            "SELECT s.plan, s.part, s.drill, s.v FROM ({values}) s
             JOIN unnest(${}::text[], ${}::text[], ${}::bool[], ${}::int8[])
               AS t(plan, part, drill, second)
               ON s.part = t.part AND s.drill = t.drill AND s.v / 1000 = t.second
              AND ({} OR s.plan = t.plan)",
            n + 1,
            n + 2,
            n + 3,
            n + 4,
            if of_plan { "false" } else { "true" }
        );
        let rows = client
            .query_raw(&sql, all.iter().copied())
            .await
            .map_err(|e| store.error(&e))?;
        futures_util::pin_mut!(rows);
        use futures_util::TryStreamExt;
        while let Some(r) = rows.try_next().await.map_err(|e| store.error(&e))? {
            let (plan, part, drill, v): (String, String, bool, i64) =
                (r.at(0), r.at(1), r.at(2), r.at(3));
            let key = (of_plan.then_some(plan), part, drill, v / 1000);
            if let Some(vs) = found.get_mut(&key) {
                vs.push(v);
            }
        }
    }
    for v in found.values_mut() {
        v.sort_unstable();
    }
    let pick = |group: &Group, pct: u64| -> u64 {
        let Some((second, rank)) = targets.get(&(group.clone(), pct)) else {
            return 0;
        };
        let key = (group.0.clone(), group.1.clone(), group.2, *second);
        found
            .get(&key)
            .and_then(|v| v.get(*rank as usize - 1))
            .map_or(0, |v| (*v).max(0) as u64)
    };
    Ok(totals
        .iter()
        .map(|(group, (total, ord))| {
            let spread = Spread {
                runs: u32::try_from(*total).unwrap_or(u32::MAX),
                median_ms: pick(group, 50),
                p95_ms: pick(group, 95),
            };
            (group.clone(), (spread, *ord))
        })
        .collect())
}
