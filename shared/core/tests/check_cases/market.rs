#[allow(unused_imports)]
use crate::*;

use super::data::{set_price, with_bond, with_fund, with_option};

fn venue(s: &mut Scenario, id: &str, status: VenueStatus, alternative: Option<&str>) {
    s.book.venues.retain(|v| v.id != id);
    s.book.venues.push(Venue { id: id.into(), status, alternative: alternative.map(str::to_string) });
}

/// BBB routes to ARCX, whose alternative is BATS; both healthy.
fn routed(s: &mut Scenario) {
    s.book.get("BBB").profile.venue = "ARCX".into();
    venue(s, "ARCX", VenueStatus::Healthy, Some("BATS"));
    venue(s, "BATS", VenueStatus::Healthy, Some("ARCX"));
}

fn bought(s: &mut Scenario, security: &str, quantity: &str, on: &str) {
    s.account.recent_trades.push(RecentTrade {
        security: security.into(),
        side: Side::Buy,
        quantity: dec(quantity),
        trade_date: date(on),
        realized_gain: Decimal::ZERO,
        price: Some(dec("50")),
        paid_with_unsettled: false,
    });
}

fn equity(s: &mut Scenario, id: &str, price: &str, venue: &str, quantity: &str) {
    s.book.add(id, SecurityKind::Equity, price).profile.venue = venue.into();
    s.trade = buy(id, quantity, price);
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "MKT.MARKET_CLOSED",
            |_| {},
            |s| s.trade_date = Some("2026-11-26"),
            "the market is closed on the trade date 2026-11-26: Thanksgiving Day",
        ),
        case(
            "MKT.HALTED_BUY",
            |_| {},
            |s| s.book.get("BBB").profile.halted = true,
            "trading in BBB is halted: no purchase until it resumes",
        ),
        case(
            "MKT.HALTED_SALE",
            |s| s.trade = sell("BBB", "10", "50"),
            |s| s.book.get("BBB").profile.halted = true,
            "trading in BBB is halted: the sale waits for the reopening auction",
        ),
        case(
            "MKT.DELISTED_BUY",
            |_| {},
            |s| s.book.get("BBB").profile.delisted = true,
            "BBB is delisted: it may be sold but not bought",
        ),
        case(
            "MKT.DELISTED_SALE",
            |s| s.trade = sell("BBB", "10", "50"),
            |s| s.book.get("BBB").profile.delisted = true,
            "BBB is delisted: the sale executes over the counter",
        ),
        case(
            "MKT.VENUE_UNAVAILABLE",
            |s| {
                routed(s);
                venue(s, "ARCX", VenueStatus::Healthy, None);
            },
            |s| venue(s, "ARCX", VenueStatus::Halted, None),
            "market center ARCX is halted and has no healthy alternative: the order for BBB cannot be routed",
        ),
        case(
            "MKT.VENUE_REROUTED",
            routed,
            |s| venue(s, "ARCX", VenueStatus::Degraded, Some("BATS")),
            "market center ARCX is degraded: the order for BBB is routed to BATS instead",
        ),
        case(
            "MKT.VENUE_DEGRADED",
            |s| {
                routed(s);
                venue(s, "BATS", VenueStatus::Halted, None);
            },
            |s| venue(s, "ARCX", VenueStatus::Degraded, Some("BATS")),
            "market center ARCX is degraded and has no healthy alternative: the order for BBB may be acknowledged late",
        ),
        case(
            "MKT.THRESHOLD_LIST_UNSETTLED_SALE",
            |s| {
                s.book.get("BBB").profile.threshold_list = true;
                bought(s, "BBB", "10", "2026-11-10");
                s.trade = sell("BBB", "10", "50");
            },
            |s| bought(s, "BBB", "10", "2026-11-25"),
            "BBB is on the Reg SHO threshold list and 10 of it were bought on 2026-11-25, within 5 days",
        ),
        case(
            "MKT.EARLY_CLOSE_LARGE_ORDER",
            |s| s.book.get("BBB").profile.adv = Some(dec("1000000")),
            |s| s.book.get("BBB").profile.adv = Some(dec("400")),
            "2026-11-27 is an early-close day (the day after Thanksgiving): the order of 10 BBB is 2.5% of its average daily volume of 400 (limit 2%)",
        ),
        case(
            "MKT.EARLY_CLOSE_FUND_CUTOFF",
            |s| {
                with_fund(s);
                s.trade_date = Some("2026-11-30");
            },
            |s| s.trade_date = None,
            "2026-11-27 is an early-close day (the day after Thanksgiving): FND prices at the 1:00 pm ET close",
        ),
        case(
            "MKT.SETTLEMENT_DELAYED_BANK_HOLIDAY",
            |s| s.trade = sell("BBB", "10", "50"),
            |s| s.trade_date = Some("2026-10-09"),
            "the sale settles on 2026-10-13, not 2026-10-12: Columbus Day is a bank holiday with no settlement",
        ),
        case(
            "MKT.NOT_YET_TRADING",
            |s| s.book.get("BBB").profile.ipo_date = Some(date("2026-11-02")),
            |s| s.book.get("BBB").profile.ipo_date = Some(date("2026-12-03")),
            "BBB does not trade before its listing on 2026-12-03; the trade date is 2026-11-27",
        ),
        case(
            "MKT.IPO_FIRST_DAY",
            |s| s.book.get("BBB").profile.ipo_date = Some(date("2026-11-20")),
            |s| s.book.get("BBB").profile.ipo_date = Some(date("2026-11-27")),
            "2026-11-27 is the first day of trading of BBB: it opens only after the IPO cross",
        ),
        case(
            "MKT.OTC_BUY",
            |s| s.book.get("BBB").profile.venue = "ARCX".into(),
            |s| s.book.get("BBB").profile.venue = "PINX".into(),
            "BBB trades over the counter (PINX)",
        ),
        case(
            "MKT.PENNY_STOCK_BUY",
            |s| equity(s, "PNY", "3.50", "XNAS", "100"),
            |s| s.book.get("PNY").profile.venue = "OTC".into(),
            "PNY is a penny stock (price 3.50, below $5, traded over the counter on OTC)",
        ),
        case(
            "MKT.LOW_PRICED_LISTED_BUY",
            |s| equity(s, "LOW", "1.20", "XNYS", "500"),
            |s| {
                set_price(s, "LOW", "0.80");
                s.trade = buy("LOW", "500", "0.80");
            },
            "LOW trades at 0.80, below the $1.00 minimum bid exchanges require to stay listed",
        ),
        case(
            "MKT.WIDE_SPREAD",
            |s| s.book.get("BBB").profile.spread = Some(dec("0.001")),
            |s| s.book.get("BBB").profile.spread = Some(dec("0.03")),
            "the typical spread of BBB is 3% (limit 2%): crossing half of it costs about 7.50 on this order",
        ),
        case(
            "MKT.OPTION_NEAR_EXPIRY_BUY",
            |s| with_option(s, "2027-01-15"),
            |s| s.book.get("OPT").profile.option.as_mut().unwrap().expiry = date("2026-12-04"),
            "OPT expires on 2026-12-04, 7 days after the trade date (limit 7)",
        ),
        case(
            "MKT.BOND_SETTLES_AFTER_MATURITY",
            |s| with_bond(s, "2031-05-15"),
            |s| s.book.get("BND").profile.bond.as_mut().unwrap().maturity = date("2026-11-30"),
            "BND matures on 2026-11-30, on or before the trade's settlement on 2026-11-30",
        ),
    ]
}
