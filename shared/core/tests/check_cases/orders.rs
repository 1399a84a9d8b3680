#[allow(unused_imports)]
use crate::*;

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
    ]
}
