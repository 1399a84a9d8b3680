//! Cash and buying power checks.

#[allow(unused_imports)]
use super::prelude::*;

pub(super) fn checks() -> Vec<CheckDef> {
    vec![
        CheckDef {
            id: "CASH.NEGATIVE_BALANCE",
            family: Family::CashAndBuyingPower,
            severity: Severity::Block,
            why: "15c3-5 credit control: the account's orders must not spend more cash than it has.",
            params: &[],
            scope: Scope::BUY,
            run: |i, _| {
                (i.trade.side == Side::Buy && i.context.cash_after < Decimal::ZERO).then(|| {
                    Failure::new(format!(
                        "the account's orders leave cash at {} (cash now {})",
                        i.context.cash_after, i.account.cash
                    ))
                    .with("cash_after", i.context.cash_after)
                })
            },
        },
        CheckDef {
            id: "CASH.RESERVE_BREACH",
            family: Family::CashAndBuyingPower,
            severity: Severity::Warn,
            why: "Cash set aside for fees or a known need should not be invested.",
            params: &[],
            scope: Scope::BUY,
            run: |i, _| {
                let reserve = i.account.cash_reserve;
                (i.trade.side == Side::Buy && reserve > Decimal::ZERO && i.context.cash_after < reserve).then(|| {
                    Failure::new(format!(
                        "the account's orders leave cash at {}, below its reserve of {}",
                        i.context.cash_after, reserve
                    ))
                    .with("cash_after", i.context.cash_after)
                    .with("reserve", reserve)
                })
            },
        },
    ]
}
