//! Product suitability checks.

#[allow(unused_imports)]
use super::prelude::*;

pub(super) fn checks() -> Vec<CheckDef> {
    vec![
        CheckDef {
            id: "SUIT.COMPLEX_PRODUCT_IN_RETIREMENT",
            family: Family::ProductSuitability,
            severity: Severity::Block,
            why: "FINRA RN 09-31: leveraged and inverse products reset daily and are excluded from retirement accounts by policy.",
            params: &[],
            scope: Scope::BUY.retirement(),
            run: |i, _| {
                let s = security(i)?;
                (i.trade.side == Side::Buy && s.complex_product && !i.account.account_type.is_taxable()).then(|| {
                    Failure::new(format!(
                        "{} is a complex (leveraged/inverse) product and cannot be bought in a retirement account",
                        s.id
                    ))
                    .with("security", &s.id)
                })
            },
        },
    ]
}
