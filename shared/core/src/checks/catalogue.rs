//! The catalogue of pre-trade checks. Each entry says why it exists; docs/CHECKS.md is
//! generated from here.

use chrono::Days;
use rust_decimal::Decimal;

use super::{CheckDef, CheckInput, Failure, Family, ParamDef, Severity};
use crate::account::{AccountStatus, RestrictionKind};
use crate::num::to_f64;
use crate::trade::{Side, Term};

const fn dec(mantissa: i64, scale: u32) -> Decimal {
    Decimal::from_parts(mantissa as u32, (mantissa >> 32) as u32, 0, false, scale)
}

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

const SINGLE_SECURITY: &[ParamDef] = &[ParamDef {
    name: "max_weight",
    meaning: "largest weight of one security after the trade",
    default: dec(25, 2),
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

const LARGE_SHORT_TERM_GAIN: &[ParamDef] = &[ParamDef {
    name: "max_gain",
    meaning: "short-term gain of one sale, in dollars, above which it is flagged",
    default: dec(10_000, 0),
    min: dec(0, 0),
    max: dec(10_000_000, 0),
}];

const CHURN: &[ParamDef] = &[ParamDef {
    name: "max_trades_30d",
    meaning: "executions in the last 30 days above which more trading is flagged",
    default: dec(20, 0),
    min: dec(1, 0),
    max: dec(1_000, 0),
}];

const CENT: Decimal = dec(1, 2);

/// Days either side of a loss sale in which a purchase makes it a wash sale.
const WASH_DAYS: u64 = 30;

/// Whether the security's wash-sale group was bought within the window before the trade
/// date (recorded purchases, or lots acquired in the window).
fn recently_bought(i: &CheckInput<'_>, group: u32) -> Option<chrono::NaiveDate> {
    let start = i.reference.trade_date.checked_sub_days(Days::new(WASH_DAYS))?;
    let same = |security: &str| i.reference.security_index(security).map(|s| i.reference.wash_group(s)) == Some(group);
    let recorded =
        i.account.recent_trades.iter().filter(|t| t.side == Side::Buy && t.trade_date >= start && same(&t.security));
    let lots = i
        .account
        .positions
        .iter()
        .filter(|p| same(&p.security))
        .flat_map(|p| p.lots.iter().map(|l| l.acquired))
        .filter(|&d| d >= start);
    recorded.map(|t| t.trade_date).chain(lots).max()
}

fn status_check(input: &CheckInput<'_>, status: AccountStatus, word: &str) -> Option<Failure> {
    (input.account.status == status).then(|| {
        Failure::new(format!("account {} is {word}: no orders may be placed", input.account.id)).with("status", word)
    })
}

/// The traded security's reference entry, when known.
fn security<'a>(input: &'a CheckInput<'_>) -> Option<&'a crate::security::Security> {
    input.security.map(|i| input.reference.security(i))
}

pub fn catalogue() -> Vec<CheckDef> {
    vec![
        CheckDef {
            id: "DATA.NON_POSITIVE_PRICE",
            family: Family::DataQuality,
            severity: Severity::Block,
            why: "A zero or negative price is never a valid order price.",
            params: &[],
            run: |i, _| {
                (i.trade.price <= Decimal::ZERO).then(|| {
                    Failure::new(format!("order price {} is not positive", i.trade.price)).with("price", i.trade.price)
                })
            },
        },
        CheckDef {
            id: "ACCT.TRADE_FOR_ANOTHER_ACCOUNT",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "A trade must be checked against the account it will be booked to.",
            params: &[],
            run: |i, _| {
                (*i.trade.account != *i.account.id).then(|| {
                    Failure::new(format!(
                        "trade is for account {} but was checked against account {}",
                        i.trade.account, i.account.id
                    ))
                    .with("trade_account", &i.trade.account)
                })
            },
        },
        CheckDef {
            id: "ORDER.QUANTITY_LIMIT",
            family: Family::ErroneousOrder,
            severity: Severity::Block,
            why: "15c3-5 erroneous-order control: no single order above a set number of shares.",
            params: QUANTITY_LIMIT,
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
            run: |i, _| {
                let sec = i.security?;
                let other = if i.trade.side == Side::Buy { Side::Sell } else { Side::Buy };
                (i.context.batch_count(sec, other) > 0).then(|| {
                    Failure::new(format!("{} is both bought and sold in this batch", i.trade.security))
                        .with("security", &i.trade.security)
                })
            },
        },
        // ------------------------------------------------------------ data quality
        CheckDef {
            id: "DATA.UNKNOWN_SECURITY",
            family: Family::DataQuality,
            severity: Severity::Block,
            why: "An order for a security the security master does not know cannot be priced, classified or checked.",
            params: &[],
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
        // ------------------------------------------------------------ account eligibility
        CheckDef {
            id: "ACCT.CLOSED",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "A closed account must not trade.",
            params: &[],
            run: |i, _| status_check(i, AccountStatus::Closed, "closed"),
        },
        CheckDef {
            id: "ACCT.FROZEN",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "A frozen account (legal hold, dispute, 90-day freeze) must not trade.",
            params: &[],
            run: |i, _| status_check(i, AccountStatus::Frozen, "frozen"),
        },
        CheckDef {
            id: "ACCT.DECEASED",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "After the owner's death only the estate's representative may instruct trades.",
            params: &[],
            run: |i, _| status_check(i, AccountStatus::Deceased, "flagged deceased"),
        },
        CheckDef {
            id: "ACCT.PENDING_TRANSFER",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "Assets in an outgoing transfer (ACATS) must not be traded.",
            params: &[],
            run: |i, _| status_check(i, AccountStatus::PendingTransfer, "pending transfer"),
        },
        CheckDef {
            id: "ACCT.RESTRICTED_BUY",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "A restricted account (e.g. after good-faith violations) may only sell.",
            params: &[],
            run: |i, _| {
                (i.account.status == AccountStatus::Restricted && i.trade.side == Side::Buy).then(|| {
                    Failure::new(format!("account {} is restricted to closing sales; buy of {} refused", i.account.id, i.trade.security))
                        .with("status", "restricted")
                })
            },
        },
        // ------------------------------------------------------------ product suitability
        CheckDef {
            id: "SUIT.COMPLEX_PRODUCT_IN_RETIREMENT",
            family: Family::ProductSuitability,
            severity: Severity::Block,
            why: "FINRA RN 09-31: leveraged and inverse products reset daily and are excluded from retirement accounts by policy.",
            params: &[],
            run: |i, _| {
                let s = security(i)?;
                (i.trade.side == Side::Buy && s.complex_product && !i.account.account_type.is_taxable()).then(|| {
                    Failure::new(format!(
                        "{} is a complex (leveraged/inverse) product and cannot be bought in a retirement account",
                        s.id
                    ))
                    .with("security", &s.id)
                })
            },
        },
        // ------------------------------------------------------------ restricted lists
        CheckDef {
            id: "LIST.FIRM_RESTRICTED",
            family: Family::RestrictedLists,
            severity: Severity::Block,
            why: "Securities on the firm's restricted list (e.g. during banking mandates) must not be bought.",
            params: &[],
            run: |i, _| {
                let s = security(i)?;
                (i.trade.side == Side::Buy && s.restricted).then(|| {
                    Failure::new(format!("{} is on the firm's restricted list", s.id)).with("security", &s.id)
                })
            },
        },
        CheckDef {
            id: "LIST.ACCOUNT_DO_NOT_BUY",
            family: Family::RestrictedLists,
            severity: Severity::Block,
            why: "The client or advisor asked never to buy this security in this account.",
            params: &[],
            run: |i, _| {
                (i.trade.side == Side::Buy && i.account.restricted(&i.trade.security, RestrictionKind::DoNotBuy)).then(|| {
                    Failure::new(format!("account {} has a do-not-buy restriction on {}", i.account.id, i.trade.security))
                        .with("security", &i.trade.security)
                })
            },
        },
        CheckDef {
            id: "LIST.ACCOUNT_DO_NOT_HOLD",
            family: Family::RestrictedLists,
            severity: Severity::Block,
            why: "A do-not-hold security may be sold but never bought.",
            params: &[],
            run: |i, _| {
                (i.trade.side == Side::Buy && i.account.restricted(&i.trade.security, RestrictionKind::DoNotHold)).then(|| {
                    Failure::new(format!("account {} must not hold {}", i.account.id, i.trade.security))
                        .with("security", &i.trade.security)
                })
            },
        },
        CheckDef {
            id: "LIST.ACCOUNT_DO_NOT_SELL",
            family: Family::RestrictedLists,
            severity: Severity::Block,
            why: "The client asked never to sell this position (e.g. concentrated, low-basis or gifted stock).",
            params: &[],
            run: |i, _| {
                (i.trade.side == Side::Sell && i.account.restricted(&i.trade.security, RestrictionKind::DoNotSell)).then(|| {
                    Failure::new(format!("account {} has a do-not-sell restriction on {}", i.account.id, i.trade.security))
                        .with("security", &i.trade.security)
                })
            },
        },
        // ------------------------------------------------------------ concentration
        CheckDef {
            id: "CONC.SINGLE_SECURITY",
            family: Family::Concentration,
            severity: Severity::Warn,
            why: "One security above a set weight concentrates the client's risk.",
            params: SINGLE_SECURITY,
            run: |i, p| {
                let sec = i.security?;
                if i.trade.side != Side::Buy || i.context.market_value <= Decimal::ZERO {
                    return None;
                }
                // Float screen: clearly under the limit needs no decimal arithmetic.
                let after_f = to_f64(i.context.held(sec) + i.trade.quantity) * i.reference.price_f64(sec);
                if after_f < i.context.market_value_f * to_f64(p[0]) * 0.99 {
                    return None;
                }
                let price = i.reference.price(sec)?;
                let after = (i.context.held(sec) + i.trade.quantity) * price;
                let weight = after / i.context.market_value;
                (weight > p[0]).then(|| {
                    Failure::new(format!(
                        "{} would be {}% of the account after this buy (limit {}%)",
                        i.trade.security,
                        (weight * Decimal::ONE_HUNDRED).round_dp(2),
                        p[0] * Decimal::ONE_HUNDRED
                    ))
                    .with("weight", weight.round_dp(4))
                })
            },
        },
        // ------------------------------------------------------------ cash
        CheckDef {
            id: "CASH.NEGATIVE_BALANCE",
            family: Family::CashAndBuyingPower,
            severity: Severity::Block,
            why: "15c3-5 credit control: the account's orders must not spend more cash than it has.",
            params: &[],
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
        // ------------------------------------------------------------ erroneous orders
        CheckDef {
            id: "ORDER.NOTIONAL_LIMIT",
            family: Family::ErroneousOrder,
            severity: Severity::Block,
            why: "15c3-5 erroneous-order control: no single order above a set notional.",
            params: NOTIONAL_LIMIT,
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
        // ------------------------------------------------------------ tax
        CheckDef {
            id: "TAX.SHORT_TERM_GAIN_AVOIDED",
            family: Family::Tax,
            severity: Severity::Warn,
            why: "The account asked to avoid short-term gains, which are taxed as ordinary income.",
            params: &[],
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
            run: |i, _| {
                let sec = i.security?;
                if i.trade.side != Side::Buy || !i.account.account_type.is_taxable() {
                    return None;
                }
                let group = i.reference.wash_group(sec);
                let start = i.reference.trade_date.checked_sub_days(Days::new(30))?;
                let sale = i.account.recent_trades.iter().find(|t| {
                    t.side == Side::Sell
                        && t.realized_gain < Decimal::ZERO
                        && t.trade_date >= start
                        && i.reference.security_index(&t.security).map(|s| i.reference.wash_group(s)) == Some(group)
                })?;
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
            run: |i, _| {
                let sec = i.security?;
                let loss: Decimal = i.trade.lots.iter().filter(|l| l.gain < Decimal::ZERO).map(|l| l.gain).sum();
                if i.trade.side != Side::Sell || loss >= Decimal::ZERO || !i.account.account_type.is_taxable() {
                    return None;
                }
                let bought = recently_bought(i, i.reference.wash_group(sec))?;
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
        // ------------------------------------------------------------ model adherence
        CheckDef {
            id: "MODEL.TRADE_AGAINST_DRIFT",
            family: Family::ModelAdherence,
            severity: Severity::Warn,
            why: "Buying what is already above target, or selling what is below it, moves the account away from its model.",
            params: &[],
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
            run: |i, p| {
                let start = i.reference.trade_date.checked_sub_days(Days::new(30))?;
                let n = i.account.recent_trades.iter().filter(|t| t.trade_date >= start).count();
                (Decimal::from(n) > p[0]).then(|| {
                    Failure::new(format!("account {} already traded {n} times in the last 30 days (limit {})", i.account.id, p[0]))
                        .with("trades_30d", n)
                })
            },
        },
        // ------------------------------------------------------------ market
        CheckDef {
            id: "MKT.MARKET_CLOSED",
            family: Family::Market,
            severity: Severity::Block,
            why: "Orders for a day the US equity market is closed (weekend or NYSE holiday) would not execute as planned.",
            params: &[],
            run: |i, _| {
                let why = i.context.market_closed?;
                Some(
                    Failure::new(format!("the market is closed on the trade date {}: {why}", i.reference.trade_date))
                        .with("trade_date", i.reference.trade_date),
                )
            },
        },
        CheckDef {
            id: "MODEL.BUY_OFF_MODEL",
            family: Family::ModelAdherence,
            severity: Severity::Warn,
            why: "Buying a security that is neither in the model nor an approved substitute drifts the account away from it.",
            params: &[],
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
