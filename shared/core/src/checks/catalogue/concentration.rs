//! Concentration checks.
//!
//! Limits on what the account holds after the whole batch: one name, one sector, one
//! country, one kind of risk. Exposures come from the account context (values after the
//! batch at reference prices); weights are of the account's value before the batch, as
//! a float score, since a buy or sale only moves value between cash and a position.

#[allow(unused_imports)]
use super::prelude::*;
use crate::book::SecIdx;
use crate::num::{from_f64, Round};
use crate::trade::TradeReason;

const SINGLE_SECURITY: &[ParamDef] = &[ParamDef {
    name: "max_weight",
    meaning: "largest weight of one security after the trade",
    default: dec(25, 2),
    min: dec(1, 2),
    max: dec(1, 0),
}];

const SINGLE_ISSUER: &[ParamDef] = &[ParamDef {
    name: "max_weight",
    meaning: "largest weight of one company's shares, bonds and options together after the batch",
    default: dec(10, 2),
    min: dec(1, 2),
    max: dec(1, 0),
}];

const SECTOR: &[ParamDef] = &[ParamDef {
    name: "max_weight",
    meaning: "largest weight of one sector after the batch",
    default: dec(30, 2),
    min: dec(5, 2),
    max: dec(1, 0),
}];

const ASSET_CLASS_OVER_MODEL: &[ParamDef] = &[ParamDef {
    name: "max_excess",
    meaning: "weight points an asset class may exceed the model's weight for it",
    default: dec(10, 2),
    min: dec(1, 2),
    max: dec(1, 0),
}];

const FOREIGN_TOTAL: &[ParamDef] = &[ParamDef {
    name: "max_weight",
    meaning: "largest weight of foreign issuers (non-US domicile or ADRs) after the batch",
    default: dec(40, 2),
    min: dec(1, 2),
    max: dec(1, 0),
}];

const SINGLE_FOREIGN_COUNTRY: &[ParamDef] = &[ParamDef {
    name: "max_weight",
    meaning: "largest weight of issuers domiciled in one foreign country after the batch",
    default: dec(15, 2),
    min: dec(1, 2),
    max: dec(1, 0),
}];

const FUND_OWNERSHIP: &[ParamDef] = &[ParamDef {
    name: "max_share",
    meaning: "largest fraction of a fund's assets the account may own after the buy",
    default: dec(1, 2),
    min: dec(1, 4),
    max: dec(25, 2),
}];

const ILLIQUID_TOTAL: &[ParamDef] = &[ParamDef {
    name: "max_weight",
    meaning: "largest weight of illiquid holdings after the batch",
    default: dec(15, 2),
    min: dec(1, 2),
    max: dec(1, 0),
}];

const COMPLEX_EXPOSURE: &[ParamDef] = &[ParamDef {
    name: "max_exposure",
    meaning: "largest effective exposure of complex products (value × leverage factor) as a fraction of the account",
    default: dec(15, 2),
    min: dec(1, 2),
    max: dec(3, 0),
}];

const BOND_ISSUER_SHARE: &[ParamDef] = &[ParamDef {
    name: "max_share",
    meaning: "largest fraction of the account's fixed income in the bonds of one issuer below AAA",
    default: dec(20, 2),
    min: dec(1, 2),
    max: dec(1, 0),
}];

const HIGH_YIELD_TOTAL: &[ParamDef] = &[ParamDef {
    name: "max_weight",
    meaning: "largest weight of below-investment-grade bonds and high-yield funds after the batch",
    default: dec(20, 2),
    min: dec(1, 2),
    max: dec(1, 0),
}];

const OPTIONS_NOTIONAL: &[ParamDef] = &[ParamDef {
    name: "max_notional",
    meaning: "largest underlying value controlled by long options, as a fraction of the account",
    default: dec(50, 2),
    min: dec(1, 2),
    max: dec(10, 0),
}];

const LIQUIDATION_DAYS: &[ParamDef] = &[
    ParamDef {
        name: "max_days",
        meaning: "trading days the position after the buy may need to be sold",
        default: dec(5, 0),
        min: dec(1, 0),
        max: dec(250, 0),
    },
    ParamDef {
        name: "participation",
        meaning: "fraction of the average daily volume the firm would trade in a day",
        default: dec(20, 2),
        min: dec(1, 2),
        max: dec(1, 0),
    },
];

const ADD_TO_CONCENTRATED: &[ParamDef] = &[ParamDef {
    name: "max_weight",
    meaning: "weight of one stock or bond above which no more of it is bought",
    default: dec(20, 2),
    min: dec(1, 2),
    max: dec(1, 0),
}];

const ALTERNATIVES_TOTAL: &[ParamDef] = &[ParamDef {
    name: "max_weight",
    meaning: "largest weight of accredited-only alternative investments after the batch",
    default: dec(10, 2),
    min: dec(1, 2),
    max: dec(1, 0),
}];

const BOND_MATURITY_YEAR: &[ParamDef] = &[ParamDef {
    name: "max_weight",
    meaning: "largest weight of bonds maturing in one calendar year after the batch",
    default: dec(25, 2),
    min: dec(1, 2),
    max: dec(1, 0),
}];

/// Largest ratio a reason shows (a million times), so a percentage never overflows.
const RATIO_CAP: Decimal = dec(1_000_000, 0);

/// A weight (a float score) as a percentage for reasons.
fn wpct(w: f64) -> String {
    pct(from_f64(w, 4, Round::Nearest))
}

/// A dollar value kept as a float score, for reasons.
fn dollars(v: f64) -> String {
    format!("{v:.2}")
}

/// Weight of a value in the account; `None` for an account with no value.
fn weight_of(i: &CheckInput<'_>, value: f64) -> Option<f64> {
    (i.context.market_value_f > 0.0).then(|| value / i.context.market_value_f)
}

/// Value after the batch of the positions that `keep` selects.
fn after_where(i: &CheckInput<'_>, keep: impl Fn(SecIdx, &Security) -> bool) -> f64 {
    i.context.after.iter().filter(|&&(j, _)| keep(j, i.reference.security(j))).map(|&(_, v)| v).sum()
}

/// Instruments of a single company (a fund's issuer is its sponsor, not a company it owns).
fn single_name(s: &Security) -> bool {
    matches!(s.kind, SecurityKind::Equity | SecurityKind::Bond | SecurityKind::Option)
}

/// An equity asset class name: `us_equity`, `us_large_cap`, `emerging_markets`, ...
/// (prefix and suffix tests only, so a scan over holdings stays cheap).
fn equity_class(c: &str) -> bool {
    c.ends_with("equity")
        || c.ends_with("equities")
        || c.ends_with("_cap")
        || c.ends_with("stock")
        || c.ends_with("stocks")
        || c.starts_with("emerging")
        || c.starts_with("international_developed")
        || c.starts_with("real_estate")
}

/// A fixed-income asset class name: `us_aggregate_bond`, `us_treasury`, `tips`, ...
fn fixed_income_class(c: &str) -> bool {
    c.ends_with("bond")
        || c.ends_with("bonds")
        || c.ends_with("fixed_income")
        || c.ends_with("treasury")
        || c.ends_with("treasuries")
        || c.starts_with("muni")
        || c == "tips"
}

/// Equity for policy limits: stocks, and funds whose asset class names an equity class.
fn is_equity(s: &Security) -> bool {
    match s.kind {
        SecurityKind::Equity => true,
        SecurityKind::Bond | SecurityKind::CashEquivalent | SecurityKind::Option => false,
        SecurityKind::Etf | SecurityKind::MutualFund => equity_class(&s.asset_class),
    }
}

/// Fixed income for policy limits: bonds, and funds whose asset class names a bond class.
fn is_fixed_income(s: &Security) -> bool {
    match s.kind {
        SecurityKind::Bond => true,
        SecurityKind::Equity | SecurityKind::CashEquivalent | SecurityKind::Option => false,
        SecurityKind::Etf | SecurityKind::MutualFund => fixed_income_class(&s.asset_class),
    }
}

/// Below investment grade (or not rated) bonds, and funds classed as high yield.
fn is_high_yield(s: &Security) -> bool {
    match (s.kind, &s.profile.bond) {
        (SecurityKind::Bond, Some(b)) => !b.rating.investment_grade(),
        (SecurityKind::Etf | SecurityKind::MutualFund, _) => s.asset_class.starts_with("high_yield"),
        _ => false,
    }
}

/// A weight limit on a group of holdings the traded security belongs to.
fn over_limit(i: &CheckInput<'_>, value: f64, limit: Decimal) -> Option<f64> {
    let w = weight_of(i, value)?;
    (w > to_f64(limit)).then_some(w)
}

pub(super) fn checks() -> Vec<CheckDef> {
    vec![
        CheckDef {
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
        },
        CheckDef {
            id: "CONC.SINGLE_ISSUER",
            family: Family::Concentration,
            severity: Severity::Warn,
            why: "A company's shares, bonds and options together above a set weight tie the client's equity and credit risk to one name (concentration is a FINRA Rule 2111 suitability factor). US government bonds (sector Government) carry no issuer credit risk and are exempt.",
            params: SINGLE_ISSUER,
            scope: Scope::BUY.kinds(&[SecurityKind::Equity, SecurityKind::Bond, SecurityKind::Option]),
            run: |i, p| {
                let sec = i.security?;
                if i.reference.security(sec).us_government() {
                    return None;
                }
                let limit = to_f64(p[0]) * i.context.market_value_f;
                // Screen: the whole issuer group (fund sponsors included) is under the limit.
                if i.context.exposure_after(i.reference, sec, Attr::Issuer) <= limit {
                    return None;
                }
                let issuer = i.reference.attr(sec, Attr::Issuer);
                let (mut value, mut names) = (0.0, 0usize);
                for &(j, v) in &i.context.after {
                    if v > 0.0 && i.reference.attr(j, Attr::Issuer) == issuer && single_name(i.reference.security(j)) {
                        value += v;
                        names += 1;
                    }
                }
                let w = over_limit(i, value, p[0])?;
                let name = i.reference.attr_name(Attr::Issuer, issuer);
                Some(
                    Failure::new(format!(
                        "issuer {name} would be {} of the account after this batch across {names} of its securities (limit {})",
                        wpct(w),
                        pct(p[0])
                    ))
                    .with("issuer", name)
                    .with("weight", wpct(w)),
                )
            },
        },
        CheckDef {
            id: "CONC.SECTOR",
            family: Family::Concentration,
            severity: Severity::Warn,
            why: "Stocks of one sector move together; a sector above a set weight concentrates the client's risk (FINRA Rule 2111).",
            params: SECTOR,
            scope: Scope::BUY.kinds(&[SecurityKind::Equity]),
            run: |i, p| {
                let sec = i.security?;
                let sector = &i.reference.security(sec).profile.sector;
                if sector.is_empty() {
                    return None;
                }
                let w = over_limit(i, i.context.exposure_after(i.reference, sec, Attr::Sector), p[0])?;
                Some(
                    Failure::new(format!(
                        "the {sector} sector would be {} of the account after this batch (limit {})",
                        wpct(w),
                        pct(p[0])
                    ))
                    .with("sector", sector)
                    .with("weight", wpct(w)),
                )
            },
        },
        CheckDef {
            id: "CONC.ASSET_CLASS_OVER_MODEL",
            family: Family::Concentration,
            severity: Severity::Warn,
            why: "An asset class held well above the model's allocation to it changes the account's risk from the one the client chose (a model holding bought only up to its own target is not faulted).",
            params: ASSET_CLASS_OVER_MODEL,
            scope: Scope::BUY.known(),
            run: |i, p| {
                let sec = i.security?;
                // A harvest replacement keeps the class of what it replaces.
                if i.context.targets.is_empty()
                    || i.reference.security(sec).asset_class.is_empty()
                    || i.trade.reason == TradeReason::HarvestReplacement
                {
                    return None;
                }
                let excess = to_f64(p[0]);
                let w = weight_of(i, i.context.exposure_after(i.reference, sec, Attr::AssetClass))?;
                // Screen: a class under the allowed excess cannot exceed the model by it.
                if w <= excess {
                    return None;
                }
                // A model holding bought no further than its own target adds nothing the model
                // does not ask for; the class excess then comes from other holdings.
                let c = i.context;
                let k = c.after.binary_search_by_key(&sec, |a| a.0).ok()?;
                let target = c.after_targets.get(k).copied().flatten().unwrap_or(0.0);
                if target > 0.0 && c.after[k].1 <= target * i.context.market_value_f {
                    return None;
                }
                // Screen: the class holds at least the traded security's own target.
                if w - target <= excess {
                    return None;
                }
                let class = i.reference.attr(sec, Attr::AssetClass);
                let model: f64 = i
                    .context
                    .targets
                    .iter()
                    .filter(|t| i.reference.attr(t.0, Attr::AssetClass) == class)
                    .map(|t| t.1)
                    .sum();
                (w - model > excess).then(|| {
                    let name = i.reference.attr_name(Attr::AssetClass, class);
                    Failure::new(format!(
                        "{name} would be {} of the account after this batch against {} in model {} (more than {} over)",
                        wpct(w),
                        wpct(model),
                        i.account.model,
                        pct(p[0])
                    ))
                    .with("asset_class", name)
                    .with("weight", wpct(w))
                    .with("model_weight", wpct(model))
                })
            },
        },
        CheckDef {
            id: "CONC.FOREIGN_TOTAL",
            family: Family::Concentration,
            severity: Severity::Warn,
            why: "Foreign issuers add currency, political and disclosure risk and foreign withholding tax; their total weight is capped by firm policy.",
            params: FOREIGN_TOTAL,
            scope: Scope::BUY.known(),
            run: |i, p| {
                if !security(i)?.foreign() {
                    return None;
                }
                let w = over_limit(i, after_where(i, |_, s| s.foreign()), p[0])?;
                Some(
                    Failure::new(format!(
                        "foreign issuers (non-US domicile or ADRs) would be {} of the account after this batch (limit {})",
                        wpct(w),
                        pct(p[0])
                    ))
                    .with("weight", wpct(w)),
                )
            },
        },
        CheckDef {
            id: "CONC.SINGLE_FOREIGN_COUNTRY",
            family: Family::Concentration,
            severity: Severity::Warn,
            why: "Issuers of one foreign country share its currency, political and legal risk; one country above a set weight concentrates it.",
            params: SINGLE_FOREIGN_COUNTRY,
            scope: Scope::BUY.known(),
            run: |i, p| {
                let sec = i.security?;
                let country = &i.reference.security(sec).profile.country;
                if country.is_empty() || country == "US" {
                    return None;
                }
                let w = over_limit(i, i.context.exposure_after(i.reference, sec, Attr::Country), p[0])?;
                Some(
                    Failure::new(format!(
                        "issuers domiciled in {country} would be {} of the account after this batch (limit {})",
                        wpct(w),
                        pct(p[0])
                    ))
                    .with("country", country)
                    .with("weight", wpct(w)),
                )
            },
        },
        CheckDef {
            id: "CONC.FUND_OWNERSHIP",
            family: Family::Concentration,
            severity: Severity::Warn,
            why: "Owning a large share of a small fund makes the account's own redemption costly and exposes it to the fund closing or liquidating.",
            params: FUND_OWNERSHIP,
            scope: Scope::BUY.kinds(&[SecurityKind::Etf, SecurityKind::MutualFund]),
            run: |i, p| {
                let sec = i.security?;
                let aum = i.reference.security(sec).profile.aum.filter(|a| *a > Decimal::ZERO)?;
                let quantity = i.context.held(sec).checked_add(i.trade.quantity)?;
                // Float screen: clearly under the limit needs no decimal arithmetic.
                if to_f64(quantity) * i.reference.price_f64(sec) < to_f64(aum) * to_f64(p[0]) * 0.99 {
                    return None;
                }
                let value = quantity.checked_mul(i.reference.price(sec)?)?;
                // Capped so an absurd fund size cannot overflow the percentage in the reason.
                let share = value.checked_div(aum)?.min(RATIO_CAP);
                (share > p[0]).then(|| {
                    Failure::new(format!(
                        "the account would own {} of {}'s {} of assets after this buy (limit {})",
                        pct(share),
                        i.trade.security,
                        aum,
                        pct(p[0])
                    ))
                    .with("share_of_fund", pct(share))
                    .with("aum", aum)
                })
            },
        },
        CheckDef {
            id: "CONC.ILLIQUID_TOTAL",
            family: Family::Concentration,
            severity: Severity::Warn,
            why: "Illiquid holdings cannot be sold quickly at a fair price; the firm caps them at the 15% that SEC Rule 22e-4 allows an open-end fund.",
            params: ILLIQUID_TOTAL,
            scope: Scope::BUY.known(),
            run: |i, p| {
                if !security(i)?.profile.illiquid {
                    return None;
                }
                let value = after_where(i, |_, s| s.profile.illiquid);
                let w = over_limit(i, value, p[0])?;
                Some(
                    Failure::new(format!(
                        "illiquid holdings would be {} of the account ({}) after this batch (limit {})",
                        wpct(w),
                        dollars(value),
                        pct(p[0])
                    ))
                    .with("weight", wpct(w)),
                )
            },
        },
        CheckDef {
            id: "CONC.COMPLEX_EXPOSURE",
            family: Family::Concentration,
            severity: Severity::Warn,
            why: "FINRA RN 09-31: leveraged and inverse products multiply losses; their effective exposure (value × leverage factor) is capped as a share of the account.",
            params: COMPLEX_EXPOSURE,
            scope: Scope::BUY.known(),
            run: |i, p| {
                if !security(i)?.complex() {
                    return None;
                }
                let mut exposure = 0.0;
                for &(j, v) in &i.context.after {
                    let s = i.reference.security(j);
                    if s.complex() {
                        let factor = s.profile.flags.leverage_factor.map(|f| to_f64(f).abs()).unwrap_or(1.0);
                        exposure += v * factor.max(1.0);
                    }
                }
                let w = over_limit(i, exposure, p[0])?;
                Some(
                    Failure::new(format!(
                        "complex products would carry {} of effective exposure after this batch, {} of the account (value × leverage factor; limit {})",
                        dollars(exposure),
                        wpct(w),
                        pct(p[0])
                    ))
                    .with("exposure", wpct(w)),
                )
            },
        },
        CheckDef {
            id: "CONC.BOND_ISSUER_SHARE",
            family: Family::Concentration,
            severity: Severity::Warn,
            why: "A bond portfolio is diversified by issuer so one default cannot take a large part of it; issuers rated AAA (Treasuries, agencies) are exempt.",
            params: BOND_ISSUER_SHARE,
            scope: Scope::BUY.kinds(&[SecurityKind::Bond]),
            run: |i, p| {
                let sec = i.security?;
                let s = i.reference.security(sec);
                if s.profile.bond.as_ref().is_some_and(|b| b.rating == Rating::Aaa) {
                    return None;
                }
                let issuer = i.reference.attr(sec, Attr::Issuer);
                let mut of_issuer = 0.0;
                for &(j, v) in &i.context.after {
                    if i.reference.attr(j, Attr::Issuer) == issuer && i.reference.security(j).kind == SecurityKind::Bond {
                        of_issuer += v;
                    }
                }
                // Fixed income by asset class, from the per-class exposures (the issuer's own
                // bonds count even when their class is not named as fixed income).
                let classes = &i.context.exposure_after[Attr::AssetClass as usize];
                let fixed_income = classes
                    .iter()
                    .filter(|&&(g, _)| fixed_income_class(i.reference.attr_name(Attr::AssetClass, g)))
                    .map(|&(_, v)| v)
                    .sum::<f64>()
                    .max(of_issuer);
                if fixed_income <= 0.0 {
                    return None;
                }
                let share = of_issuer / fixed_income;
                (share > to_f64(p[0])).then(|| {
                    let name = i.reference.attr_name(Attr::Issuer, issuer);
                    Failure::new(format!(
                        "{name} bonds would be {} of the account's fixed income ({} of {}) after this batch (limit {})",
                        wpct(share),
                        dollars(of_issuer),
                        dollars(fixed_income),
                        pct(p[0])
                    ))
                    .with("issuer", name)
                    .with("share", wpct(share))
                })
            },
        },
        CheckDef {
            id: "CONC.HIGH_YIELD_TOTAL",
            family: Family::Concentration,
            severity: Severity::Warn,
            why: "Below-investment-grade debt carries equity-like default risk; its total weight is capped so the fixed income still cushions the account.",
            params: HIGH_YIELD_TOTAL,
            scope: Scope::BUY.kinds(&[SecurityKind::Bond, SecurityKind::Etf, SecurityKind::MutualFund]),
            run: |i, p| {
                if !is_high_yield(security(i)?) {
                    return None;
                }
                let w = over_limit(i, after_where(i, |_, s| is_high_yield(s)), p[0])?;
                Some(
                    Failure::new(format!(
                        "below-investment-grade bonds and high-yield funds would be {} of the account after this batch (limit {})",
                        wpct(w),
                        pct(p[0])
                    ))
                    .with("weight", wpct(w)),
                )
            },
        },
        CheckDef {
            id: "CONC.OPTIONS_NOTIONAL",
            family: Family::Concentration,
            severity: Severity::Warn,
            why: "Long options control far more stock than they cost; the underlying value they control is capped as a share of the account (FINRA Rule 2360 suitability).",
            params: OPTIONS_NOTIONAL,
            scope: Scope::BUY.kinds(&[SecurityKind::Option]),
            run: |i, p| {
                let mut notional = 0.0;
                for &(j, v) in &i.context.after {
                    let s = i.reference.security(j);
                    let (Some(terms), price) = (&s.profile.option, i.reference.price_f64(j)) else { continue };
                    if v <= 0.0 || price <= 0.0 {
                        continue;
                    }
                    let Some(u) = i.reference.security_index(&terms.underlying) else { continue };
                    // Prices are per contract: contracts × shares per contract × underlying price.
                    notional += v / price * to_f64(terms.multiplier) * i.reference.price_f64(u);
                }
                let w = over_limit(i, notional, p[0])?;
                Some(
                    Failure::new(format!(
                        "long options would control {} of underlying value after this batch, {} of the account (limit {})",
                        dollars(notional),
                        wpct(w),
                        pct(p[0])
                    ))
                    .with("notional", dollars(notional))
                    .with("weight", wpct(w)),
                )
            },
        },
        CheckDef {
            id: "CONC.LIQUIDATION_DAYS",
            family: Family::Concentration,
            severity: Severity::Warn,
            why: "A position that takes many days to sell without moving the price cannot be exited when the client needs to; its size is capped in days of average volume.",
            params: LIQUIDATION_DAYS,
            scope: Scope::BUY.known(),
            run: |i, p| {
                let sec = i.security?;
                let adv = i.reference.security(sec).profile.adv.filter(|a| *a > Decimal::ZERO)?;
                let per_day = adv.checked_mul(p[1])?;
                let quantity = i.context.held(sec).checked_add(i.trade.quantity)?;
                // Float screen: clearly under the limit needs no decimal division.
                if to_f64(quantity) < to_f64(per_day) * to_f64(p[0]) * 0.99 {
                    return None;
                }
                let days = quantity.checked_div(per_day)?;
                (days > p[0]).then(|| {
                    Failure::new(format!(
                        "{quantity} {} after this buy would take {} days to sell at {} of its average daily volume of {adv} (limit {} days)",
                        i.trade.security,
                        days.round_dp(1),
                        pct(p[1]),
                        p[0]
                    ))
                    .with("days", days.round_dp(1))
                    .with("adv", adv)
                })
            },
        },
        CheckDef {
            id: "CONC.ADD_TO_CONCENTRATED",
            family: Family::Concentration,
            severity: Severity::Block,
            why: "A stock or bond already above the concentration limit may be reduced but not added to: the firm does not deepen a concentrated position (FINRA Rule 2111).",
            params: ADD_TO_CONCENTRATED,
            scope: Scope::BUY.kinds(&[SecurityKind::Equity, SecurityKind::Bond]),
            run: |i, p| {
                let sec = i.security?;
                let held = i.context.held(sec);
                if held <= Decimal::ZERO || i.context.market_value <= Decimal::ZERO {
                    return None;
                }
                // Float screen: clearly under the limit needs no decimal arithmetic.
                if to_f64(held) * i.reference.price_f64(sec) < i.context.market_value_f * to_f64(p[0]) * 0.99 {
                    return None;
                }
                let weight =
                    held.checked_mul(i.reference.price(sec)?)?.checked_div(i.context.market_value)?.min(RATIO_CAP);
                (weight > p[0]).then(|| {
                    Failure::new(format!(
                        "{} is already {} of the account, above the {} limit for a single stock or bond: it may be reduced but not added to",
                        i.trade.security,
                        pct(weight),
                        pct(p[0])
                    ))
                    .with("weight", pct(weight))
                })
            },
        },
        CheckDef {
            id: "CONC.IPS_MAX_EQUITY",
            family: Family::Concentration,
            severity: Severity::Block,
            why: "The client's investment policy statement caps the equity weight; buying equities beyond it breaches the mandate.",
            params: &[],
            scope: Scope::BUY.known(),
            run: |i, _| {
                // A policy weight outside 0-100% is a data error, not a limit.
                let max = i.account.profile.max_equity_weight.filter(|w| (Decimal::ZERO..=Decimal::ONE).contains(w))?;
                if !is_equity(security(i)?) {
                    return None;
                }
                let w = over_limit(i, after_where(i, |_, s| is_equity(s)), max)?;
                Some(
                    Failure::new(format!(
                        "equities would be {} of the account after this batch, above the investment policy maximum of {}",
                        wpct(w),
                        pct(max)
                    ))
                    .with("equity_weight", wpct(w))
                    .with("max_equity_weight", pct(max)),
                )
            },
        },
        CheckDef {
            id: "CONC.IPS_MIN_FIXED_INCOME",
            family: Family::Concentration,
            severity: Severity::Block,
            why: "The client's investment policy statement requires a minimum fixed-income weight; selling bonds below it breaches the mandate.",
            params: &[],
            scope: Scope::SELL.known(),
            run: |i, _| {
                let min =
                    i.account.profile.min_fixed_income_weight.filter(|w| (Decimal::ZERO..=Decimal::ONE).contains(w))?;
                if !is_fixed_income(security(i)?) {
                    return None;
                }
                let w = weight_of(i, after_where(i, |_, s| is_fixed_income(s)))?;
                (w < to_f64(min)).then(|| {
                    Failure::new(format!(
                        "fixed income would be {} of the account after this batch, below the investment policy minimum of {}",
                        wpct(w),
                        pct(min)
                    ))
                    .with("fixed_income_weight", wpct(w))
                    .with("min_fixed_income_weight", pct(min))
                })
            },
        },
        CheckDef {
            id: "CONC.ALTERNATIVES_TOTAL",
            family: Family::Concentration,
            severity: Severity::Warn,
            why: "NASAA and state concentration guidelines limit non-traded REITs, private placements and similar alternatives to about 10% of a client's liquid assets.",
            params: ALTERNATIVES_TOTAL,
            scope: Scope::BUY.known(),
            run: |i, p| {
                if !security(i)?.profile.accredited_only {
                    return None;
                }
                let w = over_limit(i, after_where(i, |_, s| s.profile.accredited_only), p[0])?;
                Some(
                    Failure::new(format!(
                        "alternative investments (accredited-only products) would be {} of the account after this batch (limit {})",
                        wpct(w),
                        pct(p[0])
                    ))
                    .with("weight", wpct(w)),
                )
            },
        },
        CheckDef {
            id: "CONC.BOND_MATURITY_YEAR",
            family: Family::Concentration,
            severity: Severity::Warn,
            why: "A bond ladder spreads maturities so reinvestment at one year's rates never decides a large part of the income; too much maturing in one year concentrates that risk.",
            params: BOND_MATURITY_YEAR,
            scope: Scope::BUY.kinds(&[SecurityKind::Bond]),
            run: |i, p| {
                let year = security(i)?.profile.bond.as_ref()?.maturity.year();
                let same_year =
                    |s: &Security| s.profile.bond.as_ref().is_some_and(|b| b.maturity.year() == year);
                let w = over_limit(i, after_where(i, |_, s| s.kind == SecurityKind::Bond && same_year(s)), p[0])?;
                Some(
                    Failure::new(format!(
                        "bonds maturing in {year} would be {} of the account after this batch (limit {})",
                        wpct(w),
                        pct(p[0])
                    ))
                    .with("maturity_year", year)
                    .with("weight", wpct(w)),
                )
            },
        },
    ]
}
