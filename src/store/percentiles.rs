//! Exact nearest-rank percentiles of many groups at once, without sorting every value in the
//! database: values are counted per group and second first (the store keeps most of these
//! counts), the second that holds each wanted rank is found here, and then each rank is read
//! from an index ordered by the value, starting at its second: one short index range per
//! rank, however many values a second holds.

use std::collections::{BTreeMap, HashMap};

use tokio_postgres::Client;
use tokio_postgres::types::ToSql;

use super::config::Store;
use super::connect::StoreError;
use super::read::Column;

/// A group: its key (`None`: every key, when asked for), its part, and a flag.
pub type Group = (Option<String>, String, bool);

/// The first value of second `t.second` in a `value` query (seconds are `v / 1000`, which
/// rounds toward zero, so second 0 also holds -999..-1).
pub const SECOND_FROM: &str =
    "(CASE WHEN t.second > 0 THEN t.second * 1000 ELSE t.second * 1000 - 999 END)";

/// What to rank.
pub struct Ask<'a> {
    /// Rows `key, part, flag, second, n, ord`: how many values of each group fell in each
    /// second (`ord`: the part's order, kept as the lowest seen).
    pub counted: &'a str,
    /// A query of one value: the `t.rank`-th (1-based) of group `t.key, t.part, t.flag` from
    /// `SECOND_FROM` on, in order. Given whether the key is one group's (`false`: every key).
    pub value: &'a dyn Fn(bool) -> String,
    /// The percentiles wanted.
    pub wanted: &'a [u64],
    /// Also rank each part over every key.
    pub overall: bool,
}

/// A group's count, its values at the wanted percentiles (in `Ask::wanted` order), and its
/// part's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranked {
    pub total: u64,
    pub at: Vec<u64>,
    pub ord: i16,
}

/// Each group's ranks; both queries take `params`.
pub async fn ranks(
    store: &Store,
    client: &Client,
    ask: &Ask<'_>,
    params: &[&(dyn ToSql + Sync)],
) -> Result<HashMap<Group, Ranked>, StoreError> {
    let counted = client
        .query(ask.counted, params)
        .await
        .map_err(|e| store.error(&e))?;
    // Per group: seconds in order, with how many values fall in each; and the lowest ord.
    let mut hist: HashMap<Group, (BTreeMap<i64, u64>, i16)> = HashMap::new();
    for r in &counted {
        let (key, part, flag): (String, String, bool) = (r.at(0), r.at(1), r.at(2));
        let (second, n, ord): (i64, i64, i16) = (r.at(3), r.at(4), r.at(5));
        let n = n.max(0) as u64;
        let mut keys = vec![(Some(key), part.clone(), flag)];
        if ask.overall {
            keys.push((None, part, flag));
        }
        for group in keys {
            let e = hist.entry(group).or_insert_with(|| (BTreeMap::new(), ord));
            let c = e.0.entry(second).or_default();
            *c = c.saturating_add(n);
            e.1 = e.1.min(ord);
        }
    }
    // Each wanted rank: the second it falls in and its rank there (1-based).
    let mut targets: Vec<(Group, usize, i64, u64)> = Vec::new();
    let mut out: HashMap<Group, Ranked> = HashMap::new();
    for (group, (seconds, ord)) in hist {
        let total = seconds.values().fold(0u64, |a, n| a.saturating_add(*n));
        if total == 0 {
            continue;
        }
        for (i, pct) in ask.wanted.iter().enumerate() {
            let rank = total.saturating_mul(*pct).div_ceil(100).max(1);
            let mut before: u64 = 0;
            for (second, n) in &seconds {
                if before.saturating_add(*n) >= rank {
                    targets.push((group.clone(), i, *second, rank - before));
                    break;
                }
                before = before.saturating_add(*n);
            }
        }
        let at = vec![0; ask.wanted.len()];
        out.insert(group, Ranked { total, at, ord });
    }
    // One group's ranks, then every key's: each a short index range.
    for of_key in [true, false] {
        let mine: Vec<&(Group, usize, i64, u64)> = targets
            .iter()
            .filter(|t| t.0.0.is_some() == of_key)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let keys: Vec<&str> = mine
            .iter()
            .map(|t| t.0.0.as_deref().unwrap_or(""))
            .collect();
        let parts: Vec<&str> = mine.iter().map(|t| t.0.1.as_str()).collect();
        let flags: Vec<bool> = mine.iter().map(|t| t.0.2).collect();
        let seconds: Vec<i64> = mine.iter().map(|t| t.2).collect();
        let ranks: Vec<i64> = mine
            .iter()
            .map(|t| i64::try_from(t.3).unwrap_or(i64::MAX))
            .collect();
        let n = params.len();
        let mut all: Vec<&(dyn ToSql + Sync)> = params.to_vec();
        all.extend([
            &keys as &(dyn ToSql + Sync),
            &parts,
            &flags,
            &seconds,
            &ranks,
        ]);
        let sql = format!(
            "SELECT t.i, ({}) FROM unnest(${}::text[], ${}::text[], ${}::bool[], ${}::int8[],
               ${}::int8[]) WITH ORDINALITY AS t(key, part, flag, second, rank, i)",
            (ask.value)(of_key),
            n + 1,
            n + 2,
            n + 3,
            n + 4,
            n + 5,
        );
        let rows = client
            .query(&sql, &all)
            .await
            .map_err(|e| store.error(&e))?;
        for r in &rows {
            let (i, v): (i64, Option<i64>) = (r.at(0), r.at(1));
            let Some((group, pct, _, _)) = usize::try_from(i - 1).ok().and_then(|i| mine.get(i))
            else {
                continue;
            };
            if let Some(ranked) = out.get_mut(group) {
                ranked.at[*pct] = v.unwrap_or(0).max(0) as u64;
            }
        }
    }
    Ok(out)
}
