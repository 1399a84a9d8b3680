#[allow(unused_imports)]
use crate::*;

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "DATA.UNKNOWN_SECURITY",
            |_| {},
            |s| s.trade = buy("ZZZ", "10", "50"),
            "ZZZ is not in the security master",
        ),
        case(
            "DATA.MISSING_PRICE",
            |_| {},
            |s| {
                s.book.securities.push(security("NOP", SecurityKind::Etf));
                s.trade = buy("NOP", "10", "50");
            },
            "no reference price for NOP",
        ),
        case(
            "DATA.STALE_PRICE",
            |_| {},
            |s| s.stale = Some("BBB"),
            "price of BBB is from 2026-11-17, more than 3 days before",
        ),
        case(
            "DATA.PRICE_COLLAR",
            |_| {},
            |s| s.trade = buy("BBB", "10", "60"),
            "order price 60 is 20.00% from the reference price 50 (limit 5.00%)",
        ),
        case("DATA.NON_POSITIVE_QUANTITY", |_| {}, |s| s.trade = buy("BBB", "0", "50"), "quantity 0 is not positive"),
        case(
            "DATA.FRACTIONAL_NOT_ALLOWED",
            |_| {},
            |s| s.trade = buy("BBB", "10.5", "50"),
            "quantity 10.5 of BBB has more than 0 decimal places",
        ),
        case(
            "DATA.AMOUNT_MISMATCH",
            |_| {},
            |s| s.trade.amount = dec("400"),
            "amount 400 differs from quantity 10 × price 50 = 500",
        ),
        case("DATA.NON_POSITIVE_PRICE", |_| {}, |s| s.trade = buy("BBB", "10", "0"), "order price 0 is not positive"),
    ]
}
