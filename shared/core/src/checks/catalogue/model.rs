//! Model adherence checks.
//!
//! A model position is a "slot": the model security plus any held substitute that stands
//! in for it (as the rebalancer counts it). Weights are float scores of the account's
//! value; targets are scaled to the part of the account the model manages (value less
//! the cash reserve, and for sales less a pending withdrawal).

#[allow(unused_imports)]
use super::prelude::*;
use crate::account::OffModelPolicy;
use crate::book::SecIdx;
use crate::num::{from_f64, Round};
use crate::trade::TradeReason;

const CHURN: &[ParamDef] = &[ParamDef {
    name: "max_trades_30d",
    meaning: "executions in the last 30 days above which more trading is flagged",
    default: dec(20, 0),
    min: dec(1, 0),
    max: dec(1_000, 0),
}];

const TURNOVER: &[ParamDef] = &[ParamDef {
    name: "max_turnover",
    meaning: "largest batch turnover (the smaller of purchases and sales) as a fraction of the account",
    default: dec(50, 2),
    min: dec(1, 2),
    max: dec(2, 0),
}];

const ROUND_TRIP: &[ParamDef] = &[ParamDef {
    name: "within_days",
    meaning: "days after a trade within which the opposite trade in the same security is flagged",
    default: dec(30, 0),
    min: dec(1, 0),
    max: dec(365, 0),
}];

/// A cent, for float comparisons of dollar amounts.
const CENT_F: f64 = 0.01;

/// A weight (a float score) as a percentage for reasons.
fn wpct(w: f64) -> String {
    pct(from_f64(w, 4, Round::Nearest))
}

/// Tolerance band around a target weight: the wider of the absolute and relative bands.
fn band(i: &CheckInput<'_>, target: f64) -> f64 {
    i.context.band_absolute.max(i.context.band_relative * target)
}

/// The target as a weight of the whole account: the model manages the account's value
/// less the cash reserve, and less a pending withdrawal when cash is being raised for it.
/// Buys are held to the higher of the two targets and sales to the lower, so neither is
/// faulted for the withdrawal a batch may or may not be funding.
fn goal(i: &CheckInput<'_>, target: f64, side: Side) -> f64 {
    let mv = i.context.market_value_f;
    if mv <= 0.0 {
        return target;
    }
    let mut set_aside = to_f64(i.account.cash_reserve);
    if side == Side::Sell {
        set_aside += to_f64(i.account.withdrawal);
    }
    target * ((mv - set_aside) / mv).clamp(0.0, 1.0)
}

/// Substitutes of model security `sec` that the account holds or the batch buys, and that
/// are not model securities themselves: they stand in for it. (Most accounts hold few
/// off-model securities, so this starts there.)
fn stand_ins<'a>(i: &'a CheckInput<'_>, sec: SecIdx) -> impl Iterator<Item = SecIdx> + 'a {
    let subs = i.reference.substitutes(sec);
    i.context.off_model.iter().copied().filter(move |s| subs.contains(s))
}

/// Value of a position before and after the batch (zero when neither held nor bought).
fn values(i: &CheckInput<'_>, sec: SecIdx) -> (f64, f64) {
    let c = i.context;
    match c.after.binary_search_by_key(&sec, |a| a.0) {
        Ok(k) => (c.before.get(k).copied().unwrap_or(0.0), c.after[k].1),
        Err(_) => (0.0, 0.0),
    }
}

/// The traded security's model target with its value before and after the batch, from
/// one search (every traded security is in `after`).
fn model_position(i: &CheckInput<'_>) -> Option<(SecIdx, f64, (f64, f64))> {
    let (sec, c) = (i.security?, i.context);
    let k = c.after.binary_search_by_key(&sec, |a| a.0).ok()?;
    let target = (*c.after_targets.get(k)?)?;
    Some((sec, target, (c.before.get(k).copied().unwrap_or(0.0), c.after[k].1)))
}

/// Weight of a model slot (the security and its stand-ins) before and after the batch,
/// given the security's own values.
fn slot_with(i: &CheckInput<'_>, sec: SecIdx, own: (f64, f64)) -> (f64, f64) {
    let (mut before, mut after) = own;
    for s in stand_ins(i, sec) {
        let (b, a) = values(i, s);
        before += b;
        after += a;
    }
    let mv = i.context.market_value_f;
    (before / mv, after / mv)
}

/// Whether the rebalancer could buy the model security itself (so no substitute is needed).
fn buyable(i: &CheckInput<'_>, sec: SecIdx) -> bool {
    let s = i.reference.security(sec);
    let group = i.reference.wash_group(sec);
    let wash = i.account.account_type.is_taxable()
        && (i.context.wash.loss_sale(group).is_some() || i.context.loss_sale_groups.contains(&group));
    !s.restricted
        && !wash
        && i.reference.price(sec).is_some()
        && !i.reference.issuer_restricted(sec)
        && !i.account.restricted(&s.id, RestrictionKind::DoNotBuy)
        && !i.account.restricted(&s.id, RestrictionKind::DoNotHold)
}

/// Whether `sec` is a substitute for some model security that cannot be bought, i.e. it
/// fills that security's slot rather than duplicating a buyable one.
fn fills_blocked_slot(i: &CheckInput<'_>, sec: SecIdx) -> bool {
    i.context.targets.iter().any(|&(m, _)| i.reference.substitutes(m).contains(&sec) && !buyable(i, m))
}

/// The model's minimum trade as a float (zero without a valid model).
fn min_trade(i: &CheckInput<'_>) -> f64 {
    i.context.min_trade.map(to_f64).unwrap_or(0.0)
}

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
        CheckDef {
            id: "MODEL.INVALID_MODEL",
            family: Family::ModelAdherence,
            severity: Severity::Block,
            why: "Without a valid model the trade cannot be tied to the allocation the client agreed to; only sales that raise cash or remove a restricted holding may go ahead.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| {
                if i.context.model_cash.is_some()
                    || (i.trade.side == Side::Sell
                        && matches!(i.trade.reason, TradeReason::CashRaise | TradeReason::Restricted))
                {
                    return None;
                }
                let why = match i.reference.model(&i.account.model) {
                    Some(Ok(_)) => return None,
                    Some(Err(e)) => e.clone(),
                    None => format!("model {} does not exist", i.account.model),
                };
                Some(
                    Failure::new(format!(
                        "account {}'s model cannot be used ({why}): the {} of {} cannot be checked against it",
                        i.account.id,
                        i.trade.side.as_str(),
                        i.trade.security
                    ))
                    .with("model", &i.account.model),
                )
            },
        },
        CheckDef {
            id: "MODEL.BUY_ABOVE_BAND",
            family: Family::ModelAdherence,
            severity: Severity::Warn,
            why: "A buy that leaves a holding above its target plus the tolerance band creates the drift the next rebalance must undo.",
            params: &[],
            scope: Scope::BUY.known(),
            run: |i, _| {
                // A harvest replacement refills the slot its harvested stand-in leaves.
                if i.context.market_value_f <= 0.0 || i.trade.reason == TradeReason::HarvestReplacement {
                    return None;
                }
                let (sec, target, own) = model_position(i)?;
                let ((before, w), goal) = (slot_with(i, sec, own), goal(i, target, i.trade.side));
                let b = band(i, goal);
                (w > goal + b + 1e-9 && w > before).then(|| {
                    Failure::new(format!(
                        "{} would be {} of the account after this batch, above its {} target plus the {} band",
                        i.trade.security,
                        wpct(w),
                        wpct(goal),
                        wpct(b)
                    ))
                    .with("weight_after", wpct(w))
                    .with("target", wpct(goal))
                })
            },
        },
        CheckDef {
            id: "MODEL.SELL_BELOW_BAND",
            family: Family::ModelAdherence,
            severity: Severity::Warn,
            why: "A sale that leaves a model holding below its target minus the tolerance band under-invests the allocation the client chose.",
            params: &[],
            scope: Scope::SELL.known(),
            run: |i, _| {
                // A do-not-hold sale must go whatever the band; a harvest is replaced by a substitute.
                if matches!(i.trade.reason, TradeReason::Restricted | TradeReason::TaxLossHarvest)
                    || i.context.market_value_f <= 0.0
                {
                    return None;
                }
                let (sec, target, own) = model_position(i)?;
                let goal = goal(i, target, i.trade.side);
                let b = band(i, goal);
                // Screen: stand-ins only add to the slot, so the security alone at the floor passes.
                if own.1 / i.context.market_value_f >= goal - b {
                    return None;
                }
                let (before, w) = slot_with(i, sec, own);
                // A slot sold out entirely is MODEL.MODEL_HOLDING_CLOSED's finding.
                let closed = w * i.context.market_value_f < CENT_F;
                (w < goal - b - 1e-9 && w < before && !closed).then(|| {
                    Failure::new(format!(
                        "{} would be {} of the account after this batch, below its {} target minus the {} band",
                        i.trade.security,
                        wpct(w),
                        wpct(goal),
                        wpct(b)
                    ))
                    .with("weight_after", wpct(w))
                    .with("target", wpct(goal))
                })
            },
        },
        CheckDef {
            id: "MODEL.OVERSHOOT",
            family: Family::ModelAdherence,
            severity: Severity::Warn,
            why: "A rebalancing trade that crosses its target and ends further from it than it started over-corrects: it adds drift instead of removing it (by more than one share or the minimum trade, which rounding cannot avoid).",
            params: &[],
            scope: Scope::ANY.known(),
            run: |i, _| {
                let mv = i.context.market_value_f;
                // Rebalancing trades only: cash raises and harvests move away from targets on purpose.
                if mv <= 0.0 || !matches!(i.trade.reason, TradeReason::Drift | TradeReason::CashDeploy) {
                    return None;
                }
                let (sec, target, own) = model_position(i)?;
                let goal = goal(i, target, i.trade.side);
                let (before, after) = slot_with(i, sec, own);
                let (d0, d1) = (before - goal, after - goal);
                if d0 * d1 >= 0.0 {
                    return None;
                }
                let unavoidable = i.reference.price_f64(sec).max(min_trade(i));
                ((d1.abs() - d0.abs()) * mv > unavoidable).then(|| {
                    Failure::new(format!(
                        "the {} of {} takes it from {} to {}, past its {} target: it ends further from the target than it started",
                        i.trade.side.as_str(),
                        i.trade.security,
                        wpct(before),
                        wpct(after),
                        wpct(goal)
                    ))
                    .with("weight_before", wpct(before))
                    .with("weight_after", wpct(after))
                    .with("target", wpct(goal))
                })
            },
        },
        CheckDef {
            id: "MODEL.SELL_OFF_MODEL_UNDER_HOLD",
            family: Family::ModelAdherence,
            severity: Severity::Warn,
            why: "The account's off-model policy is hold: legacy or held-away positions are kept outside the model, so selling one needs the client's instruction.",
            params: &[],
            scope: Scope::SELL.known(),
            run: |i, _| {
                if i.account.off_model_policy != OffModelPolicy::Hold || i.trade.reason == TradeReason::Restricted {
                    return None;
                }
                let sec = i.security?;
                if !i.context.off_model.contains(&sec) {
                    return None;
                }
                if i.context.targets.iter().any(|&(m, _)| i.reference.substitutes(m).contains(&sec)) {
                    return None;
                }
                Some(
                    Failure::new(format!(
                        "{} is held outside model {} and the account's off-model policy is hold: selling it needs the client's instruction",
                        i.trade.security, i.account.model
                    ))
                    .with("policy", "hold"),
                )
            },
        },
        CheckDef {
            id: "MODEL.TURNOVER",
            family: Family::ModelAdherence,
            severity: Severity::Warn,
            why: "A batch that replaces a large part of the account in one go costs spreads and taxes and suggests a strategy change rather than a rebalance (FINRA Rule 2111 quantitative suitability). Reported once per batch, on its first trade in security order.",
            params: TURNOVER,
            scope: Scope::ANY.known(),
            run: |i, p| {
                if i.context.batch.first() != Some(&(i.security?, i.trade.side)) {
                    return None;
                }
                let mv = i.context.market_value;
                let traded = i.context.bought.min(i.context.sold);
                // Float screen: clearly under the limit needs no decimal arithmetic.
                if mv <= Decimal::ZERO || to_f64(traded) < i.context.market_value_f * to_f64(p[0]) * 0.99 {
                    return None;
                }
                // Capped so a near-empty account cannot overflow the percentage in the reason.
                let turnover = traded.checked_div(mv)?.min(dec(1_000_000, 0));
                (turnover > p[0]).then(|| {
                    Failure::new(format!(
                        "the batch buys {} and sells {}: a turnover of {} of the account's {} (limit {})",
                        i.context.bought.round_dp(2),
                        i.context.sold.round_dp(2),
                        pct(turnover),
                        mv.round_dp(2),
                        pct(p[0])
                    ))
                    .with("turnover", pct(turnover))
                })
            },
        },
        CheckDef {
            id: "MODEL.MODEL_HOLDING_CLOSED",
            family: Family::ModelAdherence,
            severity: Severity::Warn,
            why: "A sale that closes out a security the model holds (and no substitute stands in for it) drops a whole position of the allocation, whatever the band.",
            params: &[],
            scope: Scope::SELL.known(),
            run: |i, _| {
                if matches!(i.trade.reason, TradeReason::Restricted | TradeReason::TaxLossHarvest)
                    || i.context.market_value_f <= 0.0
                {
                    return None;
                }
                let (sec, target, own) = model_position(i)?;
                // Screen: the security itself still held means the slot is not closed.
                if own.1 >= CENT_F {
                    return None;
                }
                (slot_with(i, sec, own).1 * i.context.market_value_f < CENT_F).then(|| {
                    Failure::new(format!(
                        "the sale closes {} entirely although model {} holds it at {}",
                        i.trade.security,
                        i.account.model,
                        wpct(target)
                    ))
                    .with("target", wpct(target))
                })
            },
        },
        CheckDef {
            id: "MODEL.SUBSTITUTE_WHILE_PRIMARY_BUYABLE",
            family: Family::ModelAdherence,
            severity: Severity::Warn,
            why: "A substitute stands in for a model security only while that security cannot be bought (restricted, or inside a wash-sale window); otherwise the model's own choice is bought.",
            params: &[],
            scope: Scope::BUY.known(),
            run: |i, _| {
                let sec = i.security?;
                // Off-model securities (held or bought) are few: most buys leave here.
                if !i.context.off_model.contains(&sec) {
                    return None;
                }
                // A substitute of several model securities is fine if any of them is blocked.
                let mut primary = None;
                for &(m, _) in &i.context.targets {
                    if i.reference.substitutes(m).contains(&sec) {
                        if !buyable(i, m) {
                            return None;
                        }
                        primary.get_or_insert(m);
                    }
                }
                let name = &i.reference.security(primary?).id;
                Some(
                    Failure::new(format!(
                        "{} is bought as a substitute for {name} of model {}, but {name} itself can be bought",
                        i.trade.security, i.account.model
                    ))
                    .with("primary", name),
                )
            },
        },
        CheckDef {
            id: "MODEL.HARVEST_WITHOUT_REPLACEMENT",
            family: Family::ModelAdherence,
            severity: Severity::Warn,
            why: "A tax-loss harvest keeps the model's exposure by buying a substitute; without one the exposure sits in cash for the 31-day wash-sale window.",
            params: &[],
            scope: Scope::SELL.taxable().known(),
            run: |i, _| {
                if i.trade.reason != TradeReason::TaxLossHarvest {
                    return None;
                }
                let sec = i.security?;
                let bought = |c: SecIdx| i.context.batch.binary_search_by_key(&(c, false), |b| (b.0, b.1 == Side::Sell)).is_ok();
                if i.reference.substitutes(sec).iter().any(|&c| bought(c)) {
                    return None;
                }
                // A held substitute is replaced by its model security or another substitute of it.
                for &(m, _) in &i.context.targets {
                    if m != sec
                        && i.reference.substitutes(m).contains(&sec)
                        && (bought(m) || i.reference.substitutes(m).iter().any(|&c| bought(c)))
                    {
                        return None;
                    }
                }
                Some(
                    Failure::new(format!(
                        "tax-loss harvest sale of {} has no replacement buy in this batch: its exposure would sit in cash through the 31-day wash-sale window",
                        i.trade.security
                    ))
                    .with("security", &i.trade.security),
                )
            },
        },
        CheckDef {
            id: "MODEL.ROUND_TRIP",
            family: Family::ModelAdherence,
            severity: Severity::Warn,
            why: "Selling what was just bought, or buying back what was just sold, is in-and-out trading that costs the client without serving the model (FINRA Rule 2111 quantitative suitability).",
            params: ROUND_TRIP,
            scope: Scope::ANY,
            run: |i, p| {
                if i.account.recent_trades.is_empty() || i.trade.reason == TradeReason::Restricted {
                    return None;
                }
                let within: i64 = p[0].trunc().try_into().unwrap_or(0);
                let today = i.reference.trade_date;
                let opposite = if i.trade.side == Side::Buy { Side::Sell } else { Side::Buy };
                let last = i
                    .account
                    .recent_trades
                    .iter()
                    .filter(|t| t.side == opposite && t.security == i.trade.security && t.trade_date <= today)
                    .map(|t| t.trade_date)
                    .max()?;
                let days = (today - last).num_days();
                if days > within {
                    return None;
                }
                let (doing, done) = if i.trade.side == Side::Buy { ("buying", "selling") } else { ("selling", "buying") };
                Some(
                    Failure::new(format!(
                        "{doing} {} {days} days after {done} it on {last}: in-and-out trading within {within} days",
                        i.trade.security
                    ))
                    .with("previous_trade", last)
                    .with("days", days),
                )
            },
        },
        CheckDef {
            id: "MODEL.REASON_INCONSISTENT",
            family: Family::ModelAdherence,
            severity: Severity::Warn,
            why: "Every trade carries the reason the reviewer and the audit trail rely on; a reason that cannot apply to the trade's side or security misdescribes it.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| {
                use TradeReason::*;
                let why = match (i.trade.side, i.trade.reason) {
                    (Side::Buy, TaxLossHarvest | OffModel | Restricted | CashRaise) => "only a sale can have".to_string(),
                    (Side::Sell, CashDeploy | HarvestReplacement) => "only a buy can have".to_string(),
                    (Side::Sell, OffModel) if i.security.and_then(|s| i.context.target(s)).is_some() => {
                        format!("does not fit a security in model {}", i.account.model)
                    }
                    _ => return None,
                };
                Some(
                    Failure::new(format!(
                        "the {} of {} gives the reason {}, which {why}",
                        i.trade.side.as_str(),
                        i.trade.security,
                        i.trade.reason.as_str()
                    ))
                    .with("reason", i.trade.reason.as_str()),
                )
            },
        },
        CheckDef {
            id: "MODEL.PRIMARY_AND_SUBSTITUTE_BOUGHT",
            family: Family::ModelAdherence,
            severity: Severity::Warn,
            why: "A model security and its substitute fill the same slot; buying both in one batch fills it twice.",
            params: &[],
            scope: Scope::BUY.known(),
            run: |i, _| {
                // A substitute bought by the batch is off the model; without any, nothing to find.
                if i.context.off_model.is_empty() {
                    return None;
                }
                let sec = i.security?;
                let target = i.context.target(sec)?;
                // A substitute that fills another, blocked slot is not a second buy of this one.
                let sub =
                    stand_ins(i, sec).find(|&c| i.context.batch_count(c, Side::Buy) > 0 && !fills_blocked_slot(i, c))?;
                let name = &i.reference.security(sub).id;
                Some(
                    Failure::new(format!(
                        "{} and its substitute {name} are both bought in this batch: the {} model slot would be filled twice",
                        i.trade.security,
                        wpct(target)
                    ))
                    .with("substitute", name),
                )
            },
        },
        CheckDef {
            id: "MODEL.SHARE_EXCEEDS_BAND",
            family: Family::ModelAdherence,
            severity: Severity::Warn,
            why: "When one share is worth more than a holding's target plus its band, the account is too small to hold that model position in whole shares: any buy leaves it out of tolerance.",
            params: &[],
            scope: Scope::BUY.known(),
            run: |i, _| {
                let sec = i.security?;
                let (price, mv) = (i.reference.price_f64(sec), i.context.market_value_f);
                // Screen: a share within the absolute band fits any target's band.
                if price <= i.context.band_absolute * mv || mv <= 0.0 {
                    return None;
                }
                let s = i.reference.security(sec);
                if s.fractional && i.account.allows_fractional {
                    return None;
                }
                let goal = goal(i, i.context.target(sec)?, Side::Buy);
                let limit = (goal + band(i, goal)) * mv;
                (price > limit).then(|| {
                    Failure::new(format!(
                        "one share of {} at {} is worth more than its {} target plus band ({:.2}) in this account: it is too small to hold the position in whole shares",
                        i.trade.security,
                        i.trade.price,
                        wpct(goal),
                        limit
                    ))
                    .with("share_value", i.trade.price)
                    .with("band_top", format!("{limit:.2}"))
                })
            },
        },
    ]
}
