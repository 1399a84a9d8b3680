//! Market checks.

#[allow(unused_imports)]
use super::prelude::*;
use chrono::Weekday;

use super::orders::pct_any;
use crate::book::Reference;
use crate::checks::calendar;

const EARLY_CLOSE_SIZE: &[ParamDef] = &[ParamDef {
    name: "max_fraction_of_adv",
    meaning: "largest order on an early-close day, as a fraction of the security's average daily volume",
    default: dec(2, 2),
    min: dec(1, 3),
    max: dec(1, 0),
}];

const THRESHOLD_UNSETTLED: &[ParamDef] = &[ParamDef {
    name: "recent_days",
    meaning: "days after a purchase during which its shares may not have been received",
    default: dec(5, 0),
    min: dec(1, 0),
    max: dec(30, 0),
}];

const WIDE_SPREAD: &[ParamDef] = &[ParamDef {
    name: "max_spread",
    meaning: "widest typical bid/ask spread, as a fraction of the price, traded without a warning",
    default: dec(2, 2),
    min: dec(1, 4),
    max: dec(1, 0),
}];

const OPTION_NEAR_EXPIRY: &[ParamDef] = &[ParamDef {
    name: "min_days",
    meaning: "calendar days to expiry at or below which buying an option is flagged",
    default: dec(7, 0),
    min: dec(0, 0),
    max: dec(90, 0),
}];

/// SEC Rule 3a51-1: a security priced below $5 that is not exchange-listed is a penny stock.
const PENNY_STOCK_PRICE: Decimal = dec(5, 0);

/// Venue codes of the over-the-counter markets (OTC Markets tiers, grey and expert markets).
const OTC_VENUES: &[&str] = &["OTC", "OTCM", "OTCQ", "OTCB", "PINX", "PSGM", "EXPM"];

fn otc(venue: &str) -> bool {
    OTC_VENUES.contains(&venue)
}

fn trading_day(d: NaiveDate) -> bool {
    calendar::closed_because(d).is_none()
}

/// NYSE half days (1:00 pm ET close): the day after Thanksgiving, and Christmas Eve and
/// 3 July when they fall on Monday to Thursday (on a Friday they are the observed holiday).
fn early_close(d: NaiveDate) -> Option<&'static str> {
    let wd = d.weekday();
    if matches!(wd, Weekday::Sat | Weekday::Sun) {
        return None;
    }
    match (d.month(), d.day()) {
        // The Friday after the fourth Thursday of November is always the 23rd to the 29th.
        (11, 23..=29) if wd == Weekday::Fri => Some("the day after Thanksgiving"),
        (12, 24) if wd != Weekday::Fri => Some("Christmas Eve"),
        (7, 3) if wd != Weekday::Fri => Some("the day before Independence Day"),
        _ => None,
    }
}

/// Federal Reserve holidays on which the NYSE trades but DTC does not settle. A holiday on
/// a Sunday is observed on the Monday; on a Saturday, not at all.
fn settlement_holiday(d: NaiveDate) -> Option<&'static str> {
    match d.month() {
        10 if d.weekday() == Weekday::Mon && (8..=14).contains(&d.day()) => Some("Columbus Day"),
        11 => {
            let day = NaiveDate::from_ymd_opt(d.year(), 11, 11)?;
            let observed = match day.weekday() {
                Weekday::Sat => return None,
                Weekday::Sun => day.succ_opt()?,
                _ => day,
            };
            (d == observed).then_some("Veterans Day")
        }
        _ => None,
    }
}

/// The first day after `date` that satisfies `ok`, looking at most two weeks ahead.
fn next_day(date: NaiveDate, ok: impl Fn(NaiveDate) -> bool) -> Option<NaiveDate> {
    let mut d = date;
    for _ in 0..14 {
        d = d.succ_opt()?;
        if ok(d) {
            return Some(d);
        }
    }
    None
}

/// T+1 settlement: the next NYSE trading day that is not a settlement holiday.
fn settlement_date(trade_date: NaiveDate) -> Option<NaiveDate> {
    next_day(trade_date, |d| trading_day(d) && settlement_holiday(d).is_none())
}

/// The healthy venue an unhealthy one's orders go to instead, if it has one. A venue the
/// reference does not list counts as healthy, as it does for the securities routed to it.
fn healthy_alternative<'a>(reference: &'a Reference, venue: &str) -> Option<&'a str> {
    let alt = reference.venue(venue)?.alternative.as_deref()?;
    let status = reference.venue(alt).map(|v| v.status).unwrap_or_default();
    (alt != venue && status == VenueStatus::Healthy).then_some(alt)
}

fn status_word(status: VenueStatus) -> &'static str {
    match status {
        VenueStatus::Healthy => "healthy",
        VenueStatus::Degraded => "degraded",
        VenueStatus::Halted => "halted",
    }
}

pub(super) fn checks() -> Vec<CheckDef> {
    vec![
        CheckDef {
            id: "MKT.MARKET_CLOSED",
            family: Family::Market,
            severity: Severity::Block,
            why: "Orders for a day the US equity market is closed (weekend or NYSE holiday) would not execute as planned.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| {
                let why = i.context.market_closed?;
                Some(
                    Failure::new(format!("the market is closed on the trade date {}: {why}", i.reference.trade_date))
                        .with("trade_date", i.reference.trade_date),
                )
            },
        },
        CheckDef {
            id: "MKT.HALTED_BUY",
            family: Family::Market,
            severity: Severity::Block,
            why: "15c3-5 regulatory control: a security under a trading halt (news pending, regulatory or volatility halt) is not bought until trading resumes and the news is known.",
            params: &[],
            scope: Scope::BUY.known(),
            run: |i, _| {
                security(i)?.profile.halted.then(|| {
                    Failure::new(format!("trading in {} is halted: no purchase until it resumes", i.trade.security))
                        .with("security", &i.trade.security)
                })
            },
        },
        CheckDef {
            id: "MKT.HALTED_SALE",
            family: Family::Market,
            severity: Severity::Warn,
            why: "A sale of a halted security waits for the reopening auction, whose price can be far from the last one; the advisor confirms the client still wants to sell at that price.",
            params: &[],
            scope: Scope::SELL.known(),
            run: |i, _| {
                security(i)?.profile.halted.then(|| {
                    Failure::new(format!(
                        "trading in {} is halted: the sale waits for the reopening auction, at a price not known now",
                        i.trade.security
                    ))
                    .with("security", &i.trade.security)
                })
            },
        },
        CheckDef {
            id: "MKT.DELISTED_BUY",
            family: Family::Market,
            severity: Severity::Block,
            why: "A delisted security has lost its exchange listing (and usually its liquidity and current disclosure); positions may be closed but not added to.",
            params: &[],
            scope: Scope::BUY.known(),
            run: |i, _| {
                security(i)?.profile.delisted.then(|| {
                    Failure::new(format!("{} is delisted: it may be sold but not bought", i.trade.security))
                        .with("security", &i.trade.security)
                })
            },
        },
        CheckDef {
            id: "MKT.DELISTED_SALE",
            family: Family::Market,
            severity: Severity::Warn,
            why: "Selling a delisted security is allowed, but it trades over the counter with thin quotes, so the fill may be far below the last exchange price.",
            params: &[],
            scope: Scope::SELL.known(),
            run: |i, _| {
                security(i)?.profile.delisted.then(|| {
                    Failure::new(format!(
                        "{} is delisted: the sale executes over the counter, where quotes are thin and spreads wide",
                        i.trade.security
                    ))
                    .with("security", &i.trade.security)
                })
            },
        },
        CheckDef {
            id: "MKT.VENUE_UNAVAILABLE",
            family: Family::Market,
            severity: Severity::Block,
            why: "15c3-5 market-access control: an order for a halted market center with no healthy alternative cannot be routed and is held until the venue recovers.",
            params: &[],
            scope: Scope::ANY.known(),
            run: |i, _| {
                if i.reference.venue_status(i.security?) != VenueStatus::Halted {
                    return None;
                }
                let venue = security(i)?.profile.venue.as_str();
                if healthy_alternative(i.reference, venue).is_some() {
                    return None;
                }
                Some(
                    Failure::new(format!(
                        "market center {venue} is halted and has no healthy alternative: the order for {} cannot be routed",
                        i.trade.security
                    ))
                    .with("venue", venue),
                )
            },
        },
        CheckDef {
            id: "MKT.VENUE_REROUTED",
            family: Family::Market,
            severity: Severity::Info,
            why: "FINRA Rule 5310 (best execution): when the primary market center is halted or degraded, the order goes to its alternative, and the audit trail records where and why.",
            params: &[],
            scope: Scope::ANY.known(),
            run: |i, _| {
                let status = i.reference.venue_status(i.security?);
                if status == VenueStatus::Healthy {
                    return None;
                }
                let venue = security(i)?.profile.venue.as_str();
                let alt = healthy_alternative(i.reference, venue)?;
                Some(
                    Failure::new(format!(
                        "market center {venue} is {}: the order for {} is routed to {alt} instead",
                        status_word(status),
                        i.trade.security
                    ))
                    .with("venue", venue)
                    .with("routed_to", alt),
                )
            },
        },
        CheckDef {
            id: "MKT.VENUE_DEGRADED",
            family: Family::Market,
            severity: Severity::Warn,
            why: "A degraded market center (slow acknowledgements, rising rejects) with no healthy alternative may fill late or reject; the order is sent, but someone watches it.",
            params: &[],
            scope: Scope::ANY.known(),
            run: |i, _| {
                if i.reference.venue_status(i.security?) != VenueStatus::Degraded {
                    return None;
                }
                let venue = security(i)?.profile.venue.as_str();
                if healthy_alternative(i.reference, venue).is_some() {
                    return None;
                }
                Some(
                    Failure::new(format!(
                        "market center {venue} is degraded and has no healthy alternative: the order for {} may be acknowledged late or rejected",
                        i.trade.security
                    ))
                    .with("venue", venue),
                )
            },
        },
        CheckDef {
            id: "MKT.THRESHOLD_LIST_UNSETTLED_SALE",
            family: Family::Market,
            severity: Severity::Warn,
            why: "Reg SHO: threshold-list securities have persistent fails to deliver, so shares bought in the last few days may not have been received; selling them risks a fail that Rule 203(b)(3) requires the firm to close out by buying in.",
            params: THRESHOLD_UNSETTLED,
            scope: Scope::SELL.known(),
            run: |i, p| {
                let s = security(i)?;
                if !s.profile.threshold_list {
                    return None;
                }
                let days = p[0].trunc().try_into().unwrap_or(0u64);
                let since = i.reference.trade_date.checked_sub_days(Days::new(days))?;
                let bought = i
                    .account
                    .recent_trades
                    .iter()
                    .filter(|t| t.side == Side::Buy && t.trade_date >= since && t.security == s.id)
                    .max_by_key(|t| t.trade_date)?;
                Some(
                    Failure::new(format!(
                        "{} is on the Reg SHO threshold list and {} of it were bought on {}, within {days} days: shares not yet received cannot be delivered",
                        s.id, bought.quantity, bought.trade_date
                    ))
                    .with("bought", bought.quantity)
                    .with("bought_on", bought.trade_date),
                )
            },
        },
        CheckDef {
            id: "MKT.EARLY_CLOSE_LARGE_ORDER",
            family: Family::Market,
            severity: Severity::Warn,
            why: "On NYSE early-close days (1:00 pm ET) the session is three and a half hours shorter and volume is thin, so an order that is a routine share of a normal day's volume moves the price.",
            params: EARLY_CLOSE_SIZE,
            scope: Scope::ANY.kinds(&[SecurityKind::Equity, SecurityKind::Etf]),
            run: |i, p| {
                let adv = security(i)?.profile.adv.filter(|a| *a > Decimal::ZERO)?;
                let day = early_close(i.reference.trade_date)?;
                // Float screen: an order clearly below the limit needs no decimal arithmetic.
                if to_f64(i.trade.quantity) < to_f64(adv) * to_f64(p[0]) * 0.99 {
                    return None;
                }
                if i.trade.quantity <= adv.checked_mul(p[0])? {
                    return None;
                }
                let fraction = i.trade.quantity.checked_div(adv)?;
                Some(
                    Failure::new(format!(
                        "{} is an early-close day ({day}): the order of {} {} is {} of its average daily volume of {adv} (limit {})",
                        i.reference.trade_date,
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
            id: "MKT.EARLY_CLOSE_FUND_CUTOFF",
            family: Family::Market,
            severity: Severity::Info,
            why: "Mutual funds strike their NAV at the NYSE close, which is 1:00 pm ET on early-close days; an order reaching the fund after that earlier cut-off gets the next day's price (SEC Rule 22c-1 forward pricing).",
            params: &[],
            scope: Scope::ANY.kinds(&[SecurityKind::MutualFund]),
            run: |i, _| {
                let day = early_close(i.reference.trade_date)?;
                Some(
                    Failure::new(format!(
                        "{} is an early-close day ({day}): {} prices at the 1:00 pm ET close, so the order must reach the fund before the earlier cut-off to get that day's NAV",
                        i.reference.trade_date, i.trade.security
                    ))
                    .with("trade_date", i.reference.trade_date),
                )
            },
        },
        CheckDef {
            id: "MKT.SETTLEMENT_DELAYED_BANK_HOLIDAY",
            family: Family::Market,
            severity: Severity::Info,
            why: "On Columbus Day and Veterans Day the NYSE trades but the Federal Reserve and DTC do not settle, so a sale the day before settles a day late and its proceeds (e.g. for a withdrawal) arrive later than T+1.",
            params: &[],
            scope: Scope::SELL,
            run: |i, _| {
                let trade_date = i.reference.trade_date;
                // Columbus Day is 8 to 14 October and Veterans Day is observed on 11 or 12
                // November: only trades a few days before can settle on one.
                if !matches!((trade_date.month(), trade_date.day()), (10, 1..=13) | (11, 5..=11)) {
                    return None;
                }
                let next = next_day(trade_date, trading_day)?;
                let holiday = settlement_holiday(next)?;
                let settles = settlement_date(trade_date)?;
                Some(
                    Failure::new(format!(
                        "the sale settles on {settles}, not {next}: {holiday} is a bank holiday with no settlement"
                    ))
                    .with("settlement_date", settles)
                    .with("holiday", holiday),
                )
            },
        },
        CheckDef {
            id: "MKT.NOT_YET_TRADING",
            family: Family::Market,
            severity: Severity::Block,
            why: "A security whose listing (IPO) or fund launch is after the trade date does not trade yet; an order for it would be rejected, and usually means a wrong date or a wrong security.",
            params: &[],
            scope: Scope::ANY.known(),
            run: |i, _| {
                let s = security(i)?;
                let trade_date = i.reference.trade_date;
                let (event, date) = match (s.profile.ipo_date, s.profile.inception) {
                    (Some(d), _) if d > trade_date => ("listing", d),
                    (_, Some(d)) if d > trade_date => ("launch", d),
                    _ => return None,
                };
                Some(
                    Failure::new(format!(
                        "{} does not trade before its {event} on {date}; the trade date is {trade_date}",
                        s.id
                    ))
                    .with(if event == "listing" { "ipo_date" } else { "inception" }, date),
                )
            },
        },
        CheckDef {
            id: "MKT.IPO_FIRST_DAY",
            family: Family::Market,
            severity: Severity::Warn,
            why: "On an IPO's first day the stock opens only after the IPO cross, often hours late, and its price swings widely; a buy sent at the planned price may fill far from it.",
            params: &[],
            scope: Scope::BUY.known(),
            run: |i, _| {
                let ipo = security(i)?.profile.ipo_date?;
                (ipo == i.reference.trade_date).then(|| {
                    Failure::new(format!(
                        "{ipo} is the first day of trading of {}: it opens only after the IPO cross, and its price is not yet discovered",
                        i.trade.security
                    ))
                    .with("ipo_date", ipo)
                })
            },
        },
        CheckDef {
            id: "MKT.OTC_BUY",
            family: Family::Market,
            severity: Severity::Warn,
            why: "Over-the-counter securities have thin quotes, wide spreads and often limited current public information (SEC Rule 15c2-11); a purchase is reviewed.",
            params: &[],
            scope: Scope::BUY.known(),
            run: |i, _| {
                let venue = security(i)?.profile.venue.as_str();
                otc(venue).then(|| {
                    Failure::new(format!(
                        "{} trades over the counter ({venue}): quotes are thin and public information may be limited",
                        i.trade.security
                    ))
                    .with("venue", venue)
                })
            },
        },
        CheckDef {
            id: "MKT.PENNY_STOCK_BUY",
            family: Family::Market,
            severity: Severity::Block,
            why: "SEC Rules 15g-2 and 15g-9: a penny stock (below $5 and not exchange-listed, Rule 3a51-1) may be bought only after a risk disclosure, a written suitability determination and the client's signed agreement, which the platform does not hold.",
            params: &[],
            scope: Scope::BUY.kinds(&[SecurityKind::Equity]),
            run: |i, _| {
                let venue = security(i)?.profile.venue.as_str();
                if !otc(venue) {
                    return None;
                }
                let price = i.reference.price(i.security?)?;
                (price < PENNY_STOCK_PRICE).then(|| {
                    Failure::new(format!(
                        "{} is a penny stock (price {price}, below $5, traded over the counter on {venue}): Rule 15g-9 requires a written suitability determination and the client's signed agreement",
                        i.trade.security
                    ))
                    .with("price", price)
                    .with("venue", venue)
                })
            },
        },
        CheckDef {
            id: "MKT.LOW_PRICED_LISTED_BUY",
            family: Family::Market,
            severity: Severity::Warn,
            why: "A listed stock below $1.00 fails the exchanges' minimum bid price requirement (NYSE 802.01C, Nasdaq 5550(a)(2)) and faces delisting or a reverse split.",
            params: &[],
            scope: Scope::BUY.kinds(&[SecurityKind::Equity]),
            run: |i, _| {
                let sec = i.security?;
                if i.reference.price_f64(sec) >= 1.0 {
                    return None;
                }
                if otc(&security(i)?.profile.venue) {
                    return None;
                }
                let price = i.reference.price(sec)?;
                (price < Decimal::ONE).then(|| {
                    Failure::new(format!(
                        "{} trades at {price}, below the $1.00 minimum bid exchanges require to stay listed",
                        i.trade.security
                    ))
                    .with("price", price)
                })
            },
        },
        CheckDef {
            id: "MKT.WIDE_SPREAD",
            family: Family::Market,
            severity: Severity::Warn,
            why: "FINRA Rule 5310 (best execution): crossing a wide bid/ask spread costs the client half of it on every order, so a rebalance trade in such a security is reviewed.",
            params: WIDE_SPREAD,
            scope: Scope::ANY.kinds(&[SecurityKind::Equity, SecurityKind::Etf, SecurityKind::Bond]),
            run: |i, p| {
                let spread = security(i)?.profile.spread?;
                if spread <= p[0] {
                    return None;
                }
                let cost = i.trade.amount.checked_mul(spread)?.checked_div(Decimal::TWO)?.round_dp(2);
                Some(
                    Failure::new(format!(
                        "the typical spread of {} is {} (limit {}): crossing half of it costs about {cost} on this order",
                        i.trade.security,
                        pct_any(spread),
                        pct(p[0])
                    ))
                    .with("spread", spread)
                    .with("estimated_cost", cost),
                )
            },
        },
        CheckDef {
            id: "MKT.OPTION_NEAR_EXPIRY_BUY",
            family: Family::Market,
            severity: Severity::Warn,
            why: "An option bought days before expiry is almost all time value that decays to nothing by expiration; such purchases are speculative and reviewed.",
            params: OPTION_NEAR_EXPIRY,
            scope: Scope::BUY.kinds(&[SecurityKind::Option]),
            run: |i, p| {
                let expiry = security(i)?.profile.option.as_ref()?.expiry;
                let days = (expiry - i.reference.trade_date).num_days();
                let limit: i64 = p[0].trunc().try_into().unwrap_or(0);
                // An expired option is a data error, reported by DATA.OPTION_EXPIRED.
                (days >= 0 && days <= limit).then(|| {
                    Failure::new(format!(
                        "{} expires on {expiry}, {days} days after the trade date (limit {limit}): its price is mostly time value",
                        i.trade.security
                    ))
                    .with("expiry", expiry)
                    .with("days", days)
                })
            },
        },
        CheckDef {
            id: "MKT.BOND_SETTLES_AFTER_MATURITY",
            family: Family::Market,
            severity: Severity::Block,
            why: "A bond trade settling (T+1) on or after the bond's maturity has nothing left to deliver: the issuer repays the holder of record instead.",
            params: &[],
            scope: Scope::ANY.kinds(&[SecurityKind::Bond]),
            run: |i, _| {
                let maturity = security(i)?.profile.bond.as_ref()?.maturity;
                let trade_date = i.reference.trade_date;
                // Already matured is DATA.BOND_MATURED; settlement is never two weeks out.
                if maturity <= trade_date || (maturity - trade_date).num_days() > 14 {
                    return None;
                }
                let settles = settlement_date(trade_date)?;
                (settles >= maturity).then(|| {
                    Failure::new(format!(
                        "{} matures on {maturity}, on or before the trade's settlement on {settles}",
                        i.trade.security
                    ))
                    .with("maturity", maturity)
                    .with("settlement_date", settles)
                })
            },
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn early_closes_follow_the_nyse_rules() {
        for (date, name) in [
            ("2026-11-27", "the day after Thanksgiving"),
            ("2026-12-24", "Christmas Eve"),
            ("2025-07-03", "the day before Independence Day"),
            ("2024-07-03", "the day before Independence Day"),
            ("2025-11-28", "the day after Thanksgiving"),
        ] {
            assert_eq!(early_close(d(date)), Some(name), "{date}");
        }
        // 3 July 2026 and 24 December 2021 are Fridays: the observed holidays themselves.
        for full_day in ["2026-07-03", "2021-12-24", "2026-11-20", "2023-12-22", "2022-07-01"] {
            assert_eq!(early_close(d(full_day)), None, "{full_day}");
        }
    }

    #[test]
    fn settlement_skips_weekends_nyse_holidays_and_bank_holidays() {
        assert_eq!(settlement_date(d("2026-11-27")), Some(d("2026-11-30")));
        assert_eq!(settlement_date(d("2026-11-25")), Some(d("2026-11-27")));
        // Columbus Day 2026 is Monday 12 October; Veterans Day a Wednesday.
        assert_eq!(settlement_date(d("2026-10-09")), Some(d("2026-10-13")));
        assert_eq!(settlement_date(d("2026-11-10")), Some(d("2026-11-12")));
        // Veterans Day 2029 is a Sunday, observed Monday 12 November; 2028's, a Saturday, is not.
        assert_eq!(settlement_date(d("2029-11-09")), Some(d("2029-11-13")));
        assert_eq!(settlement_date(d("2028-11-10")), Some(d("2028-11-13")));
    }
}
