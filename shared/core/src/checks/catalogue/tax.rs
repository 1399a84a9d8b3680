//! Tax checks.

#[allow(unused_imports)]
use super::prelude::*;

const LARGE_SHORT_TERM_GAIN: &[ParamDef] = &[ParamDef {
    name: "max_gain",
    meaning: "short-term gain of one sale, in dollars, above which it is flagged",
    default: dec(10_000, 0),
    min: dec(0, 0),
    max: dec(10_000_000, 0),
}];

pub(super) fn checks() -> Vec<CheckDef> {
    vec![
        CheckDef {
            id: "TAX.SHORT_TERM_GAIN_AVOIDED",
            family: Family::Tax,
            severity: Severity::Warn,
            why: "The account asked to avoid short-term gains, which are taxed as ordinary income.",
            params: &[],
            scope: Scope::SELL,
            run: |i, _| {
                let st: Decimal =
                    i.trade.lots.iter().filter(|l| l.term == Term::ShortTerm && l.gain > Decimal::ZERO).map(|l| l.gain).sum();
                (i.account.tax.avoid_short_term_gains && st > Decimal::ZERO).then(|| {
                    Failure::new(format!(
                        "sale of {} realizes a short-term gain of {} although the account avoids them",
                        i.trade.security, st
                    ))
                    .with("short_term_gain", st)
                })
            },
        },
        CheckDef {
            id: "TAX.WASH_SALE_BUY",
            family: Family::Tax,
            severity: Severity::Block,
            why: "IRC §1091: buying within 30 days of a loss sale of a substantially identical security disallows the loss.",
            params: &[],
            scope: Scope::BUY.taxable(),
            run: |i, _| {
                let sec = i.security?;
                if i.trade.side != Side::Buy || !i.account.account_type.is_taxable() {
                    return None;
                }
                let k = i.context.wash.loss_sale(i.reference.wash_group(sec))?;
                let sale = &i.account.recent_trades[k];
                Some(
                    Failure::new(format!(
                        "buying {} within 30 days of the {} loss sale of {} on {} would be a wash sale",
                        i.trade.security, sale.realized_gain, sale.security, sale.trade_date
                    ))
                    .with("loss_sale_date", sale.trade_date),
                )
            },
        },
        CheckDef {
            id: "TAX.WASH_SALE_LOSS_SALE",
            family: Family::Tax,
            severity: Severity::Block,
            why: "IRC §1091: a loss sale within 30 days after buying a substantially identical security is a wash sale.",
            params: &[],
            scope: Scope::SELL.taxable(),
            run: |i, _| {
                let sec = i.security?;
                let loss: Decimal = i.trade.lots.iter().filter(|l| l.gain < Decimal::ZERO).map(|l| l.gain).sum();
                if i.trade.side != Side::Sell || loss >= Decimal::ZERO || !i.account.account_type.is_taxable() {
                    return None;
                }
                let bought = i.context.wash.last_purchase(i.reference.wash_group(sec))?;
                Some(
                    Failure::new(format!(
                        "selling {} at a loss of {loss} within 30 days of buying it on {bought} would be a wash sale",
                        i.trade.security
                    ))
                    .with("loss", loss)
                    .with("bought_on", bought),
                )
            },
        },
        CheckDef {
            id: "TAX.LOSS_SALE_AND_REBUY_IN_BATCH",
            family: Family::Tax,
            severity: Severity::Block,
            why: "Selling at a loss and buying a substantially identical security in the same batch is a wash sale.",
            params: &[],
            scope: Scope::BUY.taxable(),
            run: |i, _| {
                let sec = i.security?;
                let group = i.reference.wash_group(sec);
                (i.trade.side == Side::Buy
                    && i.account.account_type.is_taxable()
                    && i.context.loss_sale_groups.contains(&group))
                .then(|| {
                    Failure::new(format!(
                        "{} is bought in the batch that sells it (or an identical security) at a loss",
                        i.trade.security
                    ))
                    .with("security", &i.trade.security)
                })
            },
        },
        CheckDef {
            id: "TAX.LARGE_SHORT_TERM_GAIN",
            family: Family::Tax,
            severity: Severity::Warn,
            why: "A large short-term gain is taxed as ordinary income; advisors confirm it before it is realized.",
            params: LARGE_SHORT_TERM_GAIN,
            scope: Scope::SELL.taxable(),
            run: |i, p| {
                (i.account.account_type.is_taxable() && i.trade.short_term_gain > p[0]).then(|| {
                    Failure::new(format!(
                        "sale of {} realizes a short-term gain of {}, above {}",
                        i.trade.security, i.trade.short_term_gain, p[0]
                    ))
                    .with("short_term_gain", i.trade.short_term_gain)
                })
            },
        },
        CheckDef {
            id: "TAX.GAIN_BUDGET",
            family: Family::Tax,
            severity: Severity::Warn,
            why: "The account caps net realized gains for the year.",
            params: &[],
            scope: Scope::SELL.taxable(),
            run: |i, _| {
                let budget = i.account.tax.gain_budget?;
                let gain = i.trade.short_term_gain + i.trade.long_term_gain;
                let total = i.account.tax.realized_gains_ytd + gain;
                (i.account.account_type.is_taxable() && gain > Decimal::ZERO && total > budget).then(|| {
                    Failure::new(format!(
                        "this sale's gain of {gain} brings the year's realized gains to {total}, above the budget of {budget}"
                    ))
                    .with("realized_after", total)
                    .with("budget", budget)
                })
            },
        },
    ]
}
