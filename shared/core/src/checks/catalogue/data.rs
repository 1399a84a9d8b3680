//! Data quality checks.

#[allow(unused_imports)]
use super::prelude::*;

const PRICE_COLLAR: &[ParamDef] = &[ParamDef {
    name: "max_deviation",
    meaning: "largest fraction the trade price may differ from the reference price",
    default: dec(5, 2),
    min: dec(1, 3),
    max: dec(50, 2),
}];

const STALE_PRICE: &[ParamDef] = &[ParamDef {
    name: "max_age_days",
    meaning: "days a price may be older than the trade date",
    default: dec(3, 0),
    min: dec(0, 0),
    max: dec(30, 0),
}];

pub(super) fn checks() -> Vec<CheckDef> {
    vec![
        CheckDef {
            id: "DATA.NON_POSITIVE_PRICE",
            family: Family::DataQuality,
            severity: Severity::Block,
            why: "A zero or negative price is never a valid order price.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| {
                (i.trade.price <= Decimal::ZERO).then(|| {
                    Failure::new(format!("order price {} is not positive", i.trade.price)).with("price", i.trade.price)
                })
            },
        },
        CheckDef {
            id: "DATA.UNKNOWN_SECURITY",
            family: Family::DataQuality,
            severity: Severity::Block,
            why: "An order for a security the security master does not know cannot be priced, classified or checked.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| {
                i.security.is_none().then(|| {
                    Failure::new(format!("{} is not in the security master", i.trade.security))
                        .with("security", &i.trade.security)
                })
            },
        },
        CheckDef {
            id: "DATA.MISSING_PRICE",
            family: Family::DataQuality,
            severity: Severity::Block,
            why: "Without a reference price the order's value, collar and buying power cannot be verified.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| {
                let sec = i.security?;
                i.reference.price(sec).is_none().then(|| {
                    Failure::new(format!("no reference price for {}", i.trade.security)).with("security", &i.trade.security)
                })
            },
        },
        CheckDef {
            id: "DATA.STALE_PRICE",
            family: Family::DataQuality,
            severity: Severity::Warn,
            why: "A price older than the last few sessions may no longer reflect the market.",
            params: STALE_PRICE,
            scope: Scope::ANY,
            run: |i, p| {
                let as_of = i.reference.price_as_of(i.security?)?.date_naive();
                let max_age = p[0].trunc().try_into().unwrap_or(0u64);
                let oldest = i.reference.trade_date.checked_sub_days(Days::new(max_age))?;
                (as_of < oldest).then(|| {
                    Failure::new(format!(
                        "price of {} is from {as_of}, more than {max_age} days before the trade date {}",
                        i.trade.security, i.reference.trade_date
                    ))
                    .with("as_of", as_of)
                    .with("max_age_days", max_age)
                })
            },
        },
        CheckDef {
            id: "DATA.PRICE_COLLAR",
            family: Family::DataQuality,
            severity: Severity::Block,
            why: "15c3-5 erroneous-order control: an order priced far from the reference price is likely a mistake.",
            params: PRICE_COLLAR,
            scope: Scope::ANY,
            run: |i, p| {
                let sec = i.security?;
                // Float screen: well inside the collar needs no decimal division.
                let (p_f, r_f) = (to_f64(i.trade.price), i.reference.price_f64(sec));
                if r_f > 0.0 && ((p_f - r_f) / r_f).abs() < to_f64(p[0]) * 0.99 {
                    return None;
                }
                let reference = i.reference.price(sec)?;
                let deviation = ((i.trade.price - reference) / reference).abs();
                (deviation > p[0]).then(|| {
                    Failure::new(format!(
                        "order price {} is {}% from the reference price {} (limit {}%)",
                        i.trade.price,
                        (deviation * Decimal::ONE_HUNDRED).round_dp(2),
                        reference,
                        p[0] * Decimal::ONE_HUNDRED
                    ))
                    .with("price", i.trade.price)
                    .with("reference_price", reference)
                })
            },
        },
        CheckDef {
            id: "DATA.NON_POSITIVE_QUANTITY",
            family: Family::DataQuality,
            severity: Severity::Block,
            why: "A zero or negative quantity is never a valid order.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| {
                (i.trade.quantity <= Decimal::ZERO).then(|| {
                    Failure::new(format!("quantity {} is not positive", i.trade.quantity)).with("quantity", i.trade.quantity)
                })
            },
        },
        CheckDef {
            id: "DATA.FRACTIONAL_NOT_ALLOWED",
            family: Family::DataQuality,
            severity: Severity::Block,
            why: "Fractional quantities are only accepted for securities and accounts set up for them (closing a fractional position is allowed).",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| {
                let s = security(i)?;
                let scale = s.quantity_scale(i.account.allows_fractional);
                if i.trade.quantity.scale() <= scale {
                    return None;
                }
                let closes_position = i.trade.side == Side::Sell && i.trade.quantity == i.context.held(i.security?);
                (i.trade.quantity.round_dp(scale) != i.trade.quantity && !closes_position).then(|| {
                    Failure::new(format!(
                        "quantity {} of {} has more than {scale} decimal places allowed for this account",
                        i.trade.quantity, s.id
                    ))
                    .with("quantity", i.trade.quantity)
                    .with("allowed_decimals", scale)
                })
            },
        },
        CheckDef {
            id: "DATA.AMOUNT_MISMATCH",
            family: Family::DataQuality,
            severity: Severity::Block,
            why: "The order's amount must equal quantity × price; a mismatch means a corrupted order.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| {
                let screen = to_f64(i.trade.quantity) * to_f64(i.trade.price) - to_f64(i.trade.amount);
                if screen.abs() < 0.001 {
                    return None;
                }
                let expected = i.trade.quantity * i.trade.price;
                ((expected - i.trade.amount).abs() > CENT).then(|| {
                    Failure::new(format!(
                        "amount {} differs from quantity {} × price {} = {}",
                        i.trade.amount, i.trade.quantity, i.trade.price, expected
                    ))
                    .with("amount", i.trade.amount)
                    .with("expected", expected)
                })
            },
        },
    ]
}
