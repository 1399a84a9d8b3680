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

const ADV_REVIEW: &[ParamDef] = &[ParamDef {
    name: "review_fraction",
    meaning: "order size, as a fraction of average daily volume, above which the order is reviewed",
    default: dec(5, 2),
    min: dec(1, 3),
    max: dec(1, 0),
}];

const ADV_LIMIT: &[ParamDef] = &[ParamDef {
    name: "max_fraction",
    meaning: "largest buy, as a fraction of average daily volume",
    default: dec(25, 2),
    min: dec(1, 2),
    max: dec(10, 0),
}];

const REPEATS_RECENT_FILL: &[ParamDef] = &[ParamDef {
    name: "days",
    meaning: "calendar days back in which an identical execution counts as a possible resubmission",
    default: dec(2, 0),
    min: dec(0, 0),
    max: dec(10, 0),
}];

const LAST_FILL: &[ParamDef] = &[
    ParamDef {
        name: "max_deviation",
        meaning: "largest fraction the order price may differ from the account's last fill",
        default: dec(25, 2),
        min: dec(1, 2),
        max: dec(5, 0),
    },
    ParamDef {
        name: "days",
        meaning: "calendar days back a fill is recent enough to compare with",
        default: dec(5, 0),
        min: dec(1, 0),
        max: dec(30, 0),
    },
];

const STUB: &[ParamDef] = &[ParamDef {
    name: "min_residual",
    meaning: "smallest value, in dollars, a partial sale may leave in the position",
    default: dec(100, 0),
    min: dec(0, 0),
    max: dec(100_000, 0),
}];

const MULTIPLIES_POSITION: &[ParamDef] = &[
    ParamDef {
        name: "max_multiple",
        meaning: "largest buy as a multiple of the quantity already held",
        default: dec(10, 0),
        min: dec(1, 0),
        max: dec(1_000, 0),
    },
    ParamDef {
        name: "min_notional",
        meaning: "order value from which the multiple is checked",
        default: dec(10_000, 0),
        min: dec(0, 0),
        max: dec(1_000_000_000, 0),
    },
];

const TINY_ORDER: &[ParamDef] = &[ParamDef {
    name: "min_amount",
    meaning: "smallest order value, in dollars",
    default: dec(1, 0),
    min: dec(1, 2),
    max: dec(1_000, 0),
}];

const OPTION_CONTRACTS: &[ParamDef] = &[ParamDef {
    name: "max_contracts",
    meaning: "largest option order, in contracts",
    default: dec(100, 0),
    min: dec(1, 0),
    max: dec(100_000, 0),
}];

const BOND_INCREMENT: &[ParamDef] = &[ParamDef {
    name: "increment",
    meaning: "face amount, in dollars, bond purchases are made in multiples of (a smaller minimum denomination wins)",
    default: dec(1_000, 0),
    min: dec(1, 0),
    max: dec(1_000_000, 0),
}];

const BATCH_SIZE: &[ParamDef] = &[ParamDef {
    name: "max_orders",
    meaning: "most orders for one account in one batch",
    default: dec(150, 0),
    min: dec(1, 0),
    max: dec(10_000, 0),
}];

/// Bonds are priced per $100 of face value, so one unit of quantity is $100 of face.
const FACE_PER_UNIT: Decimal = dec(100, 0);

/// The order's size as a fraction of the security's average daily volume, when it is above
/// `limit` (ADV known and positive).
fn above_adv(i: &CheckInput<'_>, limit: Decimal) -> Option<(Decimal, Decimal)> {
    let adv = security(i)?.profile.adv.filter(|a| *a > Decimal::ZERO)?;
    // Float screen: most orders are a sliver of a day's volume.
    if to_f64(i.trade.quantity) < to_f64(adv) * to_f64(limit) * 0.99 {
        return None;
    }
    if i.trade.quantity <= adv.checked_mul(limit)? {
        return None;
    }
    Some((adv, i.trade.quantity.checked_div(adv)?))
}

/// [`pct`] for fractions that can be arbitrarily large (a huge order over a tiny volume):
/// never overflows, falls back to the plain fraction.
pub(super) fn pct_any(fraction: Decimal) -> String {
    match fraction.checked_mul(Decimal::ONE_HUNDRED) {
        Some(_) => pct(fraction),
        None => format!("{fraction} times"),
    }
}

fn other_side(side: Side) -> Side {
    if side == Side::Buy {
        Side::Sell
    } else {
        Side::Buy
    }
}

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
        CheckDef {
            id: "ORDER.ADV_REVIEW",
            family: Family::ErroneousOrder,
            severity: Severity::Warn,
            why: "An order that is a noticeable share of a day's volume moves the price against the client; the trader reviews how to work it (this tier sends the order, the ADV_LIMIT tier stops buys).",
            params: ADV_REVIEW,
            scope: Scope::ANY.kinds(&[SecurityKind::Equity, SecurityKind::Etf, SecurityKind::Option]),
            run: |i, p| {
                let (adv, fraction) = above_adv(i, p[0])?;
                Some(
                    Failure::new(format!(
                        "order of {} {} is {} of its average daily volume of {adv} (review above {})",
                        i.trade.quantity,
                        i.trade.security,
                        pct_any(fraction),
                        pct(p[0])
                    ))
                    .with("quantity", i.trade.quantity)
                    .with("adv", adv),
                )
            },
        },
        CheckDef {
            id: "ORDER.ADV_LIMIT",
            family: Family::ErroneousOrder,
            severity: Severity::Block,
            why: "15c3-5 erroneous-order control: a buy that is a large share of a day's volume is most often a quantity typo and cannot be filled without moving the market (a sale that large is a liquidation worked over days, which ADV_REVIEW flags).",
            params: ADV_LIMIT,
            scope: Scope::BUY.kinds(&[SecurityKind::Equity, SecurityKind::Etf, SecurityKind::Option]),
            run: |i, p| {
                let (adv, fraction) = above_adv(i, p[0])?;
                Some(
                    Failure::new(format!(
                        "buy of {} {} is {} of its average daily volume of {adv} (limit {})",
                        i.trade.quantity,
                        i.trade.security,
                        pct_any(fraction),
                        pct(p[0])
                    ))
                    .with("quantity", i.trade.quantity)
                    .with("adv", adv),
                )
            },
        },
        CheckDef {
            id: "ORDER.SAME_AS_WORKING_ORDER",
            family: Family::ErroneousOrder,
            severity: Severity::Block,
            why: "15c3-5 duplicate-order control: an order with the same security, side and quantity as one still working for the account is a resubmission that would double the trade.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| {
                let t = i.trade;
                let o = i
                    .account
                    .profile
                    .pending_orders
                    .iter()
                    .find(|o| o.side == t.side && o.quantity == t.quantity && o.security == t.security)?;
                Some(
                    Failure::new(format!(
                        "a {} of {} {} placed on {} is still working for account {}: this order would duplicate it",
                        t.side.as_str(),
                        o.quantity,
                        t.security,
                        o.placed,
                        i.account.id
                    ))
                    .with("working_quantity", o.quantity)
                    .with("placed", o.placed),
                )
            },
        },
        CheckDef {
            id: "ORDER.ADDS_TO_WORKING_BUY",
            family: Family::ErroneousOrder,
            severity: Severity::Warn,
            why: "A buy of a security the account is already buying through a working order adds to it; unless the working order is cancelled first, the account buys both.",
            params: &[],
            scope: Scope::BUY,
            run: |i, _| {
                let t = i.trade;
                let mut working = Decimal::ZERO;
                let mut other_quantity = false;
                for o in &i.account.profile.pending_orders {
                    if o.side == Side::Buy && o.security == t.security {
                        working = working.checked_add(o.quantity)?;
                        other_quantity |= o.quantity != t.quantity;
                    }
                }
                // Only identical orders: ORDER.SAME_AS_WORKING_ORDER reports them.
                if !other_quantity {
                    return None;
                }
                let total = working.checked_add(t.quantity)?;
                Some(
                    Failure::new(format!(
                        "working orders already buy {working} {}: with this buy of {} the account would buy {total}",
                        t.security, t.quantity
                    ))
                    .with("working_quantity", working)
                    .with("total", total),
                )
            },
        },
        CheckDef {
            id: "ORDER.AGAINST_WORKING_ORDER",
            family: Family::ErroneousOrder,
            severity: Severity::Warn,
            why: "Buying a security the account is selling through a working order (or the reverse) trades against itself, pays two spreads and can look like a wash trade; one of the two orders is usually stale.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| {
                let t = i.trade;
                let other = other_side(t.side);
                let o = i.account.profile.pending_orders.iter().find(|o| o.side == other && o.security == t.security)?;
                Some(
                    Failure::new(format!(
                        "a {} of {} {} placed on {} is still working: this {} trades against it",
                        other.as_str(),
                        o.quantity,
                        t.security,
                        o.placed,
                        t.side.as_str()
                    ))
                    .with("working_side", other.as_str())
                    .with("working_quantity", o.quantity),
                )
            },
        },
        CheckDef {
            id: "ORDER.OVERSELLS_WITH_WORKING_SALES",
            family: Family::ErroneousOrder,
            severity: Severity::Warn,
            why: "Shares committed to a working sale are not available to sell again: this sale and the working ones together must not exceed the position, unless the working orders are cancelled first.",
            params: &[],
            scope: Scope::SELL,
            run: |i, _| {
                let t = i.trade;
                let mut working = Decimal::ZERO;
                for o in &i.account.profile.pending_orders {
                    if o.side == Side::Sell && o.security == t.security {
                        working = working.checked_add(o.quantity)?;
                    }
                }
                if working.is_zero() {
                    return None;
                }
                let held = i.context.held(i.security?);
                // A sale larger than the position on its own is ORDER.SELL_MORE_THAN_HELD.
                if t.quantity > held {
                    return None;
                }
                let total = working.checked_add(t.quantity)?;
                (total > held).then(|| {
                    Failure::new(format!(
                        "working orders already sell {working} of the {held} {} held: with this sale of {} the account would sell {total}",
                        t.security, t.quantity
                    ))
                    .with("working_quantity", working)
                    .with("held", held)
                })
            },
        },
        CheckDef {
            id: "ORDER.REPEATS_RECENT_FILL",
            family: Family::ErroneousOrder,
            severity: Severity::Warn,
            why: "15c3-5 duplicate-order control: an order identical to an execution of the last days (same security, side and quantity) is often a resubmission after a lost fill report.",
            params: REPEATS_RECENT_FILL,
            scope: Scope::ANY,
            run: |i, p| {
                let t = i.trade;
                if i.account.recent_trades.is_empty() {
                    return None;
                }
                let trade_date = i.reference.trade_date;
                let days = p[0].trunc().try_into().unwrap_or(0u64);
                let since = trade_date.checked_sub_days(Days::new(days))?;
                let fill = i.account.recent_trades.iter().find(|r| {
                    r.side == t.side
                        && r.quantity == t.quantity
                        && r.trade_date >= since
                        && r.trade_date <= trade_date
                        && r.security == t.security
                })?;
                Some(
                    Failure::new(format!(
                        "a {} of {} {} already executed on {}: this order may resubmit it",
                        t.side.as_str(),
                        fill.quantity,
                        t.security,
                        fill.trade_date
                    ))
                    .with("executed_on", fill.trade_date),
                )
            },
        },
        CheckDef {
            id: "ORDER.PRICE_FAR_FROM_LAST_FILL",
            family: Family::ErroneousOrder,
            severity: Severity::Warn,
            why: "An order price far from the account's own fill of a few days ago points to an unadjusted split or a bad reference price that the reference-price collar cannot see (it compares with that same price).",
            params: LAST_FILL,
            scope: Scope::ANY,
            run: |i, p| {
                let t = i.trade;
                if i.account.recent_trades.is_empty() {
                    return None;
                }
                let trade_date = i.reference.trade_date;
                let days = p[1].trunc().try_into().unwrap_or(0u64);
                let since = trade_date.checked_sub_days(Days::new(days))?;
                let (last, on) = i
                    .account
                    .recent_trades
                    .iter()
                    .filter(|r| r.trade_date >= since && r.trade_date <= trade_date && r.security == t.security)
                    .filter_map(|r| r.price.filter(|x| *x > Decimal::ZERO).map(|x| (x, r.trade_date)))
                    .max_by_key(|x| x.1)?;
                let (p_f, l_f) = (to_f64(t.price), to_f64(last));
                if ((p_f - l_f) / l_f).abs() < to_f64(p[0]) * 0.99 {
                    return None;
                }
                let deviation = t.price.checked_sub(last)?.checked_div(last)?.abs();
                (deviation > p[0]).then(|| {
                    Failure::new(format!(
                        "order price {} of {} is {} from the account's last fill at {last} on {on} (limit {})",
                        t.price,
                        t.security,
                        pct_any(deviation),
                        pct(p[0])
                    ))
                    .with("price", t.price)
                    .with("last_fill", last)
                })
            },
        },
        CheckDef {
            id: "ORDER.STUB_LEFT_AFTER_SALE",
            family: Family::ErroneousOrder,
            severity: Severity::Warn,
            why: "A partial sale that leaves a few dollars of a position was almost always meant to close it; the stub is too small to ever sell on its own above a minimum trade.",
            params: STUB,
            scope: Scope::SELL,
            run: |i, p| {
                let t = i.trade;
                let held = i.context.held(i.security?);
                // Float screen: most partial sales leave far more than the minimum.
                if (to_f64(held) - to_f64(t.quantity)) * to_f64(t.price) > to_f64(p[0]) * 1.01 + 0.01 {
                    return None;
                }
                if t.quantity >= held {
                    return None;
                }
                let left = held.checked_sub(t.quantity)?;
                let value = left.checked_mul(t.price)?;
                (value < p[0]).then(|| {
                    Failure::new(format!(
                        "selling {} of the {held} {} held leaves {left} worth {value}, below {}: close the position or sell less",
                        t.quantity, t.security, p[0]
                    ))
                    .with("left", left)
                    .with("left_value", value)
                })
            },
        },
        CheckDef {
            id: "ORDER.BUY_MULTIPLIES_POSITION",
            family: Family::ErroneousOrder,
            severity: Severity::Warn,
            why: "Rebalancing adds to a position by a fraction of it; a buy many times the quantity already held is usually an extra digit in the quantity.",
            params: MULTIPLIES_POSITION,
            scope: Scope::BUY,
            run: |i, p| {
                let t = i.trade;
                // Float screen first: most buys are far below the notional from which it applies.
                if to_f64(t.amount) < to_f64(p[1]) * 0.99 || t.amount < p[1] {
                    return None;
                }
                let held = i.context.held(i.security?);
                if held <= Decimal::ZERO || t.quantity <= held.checked_mul(p[0])? {
                    return None;
                }
                let multiple = t.quantity.checked_div(held)?.round_dp(1);
                Some(
                    Failure::new(format!(
                        "buy of {} {} is {multiple} times the {held} held (limit {} times)",
                        t.quantity, t.security, p[0]
                    ))
                    .with("quantity", t.quantity)
                    .with("held", held),
                )
            },
        },
        CheckDef {
            id: "ORDER.TINY_ORDER",
            family: Family::ErroneousOrder,
            severity: Severity::Block,
            why: "An order worth less than a dollar is a rounding artefact, not an investment decision, and costs more to process than it moves.",
            params: TINY_ORDER,
            scope: Scope::ANY,
            run: |i, p| {
                let t = i.trade;
                // Float screen: almost every order is far above the floor.
                if to_f64(t.amount) > to_f64(p[0]) * 1.01 {
                    return None;
                }
                // Non-positive quantities and prices are reported by the data checks.
                if t.amount >= p[0] || t.quantity <= Decimal::ZERO || t.price <= Decimal::ZERO {
                    return None;
                }
                Some(
                    Failure::new(format!("order of {} for {} is below the {} minimum order value", t.amount, t.security, p[0]))
                        .with("amount", t.amount)
                        .with("min_amount", p[0]),
                )
            },
        },
        CheckDef {
            id: "ORDER.OPTION_CONTRACT_LIMIT",
            family: Family::ErroneousOrder,
            severity: Severity::Block,
            why: "15c3-5 erroneous-order control for options: the share limit is far too loose for contracts of 100 shares each, so options have their own contract limit.",
            params: OPTION_CONTRACTS,
            scope: Scope::ANY.kinds(&[SecurityKind::Option]),
            run: |i, p| {
                (i.trade.quantity > p[0]).then(|| {
                    Failure::new(format!(
                        "order of {} contracts of {} exceeds the {} contract limit",
                        i.trade.quantity, i.trade.security, p[0]
                    ))
                    .with("contracts", i.trade.quantity)
                    .with("limit", p[0])
                })
            },
        },
        CheckDef {
            id: "ORDER.BOND_BELOW_MIN_DENOMINATION",
            family: Family::ErroneousOrder,
            severity: Severity::Block,
            why: "A bond position cannot be smaller than the bond's minimum denomination (the smallest piece the issuer created): a purchase that leaves less than that cannot be settled or held. Bond quantities count $100 of face.",
            params: &[],
            scope: Scope::BUY.kinds(&[SecurityKind::Bond]),
            run: |i, _| {
                let min = security(i)?.profile.bond.as_ref()?.min_denomination;
                if min <= Decimal::ZERO {
                    return None;
                }
                let held = i.context.held(i.security?);
                // Adding to a position already at the minimum is a matter of increments.
                let after = held.checked_add(i.trade.quantity)?.checked_mul(FACE_PER_UNIT)?;
                (after < min).then(|| {
                    let face = i.trade.quantity.checked_mul(FACE_PER_UNIT).unwrap_or(Decimal::ZERO);
                    Failure::new(format!(
                        "buy of {face} face of {} leaves a position of {after} face, below its minimum denomination of {min}",
                        i.trade.security
                    ))
                    .with("face", face)
                    .with("position_face", after)
                    .with("min_denomination", min)
                })
            },
        },
        CheckDef {
            id: "ORDER.BOND_DENOMINATION_MULTIPLE",
            family: Family::ErroneousOrder,
            severity: Severity::Warn,
            why: "Bonds trade in multiples of their increment (usually $1,000 face); an odd piece is hard to sell later and fetches a lower price. Bond quantities count $100 of face.",
            params: BOND_INCREMENT,
            scope: Scope::BUY.kinds(&[SecurityKind::Bond]),
            run: |i, p| {
                let min = security(i)?.profile.bond.as_ref()?.min_denomination;
                let increment = if min > Decimal::ZERO && min < p[0] { min } else { p[0] };
                let face = i.trade.quantity.checked_mul(FACE_PER_UNIT)?;
                if face.checked_rem(increment)?.is_zero() {
                    return None;
                }
                Some(
                    Failure::new(format!(
                        "buy of {face} face of {} is not a multiple of its {increment} trading increment",
                        i.trade.security
                    ))
                    .with("face", face)
                    .with("increment", increment),
                )
            },
        },
        CheckDef {
            id: "ORDER.TOO_MANY_ORDERS",
            family: Family::ErroneousOrder,
            severity: Severity::Warn,
            why: "An unusually long list of orders for one account in one batch points to a runaway model change or bad positions; it is reviewed before it is sent.",
            params: BATCH_SIZE,
            scope: Scope::ANY,
            run: |i, p| {
                let n = i.context.batch.len();
                if (n as f64) < to_f64(p[0]) {
                    return None;
                }
                (Decimal::from(n) > p[0]).then(|| {
                    Failure::new(format!("account {} has {n} orders in this batch (limit {})", i.account.id, p[0]))
                        .with("orders", n)
                        .with("limit", p[0])
                })
            },
        },
    ]
}
