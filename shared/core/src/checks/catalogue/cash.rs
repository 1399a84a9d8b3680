//! Cash and buying power checks.
//!
//! `cash` is the trade-date balance: executions already booked have moved it, and
//! `unsettled_cash` is the part of it that is proceeds of sales not settled yet. Settled
//! cash (`cash - unsettled_cash`) below zero therefore means purchases not yet paid for
//! with settled funds. An account without a margin agreement is a cash account
//! (Regulation T §220.8); IRAs and plans always are.

#[allow(unused_imports)]
use super::prelude::*;

use crate::account::{Account, RecentTrade};
use crate::checks::calendar;
use crate::num::{from_f64, Round};
use crate::trade::TradeReason;

const GOOD_FAITH_RESTRICTION: &[ParamDef] = &[ParamDef {
    name: "max_prior_violations",
    meaning: "good-faith violations in 12 months after which the next one restricts the account",
    default: dec(2, 0),
    min: dec(0, 0),
    max: dec(10, 0),
}];

const NEAR_RESTRICTION: &[ParamDef] = &[ParamDef {
    name: "min_violations",
    meaning: "good-faith violations in 12 months from which buys with unsettled proceeds are flagged",
    default: dec(2, 0),
    min: dec(1, 0),
    max: dec(10, 0),
}];

const RMD_MONTH: &[ParamDef] = &[ParamDef {
    name: "from_month",
    meaning: "month of the year from which cash for the remaining distribution is kept",
    default: dec(10, 0),
    min: dec(1, 0),
    max: dec(12, 0),
}];

const EXCESS_CASH: &[ParamDef] = &[ParamDef {
    name: "max_cash_fraction",
    meaning: "uninvested cash after a batch with sales, beyond withdrawal and reserve, as a fraction of the account",
    default: dec(25, 2),
    min: dec(2, 2),
    max: dec(1, 0),
}];

const DAY_TRADE_LIMIT: ParamDef = ParamDef {
    name: "day_trade_limit",
    meaning: "day trades in five business days that make the account a pattern day trader",
    default: dec(4, 0),
    min: dec(2, 0),
    max: dec(10, 0),
};

const PDT_DESIGNATION: &[ParamDef] = &[DAY_TRADE_LIMIT];

const PDT_MIN_EQUITY: &[ParamDef] = &[
    DAY_TRADE_LIMIT,
    ParamDef {
        name: "min_equity",
        meaning: "equity a pattern day trader must hold on any day it day trades",
        default: dec(25_000, 0),
        min: dec(25_000, 0),
        max: dec(1_000_000, 0),
    },
];

/// Settlement is T+1 (SEC Rule 15c6-1): a trade settles this many business days later.
const SETTLEMENT_DAYS: u32 = 1;

/// Calendar days back beyond which no trade can still be unsettled (weekends and holidays).
const UNSETTLED_LOOKBACK_DAYS: u64 = 8;

/// The settlement date of a trade on `trade`: the next NYSE business day (T+1).
fn settlement_date(trade: NaiveDate) -> NaiveDate {
    let mut d = trade;
    let mut left = SETTLEMENT_DAYS;
    // Bounded: no run of closed days is longer than four.
    for _ in 0..(SETTLEMENT_DAYS as usize * 7 + 7) {
        let Some(next) = d.succ_opt() else { return d };
        d = next;
        if calendar::closed_because(d).is_none() {
            left -= 1;
            if left == 0 {
                break;
            }
        }
    }
    d
}

/// Cash that has settled: the balance less unsettled sale proceeds.
fn settled_cash(a: &Account) -> Decimal {
    a.cash.saturating_sub(a.profile.unsettled_cash)
}

/// A cash account (no margin agreement), where Regulation T §220.8 applies.
fn cash_account(a: &Account) -> bool {
    !a.profile.margin
}

/// The account may use only settled cash (90-day freeze) on the trade date.
fn settled_only(i: &CheckInput<'_>) -> Option<NaiveDate> {
    i.account.profile.settled_cash_only_until.filter(|&until| until >= i.reference.trade_date)
}

/// Whether a recent trade may still be unsettled on the trade date (cheap date screen).
fn recent(t: &RecentTrade, today: NaiveDate) -> bool {
    t.trade_date <= today
        && t.trade_date.checked_add_days(Days::new(UNSETTLED_LOOKBACK_DAYS)).is_some_and(|d| d > today)
}

/// A recorded purchase of the traded security that has not settled on the trade date,
/// paid (or not) with unsettled proceeds, with its settlement date. Proceeds still
/// unsettled when a purchase is made come from a sale that settles no later than the
/// purchase itself, so that date is also when the funding proceeds settle.
fn unsettled_buy<'a>(i: &'a CheckInput<'_>, paid_with_unsettled: bool) -> Option<(&'a RecentTrade, NaiveDate)> {
    let today = i.reference.trade_date;
    i.account
        .recent_trades
        .iter()
        .filter(|t| t.side == Side::Buy && t.paid_with_unsettled == paid_with_unsettled && recent(t, today))
        .filter(|t| t.security == i.trade.security)
        .find_map(|t| {
            let settles = settlement_date(t.trade_date);
            (settles > today).then_some((t, settles))
        })
}

/// Cost of a recorded purchase: its own price, else today's reference price.
fn cost(i: &CheckInput<'_>, t: &RecentTrade) -> Decimal {
    let price = t.price.or_else(|| i.reference.security_index(&t.security).and_then(|k| i.reference.price(k)));
    price.and_then(|p| p.checked_mul(t.quantity)).unwrap_or_default()
}

/// A sale of a security bought earlier on the trade date: a day trade.
fn day_trade(i: &CheckInput<'_>) -> bool {
    let today = i.reference.trade_date;
    i.account
        .recent_trades
        .iter()
        .any(|t| t.side == Side::Buy && t.trade_date == today && t.security == i.trade.security)
}

/// Working buy and sell orders, in dollars.
fn pending(a: &Account) -> (Decimal, Decimal) {
    a.profile.pending_orders.iter().fold((Decimal::ZERO, Decimal::ZERO), |(b, s), o| match o.side {
        Side::Buy => (b.saturating_add(o.amount), s),
        Side::Sell => (b, s.saturating_add(o.amount)),
    })
}

/// `a / b`, zero when it cannot be computed, bounded so it can be shown as a percentage.
fn ratio(a: Decimal, b: Decimal) -> Decimal {
    const LIMIT: Decimal = dec(1_000_000_000, 0);
    a.checked_div(b).unwrap_or_default().clamp(-LIMIT, LIMIT)
}

/// A weight computed in floating point, as a percentage for reasons.
fn pct_f(x: f64) -> String {
    pct(from_f64(x, 4, Round::Nearest))
}

/// A whole-number parameter.
fn whole(p: Decimal) -> u32 {
    to_f64(p).clamp(0.0, u32::MAX as f64) as u32
}

pub(super) fn checks() -> Vec<CheckDef> {
    vec![
        CheckDef {
            id: "CASH.NEGATIVE_BALANCE",
            family: Family::CashAndBuyingPower,
            severity: Severity::Block,
            why: "15c3-5 credit control: the account's orders must not spend more cash than it has.",
            params: &[],
            scope: Scope::BUY,
            run: |i, _| {
                (i.trade.side == Side::Buy && i.context.cash_after < Decimal::ZERO).then(|| {
                    Failure::new(format!(
                        "the account's orders leave cash at {} (cash now {})",
                        i.context.cash_after, i.account.cash
                    ))
                    .with("cash_after", i.context.cash_after)
                })
            },
        },
        CheckDef {
            id: "CASH.RESERVE_BREACH",
            family: Family::CashAndBuyingPower,
            severity: Severity::Warn,
            why: "Cash set aside for fees or a known need should not be invested.",
            params: &[],
            scope: Scope::BUY,
            run: |i, _| {
                let reserve = i.account.cash_reserve;
                (i.trade.side == Side::Buy && reserve > Decimal::ZERO && i.context.cash_after < reserve).then(|| {
                    Failure::new(format!(
                        "the account's orders leave cash at {}, below its reserve of {}",
                        i.context.cash_after, reserve
                    ))
                    .with("cash_after", i.context.cash_after)
                    .with("reserve", reserve)
                })
            },
        },
        CheckDef {
            id: "CASH.GOOD_FAITH_VIOLATION",
            family: Family::CashAndBuyingPower,
            severity: Severity::Warn,
            why: "Regulation T §220.8: in a cash account, selling a purchase paid with unsettled sale proceeds before those proceeds settle is a good-faith violation.",
            params: &[],
            scope: Scope::SELL,
            run: |i, _| {
                if !cash_account(i.account) || i.account.recent_trades.is_empty() {
                    return None;
                }
                let (buy, settles) = unsettled_buy(i, true)?;
                let n = i.account.profile.good_faith_violations_12m;
                Some(
                    Failure::new(format!(
                        "selling {} bought on {} with unsettled proceeds before they settle on {settles} is a good-faith violation ({n} already in the last 12 months)",
                        i.trade.security, buy.trade_date
                    ))
                    .with("bought", buy.trade_date)
                    .with("settles", settles)
                    .with("violations_12m", n),
                )
            },
        },
        CheckDef {
            id: "CASH.GOOD_FAITH_RESTRICTION",
            family: Family::CashAndBuyingPower,
            severity: Severity::Block,
            why: "Regulation T §220.8 and firm policy: a third good-faith violation within 12 months restricts the cash account to settled funds for 90 days, so the sale that would cause it is stopped.",
            params: GOOD_FAITH_RESTRICTION,
            scope: Scope::SELL,
            run: |i, p| {
                if !cash_account(i.account) || i.account.recent_trades.is_empty() {
                    return None;
                }
                let n = i.account.profile.good_faith_violations_12m;
                if Decimal::from(n) < p[0] {
                    return None;
                }
                let (buy, settles) = unsettled_buy(i, true)?;
                Some(
                    Failure::new(format!(
                        "selling {} (bought {} with proceeds settling {settles}) would be good-faith violation number {} in 12 months: the account would be restricted to settled cash for 90 days",
                        i.trade.security,
                        buy.trade_date,
                        n.saturating_add(1)
                    ))
                    .with("violations_12m", n)
                    .with("settles", settles),
                )
            },
        },
        CheckDef {
            id: "CASH.FREE_RIDING",
            family: Family::CashAndBuyingPower,
            severity: Severity::Block,
            why: "Regulation T §220.8(c): selling a purchase that the cash account has not paid for with settled funds is free-riding, which freezes the account for 90 days.",
            params: &[],
            scope: Scope::SELL,
            run: |i, _| {
                if !cash_account(i.account) || i.account.recent_trades.is_empty() {
                    return None;
                }
                let settled = settled_cash(i.account);
                if settled >= Decimal::ZERO {
                    return None;
                }
                let (buy, settles) = unsettled_buy(i, false)?;
                // Purchases paid with unsettled proceeds explain part of the shortfall; the
                // rest was bought with no funds at all.
                let today = i.reference.trade_date;
                let earmarked = i
                    .account
                    .recent_trades
                    .iter()
                    .filter(|t| t.side == Side::Buy && t.paid_with_unsettled && recent(t, today))
                    .filter(|t| settlement_date(t.trade_date) > today)
                    .fold(Decimal::ZERO, |sum, t| sum.saturating_add(cost(i, t)));
                let unpaid = (-settled).saturating_sub(earmarked);
                (unpaid > Decimal::ZERO).then(|| {
                    Failure::new(format!(
                        "selling {} bought on {} before that purchase settles on {settles} is free-riding: settled cash is {settled}, leaving {unpaid} of purchases unpaid",
                        i.trade.security, buy.trade_date
                    ))
                    .with("settled_cash", settled)
                    .with("unpaid", unpaid)
                })
            },
        },
        CheckDef {
            id: "CASH.SETTLED_CASH_ONLY",
            family: Family::CashAndBuyingPower,
            severity: Severity::Block,
            why: "Regulation T §220.8(c): during a 90-day freeze purchases must be paid in full with settled cash when the order is placed; sale proceeds count only once settled.",
            params: &[],
            scope: Scope::BUY,
            run: |i, _| {
                let until = settled_only(i)?;
                let (working, _) = pending(i.account);
                let need = i.context.bought.saturating_add(working);
                let settled = settled_cash(i.account);
                (need > settled).then(|| {
                    Failure::new(format!(
                        "account {} may buy only with settled cash until {until}: the batch buys {} (working buy orders {working}) against settled cash of {settled}",
                        i.account.id, i.context.bought
                    ))
                    .with("settled_only_until", until)
                    .with("needed", need)
                    .with("settled_cash", settled)
                })
            },
        },
        CheckDef {
            id: "CASH.PENDING_BUYS_CONSUME_CASH",
            family: Family::CashAndBuyingPower,
            severity: Severity::Block,
            why: "15c3-5 credit control: buying power is cash less the buy orders already working; working sales add nothing until they execute and settle.",
            params: &[],
            scope: Scope::BUY,
            run: |i, _| {
                if i.account.profile.pending_orders.is_empty() {
                    return None;
                }
                let cash_after = i.context.cash_after;
                let (buys, sells) = pending(i.account);
                // A negative balance is CASH.NEGATIVE_BALANCE's.
                if buys <= Decimal::ZERO || cash_after < Decimal::ZERO {
                    return None;
                }
                let left = cash_after.saturating_sub(buys);
                (left < Decimal::ZERO).then(|| {
                    Failure::new(format!(
                        "working buy orders of {buys} and this batch leave buying power at {left} (cash after the batch {cash_after}); working sales of {sells} are not counted until they settle"
                    ))
                    .with("pending_buys", buys)
                    .with("buying_power", left)
                })
            },
        },
        CheckDef {
            id: "CASH.UNSETTLED_FUNDS_BUY",
            family: Family::CashAndBuyingPower,
            severity: Severity::Info,
            why: "Regulation T §220.8: a cash account may buy with unsettled sale proceeds, but those purchases must then be held until the proceeds settle; recorded for the good-faith audit trail.",
            params: &[],
            scope: Scope::BUY,
            run: |i, _| {
                // Without unsettled proceeds settled cash is all the cash: nothing to record.
                if i.account.profile.unsettled_cash <= Decimal::ZERO || !cash_account(i.account) || settled_only(i).is_some() {
                    return None;
                }
                let (bought, cash) = (i.context.bought, i.account.cash);
                let settled = settled_cash(i.account);
                (bought > settled && bought <= cash).then(|| {
                    Failure::new(format!(
                        "the batch's buys of {bought} exceed settled cash of {settled}: {} is paid with unsettled sale proceeds, so these purchases must not be sold before those settle",
                        bought.saturating_sub(settled)
                    ))
                    .with("bought", bought)
                    .with("settled_cash", settled)
                })
            },
        },
        CheckDef {
            id: "CASH.BUYING_POWER_INPUTS_INVALID",
            family: Family::CashAndBuyingPower,
            severity: Severity::Block,
            why: "15c3-5 credit controls are only as good as their inputs: negative unsettled proceeds or a working order without a positive amount would overstate buying power.",
            params: &[],
            scope: Scope::BUY,
            run: |i, _| {
                let p = &i.account.profile;
                let unsettled = p.unsettled_cash;
                let bad_order = p.pending_orders.iter().find(|o| o.amount <= Decimal::ZERO);
                if unsettled >= Decimal::ZERO && bad_order.is_none() {
                    return None;
                }
                let what = match bad_order {
                    Some(o) => format!("the working {} order for {} has an amount of {}", o.side.as_str(), o.security, o.amount),
                    None => format!("unsettled proceeds are negative ({unsettled})"),
                };
                Some(
                    Failure::new(format!("buying power of account {} cannot be computed: {what}", i.account.id))
                        .with("unsettled_cash", unsettled),
                )
            },
        },
        CheckDef {
            id: "CASH.UNSETTLED_BUY_NEAR_RESTRICTION",
            family: Family::CashAndBuyingPower,
            severity: Severity::Warn,
            why: "Regulation T §220.8: an account with two good-faith violations in 12 months is one violation from a 90-day settled-cash restriction, so buying with unsettled proceeds is shown to the advisor.",
            params: NEAR_RESTRICTION,
            scope: Scope::BUY,
            run: |i, p| {
                let n = i.account.profile.good_faith_violations_12m;
                if n == 0 || Decimal::from(n) < p[0] || !cash_account(i.account) || settled_only(i).is_some() {
                    return None;
                }
                let (bought, settled) = (i.context.bought, settled_cash(i.account));
                (bought > settled).then(|| {
                    Failure::new(format!(
                        "account {} has {n} good-faith violations in the last 12 months and the batch's buys of {bought} exceed settled cash of {settled}: one more violation restricts it to settled cash for 90 days",
                        i.account.id
                    ))
                    .with("violations_12m", n)
                    .with("bought", bought)
                    .with("settled_cash", settled)
                })
            },
        },
        CheckDef {
            id: "CASH.MONEY_MARKET_UNSETTLED_FUNDS",
            family: Family::CashAndBuyingPower,
            severity: Severity::Warn,
            why: "Money-market purchases settle on the trade date, so in a cash account they can only be paid with settled cash; proceeds settling T+1 leave them unpaid on settlement.",
            params: &[],
            scope: Scope::BUY.kinds(&[SecurityKind::CashEquivalent]),
            run: |i, _| {
                if !cash_account(i.account) {
                    return None;
                }
                let settled = settled_cash(i.account);
                (i.trade.amount > settled).then(|| {
                    Failure::new(format!(
                        "the {} purchase of {} settles today but settled cash is {settled}: the rest would come from proceeds settling {}",
                        i.trade.amount,
                        i.trade.security,
                        settlement_date(i.reference.trade_date)
                    ))
                    .with("amount", i.trade.amount)
                    .with("settled_cash", settled)
                })
            },
        },
        CheckDef {
            id: "CASH.BELOW_MODEL_CASH",
            family: Family::CashAndBuyingPower,
            severity: Severity::Warn,
            why: "The model's cash weight pays fees and small withdrawals without forced sales; buys that take cash below its tolerance band spend that cushion.",
            params: &[],
            scope: Scope::BUY,
            run: |i, _| {
                let mv = i.context.market_value_f;
                if mv <= 0.0 {
                    return None;
                }
                let m = i.reference.valid_model(&i.account.model)?;
                let band = m.band_absolute.max(m.band_relative * m.cash_weight);
                let floor = m.cash_weight - band;
                let w = to_f64(i.context.cash_after) / mv;
                (floor > 0.0 && w < floor).then(|| {
                    Failure::new(format!(
                        "the batch leaves cash at {} of the account, below the model's {} cash target less its {} band",
                        pct_f(w),
                        pct_f(m.cash_weight),
                        pct_f(band)
                    ))
                    .with("cash_weight_after", pct_f(w))
                    .with("model_cash_weight", pct_f(m.cash_weight))
                })
            },
        },
        CheckDef {
            id: "CASH.WITHDRAWAL_NOT_FUNDED",
            family: Family::CashAndBuyingPower,
            severity: Severity::Warn,
            why: "Cash earmarked for a pending withdrawal should not be invested: spending it forces sales later, possibly at a loss or a tax cost.",
            params: &[],
            scope: Scope::BUY,
            run: |i, _| {
                let (w, after) = (i.account.withdrawal, i.context.cash_after);
                (w > Decimal::ZERO && after < w).then(|| {
                    Failure::new(format!("the batch's buys leave cash at {after}, below the pending withdrawal of {w}"))
                        .with("cash_after", after)
                        .with("withdrawal", w)
                })
            },
        },
        CheckDef {
            id: "CASH.WITHDRAWAL_RAISE_SHORTFALL",
            family: Family::CashAndBuyingPower,
            severity: Severity::Warn,
            why: "Sales raising cash for a withdrawal should raise all of it; a short raise leaves the client's request unpaid and needs a second round of trades.",
            params: &[],
            scope: Scope::SELL,
            run: |i, _| {
                let (w, after) = (i.account.withdrawal, i.context.cash_after);
                (i.trade.reason == TradeReason::CashRaise && w > Decimal::ZERO && after < w).then(|| {
                    Failure::new(format!(
                        "the batch's sales raise {} but leave cash at {after}, {} short of the pending withdrawal of {w}",
                        i.context.sold,
                        w.saturating_sub(after)
                    ))
                    .with("cash_after", after)
                    .with("withdrawal", w)
                })
            },
        },
        CheckDef {
            id: "CASH.WITHDRAWAL_AWAITS_SETTLEMENT",
            family: Family::CashAndBuyingPower,
            severity: Severity::Info,
            why: "Unsettled sale proceeds cannot be paid out of a cash account (Regulation T §220.8): a withdrawal that needs the proceeds of the sales raising it waits for their settlement date.",
            params: &[],
            scope: Scope::SELL,
            run: |i, _| {
                let w = i.account.withdrawal;
                if w <= Decimal::ZERO || i.trade.reason != TradeReason::CashRaise {
                    return None;
                }
                let settled = settled_cash(i.account);
                (settled < w).then(|| {
                    let settles = settlement_date(i.reference.trade_date);
                    Failure::new(format!(
                        "the pending withdrawal of {w} exceeds settled cash of {settled}: it can be paid on {settles} at the earliest, when this sale settles"
                    ))
                    .with("withdrawal", w)
                    .with("settles", settles)
                })
            },
        },
        CheckDef {
            id: "CASH.EXCESS_CASH_SALE",
            family: Family::CashAndBuyingPower,
            severity: Severity::Warn,
            why: "Cash drag: selling into an account that would keep a large uninvested balance (beyond its withdrawal and reserve) earns the client little and raises reverse-churning questions in a fee-based account.",
            params: EXCESS_CASH,
            scope: Scope::SELL,
            run: |i, p| {
                let mv = i.context.market_value;
                let after = i.context.cash_after;
                // Screen: free cash never exceeds cash after the batch.
                if i.context.market_value_f <= 0.0 || to_f64(after) < to_f64(p[0]) * i.context.market_value_f * 0.99 {
                    return None;
                }
                let free = after.saturating_sub(i.account.withdrawal).saturating_sub(i.account.cash_reserve);
                (free > p[0] * mv).then(|| {
                    Failure::new(format!(
                        "after this batch the account would hold {free} of uninvested cash beyond its withdrawal and reserve, {} of its {mv} value (limit {})",
                        pct(ratio(free, mv)),
                        pct(p[0])
                    ))
                    .with("free_cash", free)
                    .with("market_value", mv)
                })
            },
        },
        CheckDef {
            id: "CASH.RMD_NOT_COVERED",
            family: Family::CashAndBuyingPower,
            severity: Severity::Warn,
            why: "IRC §401(a)(9) and §4974: a required minimum distribution not taken by 31 December costs a 25% excise tax, so late in the year its cash is not invested.",
            params: RMD_MONTH,
            scope: Scope::BUY.accounts(&[AccountType::TraditionalIra, AccountType::Qualified]),
            run: |i, p| {
                let rmd = i.account.profile.rmd_remaining;
                let today = i.reference.trade_date;
                if rmd <= Decimal::ZERO || today.month() < whole(p[0]) {
                    return None;
                }
                let after = i.context.cash_after;
                (after < rmd).then(|| {
                    Failure::new(format!(
                        "the batch leaves cash of {after}, short of the {rmd} required minimum distribution still due by {}-12-31",
                        today.year()
                    ))
                    .with("cash_after", after)
                    .with("rmd_remaining", rmd)
                })
            },
        },
        CheckDef {
            id: "CASH.RMD_SETTLES_NEXT_YEAR",
            family: Family::CashAndBuyingPower,
            severity: Severity::Warn,
            why: "IRC §401(a)(9): the distribution must be paid by 31 December, and a sale that settles in January cannot fund it (25% excise tax under §4974).",
            params: &[],
            scope: Scope::SELL.accounts(&[AccountType::TraditionalIra, AccountType::Qualified]),
            run: |i, _| {
                let rmd = i.account.profile.rmd_remaining;
                let today = i.reference.trade_date;
                if rmd <= Decimal::ZERO || today.month() != 12 {
                    return None;
                }
                let settles = settlement_date(today);
                let settled = settled_cash(i.account);
                (settles.year() > today.year() && settled < rmd).then(|| {
                    Failure::new(format!(
                        "this sale settles on {settles}, after year end: its proceeds cannot fund the {rmd} required minimum distribution still due for {} (settled cash {settled})",
                        today.year()
                    ))
                    .with("settles", settles)
                    .with("rmd_remaining", rmd)
                })
            },
        },
        CheckDef {
            id: "CASH.PDT_DESIGNATION",
            family: Family::CashAndBuyingPower,
            severity: Severity::Warn,
            why: "FINRA Rule 4210(f)(8)(B): four day trades within five business days make a margin account a pattern day trader, which must then keep $25,000 of equity.",
            params: PDT_DESIGNATION,
            scope: Scope::SELL,
            run: |i, p| {
                if cash_account(i.account) || i.account.recent_trades.is_empty() {
                    return None;
                }
                let n = i.account.profile.day_trades_5d;
                if Decimal::from(n.saturating_add(1)) != p[0] {
                    return None;
                }
                day_trade(i).then(|| {
                    Failure::new(format!(
                        "selling {} bought today is day trade number {} in five business days: the account becomes a pattern day trader",
                        i.trade.security,
                        n.saturating_add(1)
                    ))
                    .with("day_trades_5d", n)
                })
            },
        },
        CheckDef {
            id: "CASH.PDT_MIN_EQUITY",
            family: Family::CashAndBuyingPower,
            severity: Severity::Block,
            why: "FINRA Rule 4210(f)(8)(B)(iv): a pattern day trader may not day trade on a day its equity is below $25,000.",
            params: PDT_MIN_EQUITY,
            scope: Scope::SELL,
            run: |i, p| {
                if cash_account(i.account) || i.account.recent_trades.is_empty() {
                    return None;
                }
                let n = i.account.profile.day_trades_5d;
                let equity = i.context.market_value;
                if Decimal::from(n) < p[0] || equity >= p[1] {
                    return None;
                }
                day_trade(i).then(|| {
                    Failure::new(format!(
                        "account {} is a pattern day trader ({n} day trades in five business days) with equity of {equity}, below the {} minimum: day trade in {} refused",
                        i.account.id, p[1], i.trade.security
                    ))
                    .with("equity", equity)
                    .with("min_equity", p[1])
                })
            },
        },
    ]
}
