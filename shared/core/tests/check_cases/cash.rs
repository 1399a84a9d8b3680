#[allow(unused_imports)]
use crate::*;

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "CASH.NEGATIVE_BALANCE",
            |_| {},
            |s| s.account.cash = dec("100"),
            "the account's orders leave cash at -400 (cash now 100)",
        ),
        case(
            "CASH.RESERVE_BREACH",
            |_| {},
            |s| s.account.cash_reserve = dec("19800"),
            "leave cash at 19500, below its reserve of 19800",
        ),
    ]
}
