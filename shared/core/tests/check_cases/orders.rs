#[allow(unused_imports)]
use crate::*;

use super::data::{with_bond, with_option};

fn working(s: &mut Scenario, side: Side, security: &str, quantity: &str) {
    s.account.profile.pending_orders.push(PendingOrder {
        security: security.into(),
        side,
        quantity: dec(quantity),
        amount: dec(quantity) * dec("50"),
        placed: date("2026-11-26"),
    });
}

fn filled(s: &mut Scenario, side: Side, security: &str, quantity: &str, price: &str, on: &str) {
    s.account.recent_trades.push(RecentTrade {
        security: security.into(),
        side,
        quantity: dec(quantity),
        trade_date: date(on),
        realized_gain: Decimal::ZERO,
        price: Some(dec(price)),
        paid_with_unsettled: false,
    });
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "ORDER.NOTIONAL_LIMIT",
            |_| {},
            |s| {
                s.overrides.push(set("ORDER.NOTIONAL_LIMIT", "max_notional", "1000"));
                s.trade = buy("BBB", "30", "50");
            },
            "order of 1500 exceeds the 1000 per-order limit",
        ),
        case(
            "ORDER.SELL_MORE_THAN_HELD",
            |s| s.trade = sell("BBB", "200", "50"),
            |s| s.trade = sell("BBB", "300", "50"),
            "sale of 300 BBB exceeds the 200 held",
        ),
        case(
            "ORDER.FAT_FINGER_ACCOUNT_SIZE",
            |_| {},
            |s| {
                s.overrides.push(set("ORDER.FAT_FINGER_ACCOUNT_SIZE", "max_fraction_of_account", "0.01"));
                s.trade = buy("BBB", "20", "50");
            },
            "buy of 1000 is more than 1.00% of the account's 50000",
        ),
        case(
            "ORDER.QUANTITY_LIMIT",
            |_| {},
            |s| s.overrides.push(set("ORDER.QUANTITY_LIMIT", "max_quantity", "5")),
            "order of 10 shares exceeds the 5 share limit",
        ),
        case(
            "ORDER.BELOW_MIN_TRADE",
            |_| {},
            |s| {
                s.book.models[0].min_trade = dec("100");
                s.trade = buy("BBB", "1", "50");
            },
            "order of 50 is below the model's minimum trade of 100",
        ),
        case(
            "ORDER.DUPLICATE_IN_BATCH",
            |_| {},
            |s| s.others.push(buy("BBB", "4", "50")),
            "2 buy orders for BBB in this batch for account CHK-1",
        ),
        case(
            "ORDER.BUY_AND_SELL_SAME_SECURITY",
            |_| {},
            |s| s.others.push(sell("BBB", "4", "50")),
            "BBB is both bought and sold in this batch",
        ),
        case(
            "ORDER.ADV_REVIEW",
            |s| s.book.get("BBB").profile.adv = Some(dec("1000000")),
            |s| s.book.get("BBB").profile.adv = Some(dec("100")),
            "order of 10 BBB is 10% of its average daily volume of 100 (review above 5%)",
        ),
        case(
            "ORDER.ADV_LIMIT",
            |s| s.book.get("BBB").profile.adv = Some(dec("1000000")),
            |s| s.book.get("BBB").profile.adv = Some(dec("20")),
            "buy of 10 BBB is 50% of its average daily volume of 20 (limit 25%)",
        ),
        case(
            "ORDER.SAME_AS_WORKING_ORDER",
            |s| working(s, Side::Buy, "BBB", "5"),
            |s| working(s, Side::Buy, "BBB", "10"),
            "a buy of 10 BBB placed on 2026-11-26 is still working for account CHK-1: this order would duplicate it",
        ),
        case(
            "ORDER.ADDS_TO_WORKING_BUY",
            |s| working(s, Side::Buy, "AAA", "5"),
            |s| working(s, Side::Buy, "BBB", "5"),
            "working orders already buy 5 BBB: with this buy of 10 the account would buy 15",
        ),
        case(
            "ORDER.AGAINST_WORKING_ORDER",
            |s| working(s, Side::Sell, "AAA", "20"),
            |s| working(s, Side::Sell, "BBB", "20"),
            "a sell of 20 BBB placed on 2026-11-26 is still working: this buy trades against it",
        ),
        case(
            "ORDER.OVERSELLS_WITH_WORKING_SALES",
            |s| {
                working(s, Side::Sell, "BBB", "100");
                s.trade = sell("BBB", "100", "50");
            },
            |s| s.trade = sell("BBB", "150", "50"),
            "working orders already sell 100 of the 200 BBB held: with this sale of 150 the account would sell 250",
        ),
        case(
            "ORDER.REPEATS_RECENT_FILL",
            |s| filled(s, Side::Buy, "BBB", "10", "50", "2026-11-20"),
            |s| filled(s, Side::Buy, "BBB", "10", "50", "2026-11-26"),
            "a buy of 10 BBB already executed on 2026-11-26: this order may resubmit it",
        ),
        case(
            "ORDER.PRICE_FAR_FROM_LAST_FILL",
            |s| filled(s, Side::Buy, "BBB", "5", "48", "2026-11-25"),
            |s| s.account.recent_trades[0].price = Some(dec("100")),
            "order price 50 of BBB is 50% from the account's last fill at 100 on 2026-11-25 (limit 25%)",
        ),
        case(
            "ORDER.STUB_LEFT_AFTER_SALE",
            |s| s.trade = sell("BBB", "150", "50"),
            |s| s.trade = sell("BBB", "199", "50"),
            "selling 199 of the 200 BBB held leaves 1 worth 50, below 100: close the position or sell less",
        ),
        case(
            "ORDER.BUY_MULTIPLIES_POSITION",
            |s| s.trade = buy("BBB", "1000", "50"),
            |s| s.trade = buy("BBB", "2500", "50"),
            "buy of 2500 BBB is 12.5 times the 200 held (limit 10 times)",
        ),
        case(
            "ORDER.TINY_ORDER",
            |_| {},
            |s| s.trade = buy("BBB", "0.01", "50"),
            "order of 0.50 for BBB is below the 1 minimum order value",
        ),
        case(
            "ORDER.OPTION_CONTRACT_LIMIT",
            |s| with_option(s, "2027-01-15"),
            |s| s.trade = buy("OPT", "150", "3.20"),
            "order of 150 contracts of OPT exceeds the 100 contract limit",
        ),
        case(
            "ORDER.BOND_BELOW_MIN_DENOMINATION",
            // 500 face added to 1,000 held: the position stays at the minimum piece.
            |s| {
                with_bond(s, "2031-05-15");
                hold(&mut s.account, "BND", &[("10", "97", "2020-01-02")]);
                s.trade = buy("BND", "5", "98.50");
            },
            |s| s.account.positions.retain(|p| p.security != "BND"),
            "buy of 500 face of BND leaves a position of 500 face, below its minimum denomination of 1000",
        ),
        case(
            "ORDER.BOND_DENOMINATION_MULTIPLE",
            |s| with_bond(s, "2031-05-15"),
            |s| s.trade = buy("BND", "25", "98.50"),
            "buy of 2500 face of BND is not a multiple of its 1000 trading increment",
        ),
        case(
            "ORDER.TOO_MANY_ORDERS",
            |s| {
                s.overrides.push(set("ORDER.TOO_MANY_ORDERS", "max_orders", "2"));
                s.others.push(sell("AAA", "10", "100"));
            },
            |s| s.others.push(buy("OFF", "5", "10")),
            "account CHK-1 has 3 orders in this batch (limit 2)",
        ),
    ]
}
