//! A condition's worst case, estimated before it ever runs (as cel-go estimates costs): the
//! work and memory its evaluation could take on the largest result a probe may give (the
//! bounds of `cel_value`). A condition over the budget is refused, so every sample's time
//! and memory are bounded before the watch starts.
//!
//! The unit is the byte: copying or scanning text costs its length, touching a value costs
//! `VALUE`. Inside a macro's body an estimate is linear in the size of the element in
//! hand (`k + v × size`): the elements of a list together weigh no more than the list, so
//! a body summed over all of them costs `k × count + v × weight of the list`.

use std::ops::Add;

use cel::common::ast::{ComprehensionExpr, EntryExpr, Expr, LiteralValue, operators as op};
use cel::parser::Expression;

use super::limits::{Place, Refusal};
use super::value::{MAX_RESULT_BYTES, MAX_RESULT_NODES};

/// What one value weighs, besides the text it holds.
pub const VALUE: f64 = 32.0;
/// The most a condition may take on the largest result.
pub const BUDGET: f64 = 64.0 * 1024.0 * 1024.0;

/// The largest result: what it weighs.
pub fn result_weight() -> f64 {
    MAX_RESULT_NODES as f64 * VALUE + MAX_RESULT_BYTES as f64
}

/// `k + v × size of the element in hand`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Lin {
    k: f64,
    v: f64,
}

impl Lin {
    fn k(k: f64) -> Lin {
        Lin { k, v: 0.0 }
    }
    fn max(self, o: Lin) -> Lin {
        Lin {
            k: self.k.max(o.k),
            v: self.v.max(o.v),
        }
    }
    fn times(self, f: f64) -> Lin {
        Lin {
            k: self.k * f,
            v: self.v * f,
        }
    }
    /// Summed over a loop of `n` elements weighing `total` together.
    fn over(self, n: f64, total: f64) -> f64 {
        self.k * n + self.v * total
    }
    /// The smaller bound of two that both bound a minimum, judged over the largest loop.
    fn smaller(self, o: Lin) -> Lin {
        let whole = |l: Lin| l.over(MAX_RESULT_NODES as f64, result_weight());
        if whole(self) <= whole(o) { self } else { o }
    }
}

impl Add for Lin {
    type Output = Lin;
    fn add(self, o: Lin) -> Lin {
        Lin {
            k: self.k + o.k,
            v: self.v + o.v,
        }
    }
}

/// A part's estimate: its cost, the weight of its value and how many elements that holds.
#[derive(Debug, Clone, Copy)]
struct Est {
    cost: Lin,
    size: Lin,
    items: Lin,
}

impl Est {
    fn scalar() -> Est {
        let one = Lin::k(VALUE);
        Est {
            cost: one,
            size: one,
            items: one,
        }
    }
}

/// Names bound while estimating: a macro's element(s) and its accumulator.
#[derive(Clone, Copy, Default)]
struct Scope<'a> {
    element: [Option<&'a str>; 2],
    accu: Option<(&'a str, Est)>,
}

/// A condition's estimate, and the patterns its `matches` calls use (with where).
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub cost: f64,
    pub patterns: Vec<(String, u64)>,
}

pub fn estimate(root: &Expression) -> Result<Estimate, Refusal> {
    let mut e = Estimator::default();
    let cost = e.est(root, Scope::default(), false)?.cost.k;
    e.patterns.sort();
    e.patterns.dedup_by(|a, b| a.0 == b.0);
    Ok(Estimate {
        cost,
        patterns: e.patterns,
    })
}

/// Walks a tree (no deeper than `condition_limits` lets it be), gathering patterns.
#[derive(Default)]
struct Estimator {
    patterns: Vec<(String, u64)>,
}

impl Estimator {
    /// The estimate of `node`; outside a macro's body, refused over the budget (the first
    /// part over it is the smallest, its children being within).
    fn est(&mut self, node: &Expression, scope: Scope, body: bool) -> Result<Est, Refusal> {
        let e = self.part(node, scope, body)?;
        if !body && e.cost.k > BUDGET {
            return Err(Refusal {
                at: Place::Node(node.id),
                message: format!(
                    "on the largest result a probe may give ({MAX_RESULT_NODES} values, {} KiB of text) it could copy or scan about {} MiB, and a condition may take at most {} MiB: do less per element, or work on a part of the result",
                    MAX_RESULT_BYTES / 1024,
                    mib(e.cost.k),
                    mib(BUDGET)
                ),
            });
        }
        Ok(e)
    }

    fn part(&mut self, node: &Expression, scope: Scope, body: bool) -> Result<Est, Refusal> {
        let one = Lin::k(VALUE);
        Ok(match &node.expr {
            Expr::Literal(LiteralValue::String(s)) => text(s.inner().len()),
            Expr::Literal(LiteralValue::Bytes(b)) => text(b.inner().len()),
            Expr::Literal(_) | Expr::Unspecified => Est::scalar(),
            Expr::Ident(name) => ident(name, scope),
            Expr::Select(s) => {
                let operand = self.est(&s.operand, scope, body)?;
                let value = if s.test { Est::scalar() } else { operand };
                Est {
                    cost: operand.cost + one,
                    ..value
                }
            }
            Expr::List(l) => self.collection(l.elements.iter(), scope, body)?,
            Expr::Map(m) => self.collection(entries(&m.entries), scope, body)?,
            Expr::Struct(s) => self.collection(entries(&s.entries), scope, body)?,
            Expr::Call(c) => {
                let nodes: Vec<&Expression> =
                    c.target.iter().map(|t| &**t).chain(&c.args).collect();
                let mut args = Vec::with_capacity(nodes.len());
                for n in &nodes {
                    args.push(self.est(n, scope, body)?);
                }
                let pattern = match (c.func_name.as_str(), nodes.get(1)) {
                    ("matches", Some(p)) => Some(self.pattern(p)?),
                    _ => None,
                };
                call(&c.func_name, &args, pattern)
            }
            Expr::Comprehension(c) => self.comprehension(c, scope, body)?,
        })
    }

    /// A macro: its range once, its body once per element, its result once.
    fn comprehension(
        &mut self,
        c: &ComprehensionExpr,
        scope: Scope,
        body: bool,
    ) -> Result<Est, Refusal> {
        let range = self.est(&c.iter_range, scope, body)?;
        let init = self.est(&c.accu_init, scope, body)?;
        let whole = result_weight();
        let n = range.items.k + range.items.v * whole;
        let total = range.size.k + range.size.v * whole;
        let appended = appended(&c.loop_step, &c.accu_var);
        // An appending step fills the list in place: the accumulator costs nothing to reach.
        let accu = match appended {
            Some(_) => Est {
                size: Lin::default(),
                ..init
            },
            None => init,
        };
        let inner = Scope {
            element: [Some(c.iter_var.as_str()), c.iter_var2.as_deref()],
            accu: Some((c.accu_var.as_str(), accu)),
        };
        let cond = self.est(&c.loop_cond, inner, true)?;
        let step = self.est(&c.loop_step, inner, true)?;
        // Binding each element copies it.
        let each = cond.cost + step.cost + Lin { k: VALUE, v: 1.0 };
        let (size, items) = match appended {
            Some(list) => {
                let item = self.est(list, inner, true)?.size;
                (Lin::k(init.size.k + item.over(n, total)), Lin::k(n))
            }
            None => {
                let size = Lin::k(init.size.k.max(step.size.over(1.0, total)));
                (size, size)
            }
        };
        let accu = Est {
            cost: Lin::k(VALUE),
            size,
            items,
        };
        let done = Scope {
            element: scope.element,
            accu: Some((c.accu_var.as_str(), accu)),
        };
        let result = self.est(&c.result, done, body)?;
        Ok(Est {
            cost: range.cost + init.cost + Lin::k(each.over(n, total)) + result.cost,
            ..result
        })
    }

    /// A list or map written out: each part is copied in.
    fn collection<'a>(
        &mut self,
        parts: impl Iterator<Item = &'a Expression>,
        scope: Scope,
        body: bool,
    ) -> Result<Est, Refusal> {
        let (mut cost, mut size, mut count) = (Lin::k(VALUE), Lin::k(VALUE), 0.0);
        for p in parts {
            let e = self.est(p, scope, body)?;
            cost = cost + e.cost + e.size;
            size = size + e.size;
            count += 1.0;
        }
        Ok(Est {
            cost,
            size,
            items: Lin::k(count),
        })
    }

    /// The pattern of a `matches` call: written in the condition, so it is compiled once.
    fn pattern(&mut self, node: &Expression) -> Result<usize, Refusal> {
        match &node.expr {
            Expr::Literal(LiteralValue::String(s)) => {
                self.patterns.push((s.inner().to_string(), node.id));
                Ok(s.inner().len())
            }
            _ => Err(Refusal {
                at: Place::Node(node.id),
                message:
                    "the pattern of `matches` must be a quoted string written in the condition"
                        .into(),
            }),
        }
    }
}

fn mib(bytes: f64) -> String {
    format!("{:.0}", (bytes / (1024.0 * 1024.0)).min(1e12).ceil())
}

fn text(len: usize) -> Est {
    let size = Lin::k(len as f64 + VALUE);
    Est {
        cost: Lin::k(VALUE),
        size,
        items: size,
    }
}

fn ident(name: &str, scope: Scope) -> Est {
    if scope.element.contains(&Some(name)) {
        let element = Lin { k: 0.0, v: 1.0 };
        return Est {
            cost: Lin::k(VALUE),
            size: element,
            items: element,
        };
    }
    match scope.accu {
        Some((accu, e)) if accu == name => Est {
            cost: Lin::k(VALUE),
            ..e
        },
        _ if name == "result" => Est {
            cost: Lin::k(VALUE),
            size: Lin::k(result_weight()),
            items: Lin::k(MAX_RESULT_NODES as f64),
        },
        _ => Est::scalar(),
    }
}

fn entries(entries: &[cel::common::ast::IdedEntryExpr]) -> impl Iterator<Item = &Expression> {
    entries.iter().flat_map(|e| match &e.expr {
        EntryExpr::MapEntry(m) => vec![&m.key, &m.value],
        EntryExpr::StructField(f) => vec![&f.value],
    })
}

/// The list a `map` or `filter` step appends to its accumulator (`@result + [x]`, maybe
/// under a `?:`).
fn appended<'a>(step: &'a Expression, accu: &str) -> Option<&'a Expression> {
    let Expr::Call(call) = &step.expr else {
        return None;
    };
    match call.args.as_slice() {
        [_, then, _] if call.func_name == op::CONDITIONAL => appended(then, accu),
        [
            left,
            list @ Expression {
                expr: Expr::List(_),
                ..
            },
        ] if call.func_name == op::ADD
            && call.target.is_none()
            && matches!(&left.expr, Expr::Ident(n) if n == accu) =>
        {
            Some(list)
        }
        _ => None,
    }
}

/// A function or operator over estimated arguments (a method's target first).
fn call(name: &str, args: &[Est], pattern: Option<usize>) -> Est {
    let one = Lin::k(VALUE);
    let mut cost = one;
    let (mut size, mut items) = (Lin::default(), Lin::default());
    for a in args {
        cost = cost + a.cost;
        size = size + a.size;
        items = items + a.items;
    }
    let scalar = |cost| Est {
        cost,
        size: one,
        items: one,
    };
    let arg = |i: usize| args.get(i).copied().unwrap_or_else(Est::scalar);
    match name {
        op::LOGICAL_AND | op::LOGICAL_OR | op::LOGICAL_NOT | op::NOT_STRICTLY_FALSE => scalar(cost),
        op::CONDITIONAL => Est {
            cost,
            size: arg(1).size.max(arg(2).size),
            items: arg(1).items.max(arg(2).items),
        },
        // A lookup: the key is hashed or compared, the value is reached, not copied.
        op::INDEX | op::OPT_INDEX | op::OPT_SELECT => Est {
            cost: cost + arg(1).size,
            ..arg(0)
        },
        op::EQUALS
        | op::NOT_EQUALS
        | op::LESS
        | op::LESS_EQUALS
        | op::GREATER
        | op::GREATER_EQUALS => scalar(cost + arg(0).size.smaller(arg(1).size)),
        op::IN => scalar(cost + arg(1).size),
        // Linear-time regex search, scaled by the pattern as cel-go does.
        "matches" => scalar(
            cost + arg(0)
                .size
                .times((pattern.unwrap_or(0) as f64 / 4.0).max(1.0)),
        ),
        "size"
        | "contains"
        | "startsWith"
        | "endsWith"
        | "int"
        | "uint"
        | "double"
        | "bool"
        | "type"
        | op::NEGATE
        | op::SUBSTRACT
        | op::MULTIPLY
        | op::DIVIDE
        | op::MODULO => scalar(cost + size),
        // `+` and whatever else may build a value out of its arguments.
        _ => Est {
            cost: cost + size,
            size: size + one,
            items,
        },
    }
}
