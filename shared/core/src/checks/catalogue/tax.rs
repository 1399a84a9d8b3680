//! Tax checks.

#[allow(unused_imports)]
use super::prelude::*;
use chrono::Months;

use crate::account::{LotMethod, Position};
use crate::trade::{HoldingPeriod, LotRelief, TradeReason};

const LARGE_SHORT_TERM_GAIN: &[ParamDef] = &[ParamDef {
    name: "max_gain",
    meaning: "short-term gain of one sale, in dollars, above which it is flagged",
    default: dec(10_000, 0),
    min: dec(0, 0),
    max: dec(10_000_000, 0),
}];

const NEAR_LONG_TERM: &[ParamDef] = &[
    ParamDef {
        name: "within_days",
        meaning: "days before a lot turns long-term within which selling it at a short-term gain is flagged",
        default: dec(30, 0),
        min: dec(1, 0),
        max: dec(365, 0),
    },
    ParamDef {
        name: "min_tax_saved",
        meaning: "tax, in dollars, that waiting must save to be worth flagging",
        default: dec(100, 0),
        min: dec(0, 0),
        max: dec(1_000_000, 0),
    },
];

const HARVEST_TOO_SMALL: &[ParamDef] = &[ParamDef {
    name: "min_loss",
    meaning: "smallest net loss, in dollars, a tax-loss harvest sale should realize",
    default: dec(250, 0),
    min: dec(0, 0),
    max: dec(1_000_000, 0),
}];

const HIGH_TAX_COST: &[ParamDef] = &[
    ParamDef {
        name: "max_tax_fraction",
        meaning: "estimated tax of a drift sale as a fraction of its proceeds above which it is flagged",
        default: dec(10, 2),
        min: dec(1, 3),
        max: dec(1, 0),
    },
    ParamDef {
        name: "min_tax",
        meaning: "estimated tax, in dollars, below which a sale is not flagged",
        default: dec(100, 0),
        min: dec(0, 0),
        max: dec(1_000_000, 0),
    },
];

const YEAR_END_GAIN: &[ParamDef] = &[
    ParamDef {
        name: "days_before_year_end",
        meaning: "days before 31 December within which a discretionary gain is flagged",
        default: dec(15, 0),
        min: dec(1, 0),
        max: dec(60, 0),
    },
    ParamDef {
        name: "min_gain",
        meaning: "net gain of the sale, in dollars, from which deferring it matters",
        default: dec(10_000, 0),
        min: dec(0, 0),
        max: dec(100_000_000, 0),
    },
];

const LARGE_LONG_TERM_GAIN: &[ParamDef] = &[ParamDef {
    name: "max_gain",
    meaning: "long-term gain of one sale, in dollars, above which it is flagged",
    default: dec(100_000, 0),
    min: dec(0, 0),
    max: dec(100_000_000, 0),
}];

/// Net realized gain of a sale, short- and long-term.
fn net_gain(i: &CheckInput<'_>) -> Decimal {
    i.trade.short_term_gain.saturating_add(i.trade.long_term_gain)
}

/// A rate or fee from account or fund data as a percentage (as `pct`, but a nonsensical
/// value is shown as given instead of overflowing).
fn rate_pct(r: Decimal) -> String {
    match r.checked_mul(Decimal::ONE_HUNDRED) {
        Some(x) => format!("{}%", x.round_dp(2).normalize()),
        None => r.to_string(),
    }
}

/// A sum of decimals that gives up (`None`) rather than overflow.
fn sum(values: impl Iterator<Item = Decimal>) -> Option<Decimal> {
    values.into_iter().try_fold(Decimal::ZERO, |s, v| s.checked_add(v))
}

/// The distance between two decimals, `None` when it cannot be represented.
fn gap(a: Decimal, b: Decimal) -> Option<Decimal> {
    a.checked_sub(b).map(|d| d.abs())
}

/// Estimated tax of a sale at the account's rates: each term's net gain at its rate, a net
/// loss in one term offsetting the other's gain at the rate it saves (never below zero).
fn estimated_tax(i: &CheckInput<'_>) -> Option<Decimal> {
    let tax = &i.account.tax;
    let st = i.trade.short_term_gain.checked_mul(tax.short_term_rate)?;
    let lt = i.trade.long_term_gain.checked_mul(tax.long_term_rate)?;
    Some(st.checked_add(lt)?.max(Decimal::ZERO))
}

/// The account's position in the traded security.
fn position<'a>(i: &'a CheckInput<'_>) -> Option<&'a Position> {
    let known = &i.context.position_securities;
    match i.security {
        Some(sec) if known.len() == i.account.positions.len() => {
            i.account.positions.get(known.iter().position(|&s| s == sec)?)
        }
        _ => i.account.positions.iter().find(|p| p.security == i.trade.security),
    }
}

fn account_type_name(t: AccountType) -> &'static str {
    match t {
        AccountType::Taxable => "taxable",
        AccountType::Trust => "trust",
        AccountType::TraditionalIra => "traditional IRA",
        AccountType::RothIra => "Roth IRA",
        AccountType::Qualified => "qualified plan",
    }
}

fn term_name(t: Term) -> &'static str {
    match t {
        Term::ShortTerm => "short-term",
        Term::LongTerm => "long-term",
    }
}

/// The first day a sale of a lot acquired on `acquired` is long-term: the day after its
/// one-year anniversary (29 February counts as 28 February, as in [`HoldingPeriod`]).
fn long_term_from(acquired: NaiveDate) -> Option<NaiveDate> {
    acquired.checked_add_months(Months::new(12))?.succ_opt()
}

/// Whether two relieved lots name the same held lot: by id when there is one, otherwise
/// by acquisition date and cost basis.
fn same_lot(a: &LotRelief, b: &LotRelief) -> bool {
    if a.lot_id.is_empty() && b.lot_id.is_empty() {
        a.acquired == b.acquired && a.cost_basis == b.cost_basis
    } else {
        a.lot_id == b.lot_id
    }
}

/// A relieved lot's name for reasons.
fn lot_name(l: &LotRelief) -> String {
    if l.lot_id.is_empty() {
        format!("acquired {} at {}", l.acquired, l.cost_basis)
    } else {
        format!("{} (acquired {})", l.lot_id, l.acquired)
    }
}

pub(super) fn checks() -> Vec<CheckDef> {
    vec![
        CheckDef {
            id: "TAX.SHORT_TERM_GAIN_AVOIDED",
            family: Family::Tax,
            severity: Severity::Warn,
            why: "The account asked to avoid short-term gains, which are taxed as ordinary income.",
            params: &[],
            scope: Scope::SELL,
            run: |i, _| {
                let st: Decimal =
                    i.trade.lots.iter().filter(|l| l.term == Term::ShortTerm && l.gain > Decimal::ZERO).map(|l| l.gain).sum();
                (i.account.tax.avoid_short_term_gains && st > Decimal::ZERO).then(|| {
                    Failure::new(format!(
                        "sale of {} realizes a short-term gain of {} although the account avoids them",
                        i.trade.security, st
                    ))
                    .with("short_term_gain", st)
                })
            },
        },
        CheckDef {
            id: "TAX.WASH_SALE_BUY",
            family: Family::Tax,
            severity: Severity::Block,
            why: "IRC §1091: buying within 30 days of a loss sale of a substantially identical security disallows the loss.",
            params: &[],
            scope: Scope::BUY.taxable(),
            run: |i, _| {
                let sec = i.security?;
                if i.trade.side != Side::Buy || !i.account.account_type.is_taxable() {
                    return None;
                }
                let k = i.context.wash.loss_sale(i.reference.wash_group(sec))?;
                let sale = &i.account.recent_trades[k];
                Some(
                    Failure::new(format!(
                        "buying {} within 30 days of the {} loss sale of {} on {} would be a wash sale",
                        i.trade.security, sale.realized_gain, sale.security, sale.trade_date
                    ))
                    .with("loss_sale_date", sale.trade_date),
                )
            },
        },
        CheckDef {
            id: "TAX.WASH_SALE_LOSS_SALE",
            family: Family::Tax,
            severity: Severity::Block,
            why: "IRC §1091: a loss sale within 30 days after buying a substantially identical security is a wash sale.",
            params: &[],
            scope: Scope::SELL.taxable(),
            run: |i, _| {
                let sec = i.security?;
                let loss: Decimal = i.trade.lots.iter().filter(|l| l.gain < Decimal::ZERO).map(|l| l.gain).sum();
                if i.trade.side != Side::Sell || loss >= Decimal::ZERO || !i.account.account_type.is_taxable() {
                    return None;
                }
                let bought = i.context.wash.last_purchase(i.reference.wash_group(sec))?;
                Some(
                    Failure::new(format!(
                        "selling {} at a loss of {loss} within 30 days of buying it on {bought} would be a wash sale",
                        i.trade.security
                    ))
                    .with("loss", loss)
                    .with("bought_on", bought),
                )
            },
        },
        CheckDef {
            id: "TAX.LOSS_SALE_AND_REBUY_IN_BATCH",
            family: Family::Tax,
            severity: Severity::Block,
            why: "Selling at a loss and buying a substantially identical security in the same batch is a wash sale.",
            params: &[],
            scope: Scope::BUY.taxable(),
            run: |i, _| {
                let sec = i.security?;
                let group = i.reference.wash_group(sec);
                (i.trade.side == Side::Buy
                    && i.account.account_type.is_taxable()
                    && i.context.loss_sale_groups.contains(&group))
                .then(|| {
                    Failure::new(format!(
                        "{} is bought in the batch that sells it (or an identical security) at a loss",
                        i.trade.security
                    ))
                    .with("security", &i.trade.security)
                })
            },
        },
        CheckDef {
            id: "TAX.LARGE_SHORT_TERM_GAIN",
            family: Family::Tax,
            severity: Severity::Warn,
            why: "A large short-term gain is taxed as ordinary income; advisors confirm it before it is realized.",
            params: LARGE_SHORT_TERM_GAIN,
            scope: Scope::SELL.taxable(),
            run: |i, p| {
                (i.account.account_type.is_taxable() && i.trade.short_term_gain > p[0]).then(|| {
                    Failure::new(format!(
                        "sale of {} realizes a short-term gain of {}, above {}",
                        i.trade.security, i.trade.short_term_gain, p[0]
                    ))
                    .with("short_term_gain", i.trade.short_term_gain)
                })
            },
        },
        CheckDef {
            id: "TAX.GAIN_BUDGET",
            family: Family::Tax,
            severity: Severity::Warn,
            why: "The account caps net realized gains for the year.",
            params: &[],
            scope: Scope::SELL.taxable(),
            run: |i, _| {
                let budget = i.account.tax.gain_budget?;
                let gain = i.trade.short_term_gain + i.trade.long_term_gain;
                let total = i.account.tax.realized_gains_ytd + gain;
                (i.account.account_type.is_taxable() && gain > Decimal::ZERO && total > budget).then(|| {
                    Failure::new(format!(
                        "this sale's gain of {gain} brings the year's realized gains to {total}, above the budget of {budget}"
                    ))
                    .with("realized_after", total)
                    .with("budget", budget)
                })
            },
        },
        CheckDef {
            id: "TAX.NEAR_LONG_TERM",
            family: Family::Tax,
            severity: Severity::Warn,
            why: "IRC §1222: a lot held more than one year is taxed at the long-term rate; selling at a short-term gain days before that costs the difference in rates.",
            params: NEAR_LONG_TERM,
            scope: Scope::SELL.taxable(),
            run: |i, p| {
                let horizon: i64 = p[0].trunc().try_into().unwrap_or(0);
                let (mut gain, mut first) = (Decimal::ZERO, None::<NaiveDate>);
                for l in &i.trade.lots {
                    if l.term != Term::ShortTerm || l.gain <= Decimal::ZERO {
                        continue;
                    }
                    let Some(long_term) = long_term_from(l.acquired) else { continue };
                    let days = (long_term - i.reference.trade_date).num_days();
                    if days > 0 && days <= horizon {
                        gain = gain.saturating_add(l.gain);
                        first = Some(first.map_or(long_term, |f| f.min(long_term)));
                    }
                }
                let first = first?;
                let rates = i.account.tax.short_term_rate.checked_sub(i.account.tax.long_term_rate)?.max(Decimal::ZERO);
                let saved = gain.checked_mul(rates)?.round_dp(2);
                if saved < p[1] {
                    return None;
                }
                let days = (first - i.reference.trade_date).num_days();
                Some(
                    Failure::new(format!(
                        "sale of {} realizes a short-term gain of {gain} on lots that turn long-term in {days} days (on {first}); waiting would save about {saved} in tax",
                        i.trade.security
                    ))
                    .with("short_term_gain", gain)
                    .with("long_term_on", first)
                    .with("tax_saved", saved),
                )
            },
        },
        CheckDef {
            id: "TAX.GAIN_LOTS_BEFORE_LOSS_LOTS",
            family: Family::Tax,
            severity: Severity::Warn,
            why: "Under the account's min-tax or HIFO lot method a sale relieves loss lots before gain lots (Treas. Reg. §1.1012-1(c) specific identification); gains realized while loss lots stay unsold mean the method was not followed.",
            params: &[],
            scope: Scope::SELL.taxable().known(),
            run: |i, _| {
                if i.account.tax.lot_method == LotMethod::Fifo
                    || !i.trade.lots.iter().any(|l| l.gain.is_sign_positive() && !l.gain.is_zero())
                {
                    return None;
                }
                // Float screen: no held lot clearly above the sale price means no loss lot.
                let (price, price_f) = (i.trade.price, to_f64(i.trade.price));
                let held = position(i)?;
                if !held.lots.iter().any(|l| to_f64(l.cost_basis) > price_f * (1.0 - 1e-9)) {
                    return None;
                }
                // A loss lot sold within 30 days of a purchase would be a wash sale: keeping it is right.
                if i.context.wash.last_purchase(i.reference.wash_group(i.security?)).is_some() {
                    return None;
                }
                let gains = sum(i.trade.lots.iter().filter(|l| l.gain > Decimal::ZERO).map(|l| l.gain))?;
                let loss_held = sum(held.lots.iter().filter(|l| l.cost_basis > price).map(|l| l.quantity))?;
                let loss_sold = sum(i.trade.lots.iter().filter(|l| l.cost_basis > price).map(|l| l.quantity))?;
                let left = loss_held.checked_sub(loss_sold)?;
                let method = if i.account.tax.lot_method == LotMethod::Hifo { "HIFO" } else { "min-tax" };
                (left > Decimal::ZERO).then(|| {
                    Failure::new(format!(
                        "sale of {} realizes {gains} of gains while {left} shares in lots bought above {price} (at a loss) stay unsold: the account's {method} lot method relieves them first",
                        i.trade.security
                    ))
                    .with("gains", gains)
                    .with("loss_lot_quantity_left", left)
                })
            },
        },
        CheckDef {
            id: "TAX.HARVEST_TOO_SMALL",
            family: Family::Tax,
            severity: Severity::Warn,
            why: "A tax-loss harvest costs a round trip of spreads and a 31-day wash-sale wait (IRC §1091); a loss too small to matter is not worth them.",
            params: HARVEST_TOO_SMALL,
            scope: Scope::SELL.taxable(),
            run: |i, p| {
                if i.trade.reason != TradeReason::TaxLossHarvest {
                    return None;
                }
                let loss = -net_gain(i);
                if loss <= Decimal::ZERO || loss >= p[0] {
                    return None;
                }
                let tax = &i.account.tax;
                let st = -i.trade.short_term_gain.min(Decimal::ZERO);
                let lt = -i.trade.long_term_gain.min(Decimal::ZERO);
                let saved = st.checked_mul(tax.short_term_rate)?.checked_add(lt.checked_mul(tax.long_term_rate)?)?;
                Some(
                    Failure::new(format!(
                        "tax-loss harvest of {} realizes only {loss} of losses (about {} of tax saved), below the {} that justifies the round trip and the wash-sale wait",
                        i.trade.security,
                        saved.round_dp(2),
                        p[0]
                    ))
                    .with("loss", loss)
                    .with("min_loss", p[0]),
                )
            },
        },
        CheckDef {
            id: "TAX.LARGE_LONG_TERM_GAIN",
            family: Family::Tax,
            severity: Severity::Warn,
            why: "A large long-term gain can lift the client into a higher capital-gains bracket and the 3.8% net investment income tax (IRC §1411); advisors confirm it first.",
            params: LARGE_LONG_TERM_GAIN,
            scope: Scope::SELL.taxable(),
            run: |i, p| {
                let gain = i.trade.long_term_gain;
                if gain <= p[0] {
                    return None;
                }
                let rate = i.account.tax.long_term_rate;
                let tax = gain.checked_mul(rate)?.round_dp(2);
                Some(
                    Failure::new(format!(
                        "sale of {} realizes a long-term gain of {gain}, above {} (about {tax} of tax at {})",
                        i.trade.security,
                        p[0],
                        rate_pct(rate)
                    ))
                    .with("long_term_gain", gain)
                    .with("estimated_tax", tax),
                )
            },
        },
        CheckDef {
            id: "TAX.BATCH_GAIN_BUDGET",
            family: Family::Tax,
            severity: Severity::Warn,
            why: "The year's gain budget caps net realized gains; a batch can exceed it together even when each of its sales alone would fit.",
            params: &[],
            scope: Scope::SELL.taxable(),
            run: |i, _| {
                let budget = i.account.tax.gain_budget?;
                let gain = net_gain(i);
                let ytd = i.account.tax.realized_gains_ytd;
                // Alone over the budget is TAX.GAIN_BUDGET's finding.
                if gain <= Decimal::ZERO || ytd.saturating_add(gain) > budget {
                    return None;
                }
                let total = ytd.saturating_add(i.context.batch_gain);
                (total > budget).then(|| {
                    Failure::new(format!(
                        "the batch's net gains of {} bring the year's realized gains to {total}, above the budget of {budget}, although this sale's gain of {gain} alone fits",
                        i.context.batch_gain
                    ))
                    .with("batch_gain", i.context.batch_gain)
                    .with("realized_after", total)
                    .with("budget", budget)
                })
            },
        },
        CheckDef {
            id: "TAX.REDEMPTION_FEE",
            family: Family::Tax,
            severity: Severity::Warn,
            why: "SEC Rule 22c-2: a fund may charge a redemption fee (up to 2%) on shares sold within a set period after purchase; selling them then costs the client the fee.",
            params: &[],
            scope: Scope::SELL.kinds(&[SecurityKind::MutualFund]),
            run: |i, _| {
                let terms = security(i)?.profile.fund.as_ref()?;
                if terms.redemption_fee_days == 0 || terms.redemption_fee <= Decimal::ZERO {
                    return None;
                }
                // Shares bought after the cutoff are still inside the fee period.
                let cutoff =
                    i.reference.trade_date.checked_sub_days(Days::new(u64::from(terms.redemption_fee_days)))?;
                let (mut young, mut latest) = (Decimal::ZERO, None::<NaiveDate>);
                if i.trade.lots.is_empty() {
                    // No lots named: first in, first out, so young shares go only after the old ones.
                    let position = position(i)?;
                    let old = sum(position.lots.iter().filter(|l| l.acquired <= cutoff).map(|l| l.quantity))?;
                    young = i.trade.quantity.checked_sub(old)?.max(Decimal::ZERO);
                    latest = position.lots.iter().filter(|l| l.acquired > cutoff).map(|l| l.acquired).max();
                } else {
                    for l in i.trade.lots.iter().filter(|l| l.acquired > cutoff) {
                        young = young.checked_add(l.quantity)?;
                        latest = latest.max(Some(l.acquired));
                    }
                }
                let latest = latest.filter(|_| young > Decimal::ZERO)?;
                let fee = young.checked_mul(i.trade.price)?.checked_mul(terms.redemption_fee)?.round_dp(2);
                Some(
                    Failure::new(format!(
                        "{young} shares of {} sold within its {}-day redemption-fee period (bought as late as {latest}) would pay a {} fee of about {fee}",
                        i.trade.security,
                        terms.redemption_fee_days,
                        rate_pct(terms.redemption_fee)
                    ))
                    .with("quantity_in_period", young)
                    .with("fee", fee),
                )
            },
        },
        CheckDef {
            id: "TAX.PFIC_SALE",
            family: Family::Tax,
            severity: Severity::Warn,
            why: "IRC §1291: a gain on a passive foreign investment company is taxed as ordinary income with an interest charge unless a QEF or mark-to-market election exists, and the sale is reported on Form 8621.",
            params: &[],
            scope: Scope::SELL.taxable().known(),
            run: |i, _| {
                if !security(i)?.profile.pfic {
                    return None;
                }
                let gain = net_gain(i);
                Some(
                    Failure::new(format!(
                        "{} is a passive foreign investment company: the sale's gain of {gain} is taxed as ordinary income with an interest charge unless a QEF or mark-to-market election exists, and the sale must be reported on Form 8621",
                        i.trade.security
                    ))
                    .with("gain", gain),
                )
            },
        },
        CheckDef {
            id: "TAX.OUT_OF_STATE_MUNI",
            family: Family::Tax,
            severity: Severity::Info,
            why: "Municipal interest is free of federal tax, but most states tax interest on other states' bonds; a resident usually does better with home-state bonds.",
            params: &[],
            scope: Scope::BUY.taxable().kinds(&[SecurityKind::Bond]),
            run: |i, _| {
                let muni_state = security(i)?.profile.bond.as_ref()?.muni_state.as_deref()?;
                let home = i.account.profile.state.as_str();
                if home.is_empty() || muni_state.eq_ignore_ascii_case(home) {
                    return None;
                }
                Some(
                    Failure::new(format!(
                        "{} is a {muni_state} municipal bond: its interest is free of federal tax but taxed by {home}, where the client lives",
                        i.trade.security
                    ))
                    .with("bond_state", muni_state)
                    .with("client_state", home),
                )
            },
        },
        CheckDef {
            id: "TAX.HARVEST_IN_TAX_DEFERRED",
            family: Family::Tax,
            severity: Severity::Warn,
            why: "Losses inside an IRA or qualified plan cannot be deducted; a tax-loss harvest there only adds trading costs.",
            params: &[],
            scope: Scope::SELL.retirement(),
            run: |i, _| {
                (i.trade.reason == TradeReason::TaxLossHarvest).then(|| {
                    Failure::new(format!(
                        "tax-loss harvest sale of {} in a {} account: losses in a tax-deferred account cannot be deducted",
                        i.trade.security,
                        account_type_name(i.account.account_type)
                    ))
                    .with("account_type", account_type_name(i.account.account_type))
                })
            },
        },
        CheckDef {
            id: "TAX.MISSING_COST_BASIS",
            family: Family::Tax,
            severity: Severity::Warn,
            why: "A zero cost basis usually means an unknown one (a gift, inheritance or transfer in without basis); the whole proceeds would be reported as gain (IRC §6045(g)).",
            params: &[],
            scope: Scope::SELL.taxable(),
            run: |i, _| {
                let lot = i.trade.lots.iter().find(|l| l.cost_basis.is_zero())?;
                Some(
                    Failure::new(format!(
                        "a lot of {} acquired {} has a zero cost basis: all {} of its proceeds would be reported as gain; confirm the basis before selling",
                        i.trade.security, lot.acquired, lot.proceeds
                    ))
                    .with("acquired", lot.acquired)
                    .with("proceeds", lot.proceeds),
                )
            },
        },
        CheckDef {
            id: "TAX.LOT_QUANTITY_MISMATCH",
            family: Family::Tax,
            severity: Severity::Block,
            why: "The lots relieved must add up to the quantity sold, or the basis and gain reported on Form 1099-B (IRC §6045(g)) are wrong.",
            params: &[],
            scope: Scope::SELL.taxable(),
            run: |i, _| {
                let relieved = i.trade.lots.iter().try_fold(Decimal::ZERO, |s, l| s.checked_add(l.quantity))?;
                (relieved != i.trade.quantity).then(|| {
                    Failure::new(format!(
                        "lots relieved for {} add up to {relieved} shares but the sale is for {}: the reported gain would be wrong",
                        i.trade.security, i.trade.quantity
                    ))
                    .with("relieved", relieved)
                    .with("quantity", i.trade.quantity)
                })
            },
        },
        CheckDef {
            id: "TAX.LOT_TERM_MISLABELED",
            family: Family::Tax,
            severity: Severity::Block,
            why: "IRC §1222: the holding period decides short- or long-term treatment; a lot labelled with the wrong term misstates the tax.",
            params: &[],
            scope: Scope::SELL.taxable(),
            run: |i, _| {
                let period = HoldingPeriod::new(i.reference.trade_date);
                let lot = i.trade.lots.iter().find(|l| period.term(l.acquired) != l.term)?;
                let actual = period.term(lot.acquired);
                Some(
                    Failure::new(format!(
                        "lot of {} acquired {} is labelled {} but a sale on {} is {}",
                        i.trade.security,
                        lot.acquired,
                        term_name(lot.term),
                        i.reference.trade_date,
                        term_name(actual)
                    ))
                    .with("acquired", lot.acquired)
                    .with("term", term_name(actual)),
                )
            },
        },
        CheckDef {
            id: "TAX.GAIN_MISCOMPUTED",
            family: Family::Tax,
            severity: Severity::Block,
            why: "Each lot's gain must be its proceeds less its basis, and the sale's short- and long-term gains the sums of its lots; anything else misstates the tax and the gain budget.",
            params: &[],
            scope: Scope::SELL.taxable(),
            run: |i, _| {
                let t = i.trade;
                // Float screen: every figure clearly within a cent needs no decimal arithmetic
                // (amounts below 1e11 keep float error far under the margin).
                const MARGIN: f64 = 0.009;
                let price = to_f64(t.price);
                let (mut st_f, mut lt_f, mut clean) = (0.0, 0.0, true);
                for l in &t.lots {
                    let (q, proceeds, gain) = (to_f64(l.quantity), to_f64(l.proceeds), to_f64(l.gain));
                    clean &= proceeds.abs() < 1e11
                        && (proceeds - q * price).abs() < MARGIN
                        && (gain - (proceeds - q * to_f64(l.cost_basis))).abs() < MARGIN;
                    match l.term {
                        Term::ShortTerm => st_f += gain,
                        Term::LongTerm => lt_f += gain,
                    }
                }
                if clean
                    && (to_f64(t.short_term_gain) - st_f).abs() < MARGIN
                    && (to_f64(t.long_term_gain) - lt_f).abs() < MARGIN
                {
                    return None;
                }
                let (mut st, mut lt) = (Decimal::ZERO, Decimal::ZERO);
                for l in &t.lots {
                    let proceeds = l.quantity.checked_mul(t.price)?;
                    if gap(l.proceeds, proceeds)? > CENT {
                        return Some(
                            Failure::new(format!(
                                "lot of {} acquired {}: proceeds {} differ from {} × the sale price {} = {proceeds}",
                                t.security, l.acquired, l.proceeds, l.quantity, t.price
                            ))
                            .with("acquired", l.acquired)
                            .with("proceeds", l.proceeds),
                        );
                    }
                    let expected = l.proceeds.checked_sub(l.quantity.checked_mul(l.cost_basis)?)?;
                    if gap(l.gain, expected)? > CENT {
                        return Some(
                            Failure::new(format!(
                                "lot of {} acquired {}: gain {} differs from proceeds {} less {} × basis {} = {expected}",
                                t.security, l.acquired, l.gain, l.proceeds, l.quantity, l.cost_basis
                            ))
                            .with("acquired", l.acquired)
                            .with("gain", l.gain)
                            .with("expected", expected),
                        );
                    }
                    match l.term {
                        Term::ShortTerm => st = st.checked_add(l.gain)?,
                        Term::LongTerm => lt = lt.checked_add(l.gain)?,
                    }
                }
                let (term, stated, sum) = if gap(t.short_term_gain, st)? > CENT {
                    ("short-term", t.short_term_gain, st)
                } else if gap(t.long_term_gain, lt)? > CENT {
                    ("long-term", t.long_term_gain, lt)
                } else {
                    return None;
                };
                Some(
                    Failure::new(format!(
                        "sale of {} states a {term} gain of {stated} but its lots add up to {sum}",
                        t.security
                    ))
                    .with("stated", stated)
                    .with("lots_sum", sum),
                )
            },
        },
        CheckDef {
            id: "TAX.LOT_NOT_HELD",
            family: Family::Tax,
            severity: Severity::Block,
            why: "Treas. Reg. §1.1012-1(c): only lots the account holds can be identified for a sale, and no lot for more than it holds.",
            params: &[],
            scope: Scope::SELL.taxable(),
            run: |i, _| {
                let held_lots = position(i).map(|p| p.lots.as_slice()).unwrap_or(&[]);
                let lots = &i.trade.lots;
                // Fast path: each relief names its own held lot (by id, or date and basis) and
                // takes no more than it holds.
                let fits = |l: &LotRelief| {
                    let mut matching = held_lots.iter().filter(|h| {
                        if l.lot_id.is_empty() {
                            h.acquired == l.acquired && h.cost_basis == l.cost_basis
                        } else {
                            h.id == l.lot_id
                        }
                    });
                    matches!((matching.next(), matching.next()), (Some(h), None) if l.quantity <= h.quantity)
                };
                let distinct = |k: usize| lots[..k].iter().all(|x| !same_lot(x, &lots[k]));
                if (0..lots.len()).all(|k| distinct(k) && fits(&lots[k])) {
                    return None;
                }
                for (k, l) in lots.iter().enumerate() {
                    // Reliefs of one lot are counted together, at the first of them.
                    if i.trade.lots[..k].iter().any(|x| same_lot(x, l)) {
                        continue;
                    }
                    let relieved = i.trade.lots[k..]
                        .iter()
                        .filter(|x| same_lot(x, l))
                        .try_fold(Decimal::ZERO, |s, x| s.checked_add(x.quantity))?;
                    let held = sum(
                        held_lots
                            .iter()
                            .filter(|h| {
                                if l.lot_id.is_empty() {
                                    h.acquired == l.acquired && h.cost_basis == l.cost_basis
                                } else {
                                    h.id == l.lot_id
                                }
                            })
                            .map(|h| h.quantity),
                    )?;
                    if relieved > held {
                        return Some(
                            Failure::new(format!(
                                "lot {} of {} is relieved for {relieved} shares but the account holds {held} in it",
                                lot_name(l),
                                i.trade.security
                            ))
                            .with("relieved", relieved)
                            .with("held", held),
                        );
                    }
                }
                None
            },
        },
        CheckDef {
            id: "TAX.HARVEST_REALIZES_GAIN",
            family: Family::Tax,
            severity: Severity::Warn,
            why: "A tax-loss harvest should relieve only lots at a loss; gain lots in it give back part of the tax benefit the trade exists for.",
            params: &[],
            scope: Scope::SELL.taxable(),
            run: |i, _| {
                if i.trade.reason != TradeReason::TaxLossHarvest {
                    return None;
                }
                let gains = sum(i.trade.lots.iter().filter(|l| l.gain > Decimal::ZERO).map(|l| l.gain))?;
                (gains > Decimal::ZERO).then(|| {
                    Failure::new(format!(
                        "tax-loss harvest of {} relieves lots with {gains} of gains (net {}): a harvest should sell loss lots only",
                        i.trade.security,
                        net_gain(i)
                    ))
                    .with("gains", gains)
                    .with("net", net_gain(i))
                })
            },
        },
        CheckDef {
            id: "TAX.HIGH_TAX_COST",
            family: Family::Tax,
            severity: Severity::Warn,
            why: "A drift sale whose estimated tax is a large part of its proceeds may cost the client more than the drift it corrects; tax-aware rebalancing weighs the two.",
            params: HIGH_TAX_COST,
            scope: Scope::SELL.taxable(),
            run: |i, p| {
                if i.trade.reason != TradeReason::Drift || i.trade.amount <= Decimal::ZERO {
                    return None;
                }
                // Float screen: with rates of at most 100%, the tax never exceeds the net gain.
                let gain_f = to_f64(i.trade.short_term_gain) + to_f64(i.trade.long_term_gain);
                if gain_f < to_f64(i.trade.amount) * to_f64(p[0]) * 0.99 {
                    return None;
                }
                let tax = estimated_tax(i)?.round_dp(2);
                let fraction = tax.checked_div(i.trade.amount)?;
                (fraction > p[0] && tax >= p[1]).then(|| {
                    Failure::new(format!(
                        "drift sale of {} would cost about {tax} in tax at the account's rates, {} of its {} proceeds (limit {})",
                        i.trade.security,
                        rate_pct(fraction),
                        i.trade.amount,
                        pct(p[0])
                    ))
                    .with("estimated_tax", tax)
                    .with("tax_fraction", rate_pct(fraction))
                })
            },
        },
        CheckDef {
            id: "TAX.YEAR_END_GAIN_DEFERRAL",
            family: Family::Tax,
            severity: Severity::Info,
            why: "Gains are taxed in the year of the sale (trade date); a discretionary gain realized in the last days of December could be deferred a full year by selling in January.",
            params: YEAR_END_GAIN,
            scope: Scope::SELL.taxable(),
            run: |i, p| {
                let date = i.reference.trade_date;
                if date.month() != 12 || !matches!(i.trade.reason, TradeReason::Drift | TradeReason::OffModel) {
                    return None;
                }
                let left = i64::from(31 - date.day());
                let window: i64 = p[0].trunc().try_into().unwrap_or(0);
                let gain = net_gain(i);
                if left >= window || gain <= p[1] {
                    return None;
                }
                Some(
                    Failure::new(format!(
                        "sale of {} on {date} realizes a gain of {gain} {left} days before the year ends: selling on or after 1 January would defer the tax by a year",
                        i.trade.security
                    ))
                    .with("gain", gain)
                    .with("days_to_year_end", left),
                )
            },
        },
        CheckDef {
            id: "TAX.FOREIGN_WITHHOLDING_IN_TAX_DEFERRED",
            family: Family::Tax,
            severity: Severity::Info,
            why: "Dividends of foreign issuers bear foreign withholding tax; in an IRA or plan it cannot be claimed as a foreign tax credit (IRC §901), so such holdings are better placed in taxable accounts.",
            params: &[],
            scope: Scope::BUY.retirement().kinds(&[SecurityKind::Equity, SecurityKind::Etf, SecurityKind::MutualFund]),
            run: |i, _| {
                if !security(i)?.foreign() {
                    return None;
                }
                let kind = account_type_name(i.account.account_type);
                Some(
                    Failure::new(format!(
                        "{} is a foreign issuer: tax withheld abroad on its dividends cannot be reclaimed as a foreign tax credit in a {kind} account",
                        i.trade.security
                    ))
                    .with("account_type", kind),
                )
            },
        },
    ]
}
