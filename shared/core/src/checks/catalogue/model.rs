//! Model adherence checks.

#[allow(unused_imports)]
use super::prelude::*;

const CHURN: &[ParamDef] = &[ParamDef {
    name: "max_trades_30d",
    meaning: "executions in the last 30 days above which more trading is flagged",
    default: dec(20, 0),
    min: dec(1, 0),
    max: dec(1_000, 0),
}];

pub(super) fn checks() -> Vec<CheckDef> {
    vec![
        CheckDef {
            id: "MODEL.TRADE_AGAINST_DRIFT",
            family: Family::ModelAdherence,
            severity: Severity::Warn,
            why: "Buying what is already above target, or selling what is below it, moves the account away from its model.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| {
                let sec = i.security?;
                let target = i.context.target(sec)?;
                if i.context.market_value_f <= 0.0 {
                    return None;
                }
                // A score, not money: the weight in floating point is enough.
                let weight = to_f64(i.context.held(sec)) * i.reference.price_f64(sec) / i.context.market_value_f;
                let against = match i.trade.side {
                    Side::Buy => weight > target,
                    Side::Sell => weight < target,
                };
                let pct = |w: f64| format!("{:.2}%", w * 100.0);
                against.then(|| {
                    Failure::new(format!(
                        "{} {} while it is at {} against a target of {}",
                        i.trade.side.as_str(),
                        i.trade.security,
                        pct(weight),
                        pct(target)
                    ))
                    .with("weight", pct(weight))
                    .with("target", pct(target))
                })
            },
        },
        CheckDef {
            id: "MODEL.CHURN",
            family: Family::ModelAdherence,
            severity: Severity::Warn,
            why: "Frequent trading in an advisory account raises cost and suitability (churning) questions.",
            params: CHURN,
            scope: Scope::ANY,
            run: |i, p| {
                let start = i.reference.trade_date.checked_sub_days(Days::new(30))?;
                let n = i.account.recent_trades.iter().filter(|t| t.trade_date >= start).count();
                (Decimal::from(n) > p[0]).then(|| {
                    Failure::new(format!("account {} already traded {n} times in the last 30 days (limit {})", i.account.id, p[0]))
                        .with("trades_30d", n)
                })
            },
        },
        CheckDef {
            id: "MODEL.BUY_OFF_MODEL",
            family: Family::ModelAdherence,
            severity: Severity::Warn,
            why: "Buying a security that is neither in the model nor an approved substitute drifts the account away from it.",
            params: &[],
            scope: Scope::BUY,
            run: |i, _| {
                let sec = i.security?;
                if i.trade.side != Side::Buy || i.context.targets.is_empty() || i.context.target(sec).is_some() {
                    return None;
                }
                let substitute = i.context.targets.iter().any(|&(m, _)| i.reference.substitutes(m).contains(&sec));
                (!substitute).then(|| {
                    Failure::new(format!(
                        "{} is not in model {} nor a substitute for one of its holdings",
                        i.trade.security, i.account.model
                    ))
                    .with("model", &i.account.model)
                })
            },
        },
    ]
}
