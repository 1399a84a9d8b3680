//! Restricted, watch and insider lists checks.

#[allow(unused_imports)]
use super::prelude::*;

pub(super) fn checks() -> Vec<CheckDef> {
    vec![
        CheckDef {
            id: "LIST.FIRM_RESTRICTED",
            family: Family::RestrictedLists,
            severity: Severity::Block,
            why: "Securities on the firm's restricted list (e.g. during banking mandates) must not be bought.",
            params: &[],
            scope: Scope::BUY,
            run: |i, _| {
                let s = security(i)?;
                (i.trade.side == Side::Buy && s.restricted)
                    .then(|| Failure::new(format!("{} is on the firm's restricted list", s.id)).with("security", &s.id))
            },
        },
        CheckDef {
            id: "LIST.ACCOUNT_DO_NOT_BUY",
            family: Family::RestrictedLists,
            severity: Severity::Block,
            why: "The client or advisor asked never to buy this security in this account.",
            params: &[],
            scope: Scope::BUY,
            run: |i, _| {
                (i.trade.side == Side::Buy && i.account.restricted(&i.trade.security, RestrictionKind::DoNotBuy)).then(
                    || {
                        Failure::new(format!(
                            "account {} has a do-not-buy restriction on {}",
                            i.account.id, i.trade.security
                        ))
                        .with("security", &i.trade.security)
                    },
                )
            },
        },
        CheckDef {
            id: "LIST.ACCOUNT_DO_NOT_HOLD",
            family: Family::RestrictedLists,
            severity: Severity::Block,
            why: "A do-not-hold security may be sold but never bought.",
            params: &[],
            scope: Scope::BUY,
            run: |i, _| {
                (i.trade.side == Side::Buy && i.account.restricted(&i.trade.security, RestrictionKind::DoNotHold)).then(
                    || {
                        Failure::new(format!("account {} must not hold {}", i.account.id, i.trade.security))
                            .with("security", &i.trade.security)
                    },
                )
            },
        },
        CheckDef {
            id: "LIST.ACCOUNT_DO_NOT_SELL",
            family: Family::RestrictedLists,
            severity: Severity::Block,
            why: "The client asked never to sell this position (e.g. concentrated, low-basis or gifted stock).",
            params: &[],
            scope: Scope::SELL,
            run: |i, _| {
                (i.trade.side == Side::Sell && i.account.restricted(&i.trade.security, RestrictionKind::DoNotSell))
                    .then(|| {
                        Failure::new(format!(
                            "account {} has a do-not-sell restriction on {}",
                            i.account.id, i.trade.security
                        ))
                        .with("security", &i.trade.security)
                    })
            },
        },
    ]
}
