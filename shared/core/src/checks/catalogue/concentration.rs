//! Concentration checks.

#[allow(unused_imports)]
use super::prelude::*;

const SINGLE_SECURITY: &[ParamDef] = &[ParamDef {
    name: "max_weight",
    meaning: "largest weight of one security after the trade",
    default: dec(25, 2),
    min: dec(1, 2),
    max: dec(1, 0),
}];

pub(super) fn checks() -> Vec<CheckDef> {
    vec![CheckDef {
        id: "CONC.SINGLE_SECURITY",
        family: Family::Concentration,
        severity: Severity::Warn,
        why: "One security above a set weight concentrates the client's risk.",
        params: SINGLE_SECURITY,
        scope: Scope::BUY,
        run: |i, p| {
            let sec = i.security?;
            if i.trade.side != Side::Buy || i.context.market_value <= Decimal::ZERO {
                return None;
            }
            // Float screen: clearly under the limit needs no decimal arithmetic.
            let after_f = to_f64(i.context.held(sec) + i.trade.quantity) * i.reference.price_f64(sec);
            if after_f < i.context.market_value_f * to_f64(p[0]) * 0.99 {
                return None;
            }
            let price = i.reference.price(sec)?;
            let after = (i.context.held(sec) + i.trade.quantity) * price;
            let weight = after / i.context.market_value;
            (weight > p[0]).then(|| {
                Failure::new(format!(
                    "{} would be {}% of the account after this buy (limit {}%)",
                    i.trade.security,
                    (weight * Decimal::ONE_HUNDRED).round_dp(2),
                    p[0] * Decimal::ONE_HUNDRED
                ))
                .with("weight", weight.round_dp(4))
            })
        },
    }]
}
