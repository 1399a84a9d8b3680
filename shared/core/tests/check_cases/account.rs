#[allow(unused_imports)]
use crate::*;

pub fn cases() -> Vec<Case> {
    vec![
        case("ACCT.CLOSED", |_| {}, |s| s.account.status = AccountStatus::Closed, "account CHK-1 is closed"),
        case("ACCT.FROZEN", |_| {}, |s| s.account.status = AccountStatus::Frozen, "account CHK-1 is frozen"),
        case(
            "ACCT.DECEASED",
            |_| {},
            |s| s.account.status = AccountStatus::Deceased,
            "account CHK-1 is flagged deceased",
        ),
        case(
            "ACCT.PENDING_TRANSFER",
            |_| {},
            |s| s.account.status = AccountStatus::PendingTransfer,
            "account CHK-1 is pending transfer",
        ),
        case(
            "ACCT.RESTRICTED_BUY",
            |_| {},
            |s| s.account.status = AccountStatus::Restricted,
            "restricted to closing sales; buy of BBB refused",
        ),
        case(
            "ACCT.TRADE_FOR_ANOTHER_ACCOUNT",
            |_| {},
            |s| s.trade.account = "OTHER".into(),
            "trade is for account OTHER but was checked against account CHK-1",
        ),
    ]
}
