//! Data quality checks.

#[allow(unused_imports)]
use super::prelude::*;
use crate::checks::calendar;

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

const VOLUME_UNKNOWN: &[ParamDef] = &[ParamDef {
    name: "min_notional",
    meaning: "order value from which an unknown average daily volume is reported",
    default: dec(100_000, 0),
    min: dec(0, 0),
    max: dec(1_000_000_000, 0),
}];

const MONEY_MARKET_NAV: &[ParamDef] = &[ParamDef {
    name: "max_deviation",
    meaning: "largest distance, in dollars, of a money market fund's price from $1.00",
    default: dec(5, 3),
    min: dec(1, 4),
    max: dec(50, 2),
}];

/// FINRA Rule 2341(d): the highest sales charge a fund may impose.
const MAX_FRONT_LOAD: Decimal = dec(85, 3);
/// SEC Rule 22c-2: the highest redemption fee a fund may charge.
const MAX_REDEMPTION_FEE: Decimal = dec(2, 2);

/// Market centers that trade listed securities; a mutual fund is never bought on one.
const MARKET_CENTERS: &[&str] = &["XNYS", "XNAS", "ARCX", "BATS", "XASE", "IEXG", "EDGX", "EDGA", "BATY", "OTC"];

/// The US Eastern calendar date of a UTC timestamp, read at standard time (UTC−5), so a
/// close or an evening correction is dated by the session it belongs to.
fn eastern_date(t: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    t.checked_sub_signed(chrono::TimeDelta::hours(5)).unwrap_or(t).date_naive()
}

/// The last trading session strictly before `date`.
fn previous_session(date: NaiveDate) -> Option<NaiveDate> {
    let mut d = date;
    for _ in 0..10 {
        d = d.pred_opt()?;
        if calendar::closed_because(d).is_none() {
            return Some(d);
        }
    }
    None
}

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
        CheckDef {
            id: "DATA.PRICE_DATE_IN_FUTURE",
            family: Family::DataQuality,
            severity: Severity::Block,
            why: "A reference price dated after the trade date comes from a mis-stamped feed or goes with a wrong trade date; the order's value, collar and buying power all rest on it.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| {
                let stamp = i.reference.price_as_of(i.security?)?;
                let trade_date = i.reference.trade_date;
                // Screen: a UTC date up to the trade date is never later in New York.
                if stamp.naive_utc().date() <= trade_date {
                    return None;
                }
                let as_of = eastern_date(stamp);
                (as_of > trade_date).then(|| {
                    Failure::new(format!(
                        "price of {} is dated {as_of}, after the trade date {trade_date}",
                        i.trade.security
                    ))
                    .with("as_of", as_of)
                    .with("trade_date", trade_date)
                })
            },
        },
        CheckDef {
            id: "DATA.PRICE_NOT_LAST_CLOSE",
            family: Family::DataQuality,
            severity: Severity::Warn,
            why: "The price should be the last session's close (or fresher): counted in NYSE sessions, not calendar days, a price that missed a close is caught even when it is only two days old, and one from before a long weekend is not.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| {
                let stamp = i.reference.price_as_of(i.security?)?;
                let trade_date = i.reference.trade_date;
                // Screen: a price stamped on the trade date (UTC) is from the trade date or
                // the evening before in New York, never older than the last session.
                if stamp.naive_utc().date() >= trade_date {
                    return None;
                }
                let as_of = eastern_date(stamp);
                if as_of >= trade_date.pred_opt()? {
                    return None;
                }
                let last = previous_session(trade_date)?;
                (as_of < last).then(|| {
                    Failure::new(format!(
                        "price of {} is from {as_of}, before the last session's close on {last}",
                        i.trade.security
                    ))
                    .with("as_of", as_of)
                    .with("last_session", last)
                })
            },
        },
        CheckDef {
            id: "DATA.UNKNOWN_HOLDING",
            family: Family::DataQuality,
            severity: Severity::Warn,
            why: "A position in a security the master does not know is left out of the account's value, so every limit stated as a share of the account is computed on the wrong base.",
            params: &[],
            scope: Scope::BUY,
            run: |i, _| {
                // The context holds one entry per position the reference resolved.
                if i.context.held.len() >= i.account.positions.len() {
                    return None;
                }
                let unknown =
                    i.account.positions.iter().find(|p| i.reference.security_index(&p.security).is_none())?;
                Some(
                    Failure::new(format!(
                        "account {} holds {}, which is not in the security master: its value is missing from the account's {}",
                        i.account.id, unknown.security, i.context.market_value
                    ))
                    .with("security", &unknown.security)
                    .with("account_value", i.context.market_value),
                )
            },
        },
        CheckDef {
            id: "DATA.VOLUME_UNKNOWN_LARGE_ORDER",
            family: Family::DataQuality,
            severity: Severity::Warn,
            why: "15c3-5 size controls compare an order with the security's average daily volume; for a large order in a security without a recorded volume that control silently does nothing.",
            params: VOLUME_UNKNOWN,
            scope: Scope::ANY.kinds(&[SecurityKind::Equity, SecurityKind::Etf]),
            run: |i, p| {
                let s = security(i)?;
                if s.profile.adv.is_some_and(|a| a > Decimal::ZERO) || to_f64(i.trade.amount) < to_f64(p[0]) * 0.99 {
                    return None;
                }
                if i.trade.amount < p[0] {
                    return None;
                }
                Some(
                    Failure::new(format!(
                        "no average daily volume is recorded for {}: the order of {} cannot be sized against the market (reported from {})",
                        s.id, i.trade.amount, p[0]
                    ))
                    .with("amount", i.trade.amount)
                    .with("min_notional", p[0]),
                )
            },
        },
        CheckDef {
            id: "DATA.BOND_TERMS_MISSING",
            family: Family::DataQuality,
            severity: Severity::Warn,
            why: "Without its terms a bond's maturity, credit rating and minimum denomination are unknown, so the suitability, maturity and denomination checks on the purchase cannot run.",
            params: &[],
            scope: Scope::BUY.kinds(&[SecurityKind::Bond]),
            run: |i, _| {
                let s = security(i)?;
                s.profile.bond.is_none().then(|| {
                    Failure::new(format!(
                        "bond {} has no terms (maturity, rating, minimum denomination): the checks that need them cannot run",
                        s.id
                    ))
                    .with("security", &s.id)
                })
            },
        },
        CheckDef {
            id: "DATA.BOND_MATURED",
            family: Family::DataQuality,
            severity: Severity::Block,
            why: "A bond that has reached maturity has been repaid and no longer trades; an order for it means stale terms or a stale position.",
            params: &[],
            scope: Scope::ANY.kinds(&[SecurityKind::Bond]),
            run: |i, _| {
                let maturity = security(i)?.profile.bond.as_ref()?.maturity;
                let trade_date = i.reference.trade_date;
                (maturity <= trade_date).then(|| {
                    Failure::new(format!(
                        "bond {} matured on {maturity}, on or before the trade date {trade_date}: it no longer trades",
                        i.trade.security
                    ))
                    .with("maturity", maturity)
                    .with("trade_date", trade_date)
                })
            },
        },
        CheckDef {
            id: "DATA.OPTION_TERMS_MISSING",
            family: Family::DataQuality,
            severity: Severity::Block,
            why: "An option without its contract terms has no known underlying, strike, expiry or multiplier, so neither its exposure nor its approval level can be checked.",
            params: &[],
            scope: Scope::ANY.kinds(&[SecurityKind::Option]),
            run: |i, _| {
                let s = security(i)?;
                s.profile.option.is_none().then(|| {
                    Failure::new(format!(
                        "option {} has no contract terms (underlying, strike, expiry, multiplier)",
                        s.id
                    ))
                    .with("security", &s.id)
                })
            },
        },
        CheckDef {
            id: "DATA.OPTION_EXPIRED",
            family: Family::DataQuality,
            severity: Severity::Block,
            why: "An option past its expiration date has been exercised, assigned or has lapsed; it cannot be traded.",
            params: &[],
            scope: Scope::ANY.kinds(&[SecurityKind::Option]),
            run: |i, _| {
                let expiry = security(i)?.profile.option.as_ref()?.expiry;
                let trade_date = i.reference.trade_date;
                (expiry < trade_date).then(|| {
                    Failure::new(format!(
                        "option {} expired on {expiry}, before the trade date {trade_date}",
                        i.trade.security
                    ))
                    .with("expiry", expiry)
                    .with("trade_date", trade_date)
                })
            },
        },
        CheckDef {
            id: "DATA.OPTION_TERMS_INVALID",
            family: Family::DataQuality,
            severity: Severity::Block,
            why: "Contract terms with no underlying, a non-positive strike or a non-positive multiplier make the option's exposure and cost meaningless.",
            params: &[],
            scope: Scope::ANY.kinds(&[SecurityKind::Option]),
            run: |i, _| {
                let s = security(i)?;
                let t = s.profile.option.as_ref()?;
                let problem = if t.underlying.trim().is_empty() {
                    "no underlying"
                } else if t.underlying == s.id {
                    "itself as its underlying"
                } else if t.strike <= Decimal::ZERO {
                    "a strike that is not positive"
                } else if t.multiplier <= Decimal::ZERO {
                    "a multiplier that is not positive"
                } else {
                    return None;
                };
                Some(
                    Failure::new(format!(
                        "option {} has {problem} (underlying {:?}, strike {}, multiplier {})",
                        s.id, t.underlying, t.strike, t.multiplier
                    ))
                    .with("strike", t.strike)
                    .with("multiplier", t.multiplier),
                )
            },
        },
        CheckDef {
            id: "DATA.FUND_TERMS_MISSING",
            family: Family::DataQuality,
            severity: Severity::Warn,
            why: "Without its fund terms a mutual fund's share class, minimums, sales loads and closed status are unknown, so the purchase-terms and share-class checks cannot run.",
            params: &[],
            scope: Scope::BUY.kinds(&[SecurityKind::MutualFund]),
            run: |i, _| {
                let s = security(i)?;
                s.profile.fund.is_none().then(|| {
                    Failure::new(format!(
                        "mutual fund {} has no fund terms (share class, minimums, loads, closed status): the checks that need them cannot run",
                        s.id
                    ))
                    .with("security", &s.id)
                })
            },
        },
        CheckDef {
            id: "DATA.SUB_PENNY_PRICE",
            family: Family::DataQuality,
            severity: Severity::Block,
            why: "Reg NMS Rule 612: orders in NMS stocks priced at $1.00 or more may not be in increments finer than $0.01 (below $1.00, $0.0001); market centers reject them.",
            params: &[],
            scope: Scope::ANY.kinds(&[SecurityKind::Equity, SecurityKind::Etf]),
            run: |i, _| {
                let price = i.trade.price;
                if price.scale() <= 2 {
                    return None;
                }
                let (places, tick, band) =
                    if price >= Decimal::ONE { (2, "$0.01", "of $1.00 or more") } else { (4, "$0.0001", "below $1.00") };
                if price.round_dp(places) == price {
                    return None;
                }
                Some(
                    Failure::new(format!(
                        "order price {price} of {} is finer than the {tick} tick Reg NMS Rule 612 allows for a price {band}",
                        i.trade.security
                    ))
                    .with("price", price)
                    .with("tick", tick),
                )
            },
        },
        CheckDef {
            id: "DATA.MONEY_MARKET_OFF_DOLLAR",
            family: Family::DataQuality,
            severity: Severity::Warn,
            why: "A stable-NAV money market fund prices at $1.00 (SEC Rule 2a-7); a price more than half a cent away is a bad price or a fund breaking the buck, and either needs a person to look.",
            params: MONEY_MARKET_NAV,
            scope: Scope::ANY.kinds(&[SecurityKind::CashEquivalent]),
            run: |i, p| {
                let sec = i.security?;
                // Float screen: a price clearly near $1.00 needs no decimal arithmetic.
                if (i.reference.price_f64(sec) - 1.0).abs() < to_f64(p[0]) * 0.99 {
                    return None;
                }
                let price = i.reference.price(sec)?;
                let deviation = (price - Decimal::ONE).abs();
                (deviation > p[0]).then(|| {
                    Failure::new(format!(
                        "reference price {price} of {} is {deviation} from the $1.00 stable NAV (limit {})",
                        i.trade.security, p[0]
                    ))
                    .with("price", price)
                    .with("deviation", deviation)
                })
            },
        },
        CheckDef {
            id: "DATA.KIND_TERMS_MISMATCH",
            family: Family::DataQuality,
            severity: Severity::Block,
            why: "A security carrying option or bond terms but classified as another kind is misclassified: an option treated as a share ignores its multiplier (a 100-fold sizing error) and a bond treated as a share skips its maturity and denomination checks.",
            params: &[],
            scope: Scope::ANY.known(),
            run: |i, _| {
                let s = security(i)?;
                let terms = if s.profile.option.is_some() && s.kind != SecurityKind::Option {
                    "option contract terms"
                } else if s.profile.bond.is_some() && s.kind != SecurityKind::Bond {
                    "bond terms"
                } else {
                    return None;
                };
                Some(
                    Failure::new(format!("{} is classified as {} but carries {terms}", s.id, s.kind.as_str()))
                        .with("kind", s.kind.as_str())
                        .with("terms", terms),
                )
            },
        },
        CheckDef {
            id: "DATA.ROUTING_KIND_MISMATCH",
            family: Family::DataQuality,
            severity: Severity::Warn,
            why: "Mutual fund shares are bought from the fund at its NAV through Fund/SERV, and listed securities trade on market centers; a security routed the other way has a wrong kind or a wrong venue, and its order would be rejected or mispriced.",
            params: &[],
            scope: Scope::ANY.known(),
            run: |i, _| {
                let s = security(i)?;
                let venue = s.profile.venue.as_str();
                if venue.is_empty() {
                    return None;
                }
                let fundserv = venue == "FUNDSERV";
                let wrong = match s.kind {
                    SecurityKind::MutualFund => MARKET_CENTERS.contains(&venue),
                    SecurityKind::CashEquivalent => false,
                    _ => fundserv,
                };
                wrong.then(|| {
                    let reason = if fundserv {
                        format!("{} is a listed {} but routes to FUNDSERV, the mutual fund network", s.id, s.kind.as_str())
                    } else {
                        format!("{} is a mutual fund but routes to the market center {venue}, not to FUNDSERV", s.id)
                    };
                    Failure::new(reason).with("kind", s.kind.as_str()).with("venue", venue)
                })
            },
        },
        CheckDef {
            id: "DATA.FUND_LOAD_IMPLAUSIBLE",
            family: Family::DataQuality,
            severity: Severity::Warn,
            why: "FINRA Rule 2341(d) caps a fund's sales charge at 8.5%; a larger or negative front load is a data error (typically a percentage stored as a fraction), and the load and breakpoint checks would use it.",
            params: &[],
            scope: Scope::BUY.kinds(&[SecurityKind::MutualFund]),
            run: |i, _| {
                let load = security(i)?.profile.fund.as_ref()?.front_load;
                (load < Decimal::ZERO || load > MAX_FRONT_LOAD).then(|| {
                    Failure::new(format!(
                        "front load {load} recorded for {} is outside 0 to {} (the FINRA Rule 2341 maximum of {})",
                        i.trade.security,
                        MAX_FRONT_LOAD,
                        pct(MAX_FRONT_LOAD)
                    ))
                    .with("front_load", load)
                })
            },
        },
        CheckDef {
            id: "DATA.REDEMPTION_FEE_IMPLAUSIBLE",
            family: Family::DataQuality,
            severity: Severity::Warn,
            why: "SEC Rule 22c-2 caps a fund's redemption fee at 2% of the amount redeemed; a larger or negative fee is a data error (typically a percentage stored as a fraction) that would distort the sale's estimated cost.",
            params: &[],
            scope: Scope::SELL.kinds(&[SecurityKind::MutualFund]),
            run: |i, _| {
                let fee = security(i)?.profile.fund.as_ref()?.redemption_fee;
                (fee < Decimal::ZERO || fee > MAX_REDEMPTION_FEE).then(|| {
                    Failure::new(format!(
                        "redemption fee {fee} recorded for {} is outside 0 to {} (the SEC Rule 22c-2 maximum of {})",
                        i.trade.security,
                        MAX_REDEMPTION_FEE,
                        pct(MAX_REDEMPTION_FEE)
                    ))
                    .with("redemption_fee", fee)
                })
            },
        },
    ]
}
