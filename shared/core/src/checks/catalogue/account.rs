//! Account status and eligibility checks.

#[allow(unused_imports)]
use super::prelude::*;

pub(super) fn checks() -> Vec<CheckDef> {
    vec![
        CheckDef {
            id: "ACCT.TRADE_FOR_ANOTHER_ACCOUNT",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "A trade must be checked against the account it will be booked to.",
            params: &[],
            scope: Scope::ANY,
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
            id: "ACCT.CLOSED",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "A closed account must not trade.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| status_check(i, AccountStatus::Closed, "closed"),
        },
        CheckDef {
            id: "ACCT.FROZEN",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "A frozen account (legal hold, dispute, 90-day freeze) must not trade.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| status_check(i, AccountStatus::Frozen, "frozen"),
        },
        CheckDef {
            id: "ACCT.DECEASED",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "After the owner's death only the estate's representative may instruct trades.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| status_check(i, AccountStatus::Deceased, "flagged deceased"),
        },
        CheckDef {
            id: "ACCT.PENDING_TRANSFER",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "Assets in an outgoing transfer (ACATS) must not be traded.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| status_check(i, AccountStatus::PendingTransfer, "pending transfer"),
        },
        CheckDef {
            id: "ACCT.RESTRICTED_BUY",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "A restricted account (e.g. after good-faith violations) may only sell.",
            params: &[],
            scope: Scope::BUY,
            run: |i, _| {
                (i.account.status == AccountStatus::Restricted && i.trade.side == Side::Buy).then(|| {
                    Failure::new(format!(
                        "account {} is restricted to closing sales; buy of {} refused",
                        i.account.id, i.trade.security
                    ))
                    .with("status", "restricted")
                })
            },
        },
    ]
}
