#[allow(unused_imports)]
use crate::*;

pub fn cases() -> Vec<Case> {
    vec![case(
        "MKT.MARKET_CLOSED",
        |_| {},
        |s| s.trade_date = Some("2026-11-26"),
        "the market is closed on the trade date 2026-11-26: Thanksgiving Day",
    )]
}
