//! Erroneous orders checks.

#[allow(unused_imports)]
use super::prelude::*;

const NOTIONAL_LIMIT: &[ParamDef] = &[ParamDef {
    name: "max_notional",
    meaning: "largest order, in dollars",
    default: dec(5_000_000, 0),
    min: dec(1_000, 0),
    max: dec(1_000_000_000, 0),
}];

const FAT_FINGER: &[ParamDef] = &[ParamDef {
    name: "max_fraction_of_account",
    meaning: "largest buy as a fraction of the account's value",
    default: dec(50, 2),
    min: dec(1, 2),
    max: dec(1, 0),
}];

const QUANTITY_LIMIT: &[ParamDef] = &[ParamDef {
    name: "max_quantity",
    meaning: "largest order, in shares",
    default: dec(1_000_000, 0),
    min: dec(1, 0),
    max: dec(100_000_000, 0),
}];

pub(super) fn checks() -> Vec<CheckDef> {
    vec![
        CheckDef {
            id: "ORDER.QUANTITY_LIMIT",
            family: Family::ErroneousOrder,
            severity: Severity::Block,
            why: "15c3-5 erroneous-order control: no single order above a set number of shares.",
            params: QUANTITY_LIMIT,
            scope: Scope::ANY,
            run: |i, p| {
                (i.trade.quantity > p[0]).then(|| {
                    Failure::new(format!("order of {} shares exceeds the {} share limit", i.trade.quantity, p[0]))
                        .with("quantity", i.trade.quantity)
                        .with("limit", p[0])
                })
            },
        },
        CheckDef {
            id: "ORDER.BELOW_MIN_TRADE",
            family: Family::ErroneousOrder,
            severity: Severity::Warn,
            why: "Orders below the model's minimum trade cost more in friction than they fix in drift.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| {
                let min = i.context.min_trade?;
                (i.trade.amount < min).then(|| {
                    Failure::new(format!("order of {} is below the model's minimum trade of {}", i.trade.amount, min))
                        .with("amount", i.trade.amount)
                        .with("min_trade", min)
                })
            },
        },
        CheckDef {
            id: "ORDER.DUPLICATE_IN_BATCH",
            family: Family::ErroneousOrder,
            severity: Severity::Block,
            why: "15c3-5 duplicate-order control: the same security and side twice for one account in one batch.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| {
                let n = i.context.batch_count(i.security?, i.trade.side);
                (n > 1).then(|| {
                    Failure::new(format!(
                        "{} {} orders for {} in this batch for account {}",
                        n,
                        i.trade.side.as_str(),
                        i.trade.security,
                        i.account.id
                    ))
                    .with("count", n)
                })
            },
        },
        CheckDef {
            id: "ORDER.BUY_AND_SELL_SAME_SECURITY",
            family: Family::ErroneousOrder,
            severity: Severity::Warn,
            why: "Buying and selling one security in the same batch only pays commissions and spreads.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| {
                let sec = i.security?;
                let other = if i.trade.side == Side::Buy { Side::Sell } else { Side::Buy };
                (i.context.batch_count(sec, other) > 0).then(|| {
                    Failure::new(format!("{} is both bought and sold in this batch", i.trade.security))
                        .with("security", &i.trade.security)
                })
            },
        },
        CheckDef {
            id: "ORDER.NOTIONAL_LIMIT",
            family: Family::ErroneousOrder,
            severity: Severity::Block,
            why: "15c3-5 erroneous-order control: no single order above a set notional.",
            params: NOTIONAL_LIMIT,
            scope: Scope::ANY,
            run: |i, p| {
                (i.trade.amount > p[0]).then(|| {
                    Failure::new(format!("order of {} exceeds the {} per-order limit", i.trade.amount, p[0]))
                        .with("amount", i.trade.amount)
                        .with("limit", p[0])
                })
            },
        },
        CheckDef {
            id: "ORDER.SELL_MORE_THAN_HELD",
            family: Family::ErroneousOrder,
            severity: Severity::Block,
            why: "Client accounts may not sell short: a sale must not exceed the position.",
            params: &[],
            scope: Scope::SELL,
            run: |i, _| {
                let held = i.security.map(|s| i.context.held(s)).unwrap_or_default();
                (i.trade.side == Side::Sell && i.trade.quantity > held).then(|| {
                    Failure::new(format!("sale of {} {} exceeds the {} held", i.trade.quantity, i.trade.security, held))
                        .with("quantity", i.trade.quantity)
                        .with("held", held)
                })
            },
        },
        CheckDef {
            id: "ORDER.FAT_FINGER_ACCOUNT_SIZE",
            family: Family::ErroneousOrder,
            severity: Severity::Warn,
            why: "A single buy worth a large part of the whole account is more often a typo than intent.",
            params: FAT_FINGER,
            scope: Scope::BUY,
            run: |i, p| {
                let value = i.context.market_value;
                (i.trade.side == Side::Buy && value > Decimal::ZERO && i.trade.amount > value * p[0]).then(|| {
                    Failure::new(format!(
                        "buy of {} is more than {}% of the account's {}",
                        i.trade.amount,
                        p[0] * Decimal::ONE_HUNDRED,
                        value
                    ))
                    .with("amount", i.trade.amount)
                    .with("account_value", value)
                })
            },
        },
    ]
}
