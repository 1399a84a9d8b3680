//! Market checks.

#[allow(unused_imports)]
use super::prelude::*;

pub(super) fn checks() -> Vec<CheckDef> {
    vec![CheckDef {
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
    }]
}
