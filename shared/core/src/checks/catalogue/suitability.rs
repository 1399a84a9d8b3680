//! Product suitability checks (FINRA Rule 2111 and Regulation Best Interest): complex
//! products, options approval levels, mutual-fund share classes and purchase terms, bond
//! credit and maturity, risk ratings, restricted offerings and senior investors.

#[allow(unused_imports)]
use super::prelude::*;

use chrono::Months;

use crate::security::{FundTerms, OptionRight};

// ---------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------

const LEVERAGE_FACTOR_LIMIT: &[ParamDef] = &[ParamDef {
    name: "max_factor",
    meaning: "largest daily leverage multiple (in absolute value) any account may buy",
    default: dec(2, 0),
    min: dec(1, 0),
    max: dec(5, 0),
}];

const DAILY_RESET_HELD: &[ParamDef] = &[ParamDef {
    name: "max_days",
    meaning: "days a daily-reset position may have been held before adding to it is flagged",
    default: dec(30, 0),
    min: dec(1, 0),
    max: dec(365, 0),
}];

const OPTION_RETIREMENT: &[ParamDef] = &[ParamDef {
    name: "max_level",
    meaning: "highest options strategy level allowed in IRAs and qualified plans",
    default: dec(1, 0),
    min: dec(0, 0),
    max: dec(2, 0),
}];

const A_SHARE_BREAKPOINT: &[ParamDef] = &[ParamDef {
    name: "near_fraction",
    meaning: "how close below the breakpoint (fraction of it) a purchase is flagged",
    default: dec(10, 2),
    min: dec(1, 2),
    max: dec(50, 2),
}];

const C_SHARE_HORIZON: &[ParamDef] = &[ParamDef {
    name: "max_horizon_years",
    meaning: "investment horizon, in years, from which C shares cost more than A shares",
    default: dec(7, 0),
    min: dec(1, 0),
    max: dec(30, 0),
}];

const JUNK_BOND: &[ParamDef] = &[ParamDef {
    name: "max_risk_tolerance",
    meaning: "risk tolerance at or below which non-investment-grade bonds are refused",
    default: dec(2, 0),
    min: dec(1, 0),
    max: dec(5, 0),
}];

const BOND_HORIZON: &[ParamDef] = &[ParamDef {
    name: "grace_years",
    meaning: "years a bond may mature after the client's horizon before it is flagged",
    default: dec(0, 0),
    min: dec(0, 0),
    max: dec(10, 0),
}];

const RISK_TOLERANCE: &[ParamDef] = &[ParamDef {
    name: "allowed_excess",
    meaning: "levels a security's risk rating may exceed the client's risk tolerance",
    default: dec(0, 0),
    min: dec(0, 0),
    max: dec(4, 0),
}];

const SPECULATIVE: &[ParamDef] = &[ParamDef {
    name: "min_speculative_rating",
    meaning: "risk rating from which a security is speculative",
    default: dec(4, 0),
    min: dec(2, 0),
    max: dec(5, 0),
}];

const ILLIQUID_HORIZON: &[ParamDef] = &[ParamDef {
    name: "max_horizon_years",
    meaning: "horizon, in years, at or below which illiquid purchases are flagged",
    default: dec(3, 0),
    min: dec(0, 0),
    max: dec(20, 0),
}];

const SENIOR: &[ParamDef] = &[ParamDef {
    name: "min_age",
    meaning: "age from which a client is a senior investor",
    default: dec(65, 0),
    min: dec(50, 0),
    max: dec(100, 0),
}];

/// UBTI an IRA may receive in a year before it owes tax (IRC §512(b)(12) specific deduction).
const UBTI_DEDUCTION: u32 = 1_000;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// The security of a buy, when known.
fn bought<'a>(i: &'a CheckInput<'_>) -> Option<&'a Security> {
    if i.trade.side != Side::Buy {
        return None;
    }
    security(i)
}

/// A whole-number parameter as an integer (parameters are validated into small ranges).
fn whole(p: Decimal) -> i64 {
    p.trunc().try_into().unwrap_or(0)
}

fn objective_name(o: Objective) -> &'static str {
    match o {
        Objective::Preservation => "capital preservation",
        Objective::Income => "income",
        Objective::Balanced => "balanced",
        Objective::Growth => "growth",
        Objective::Speculation => "speculation",
    }
}

fn account_type_name(t: AccountType) -> &'static str {
    match t {
        AccountType::Taxable => "taxable",
        AccountType::Trust => "trust",
        AccountType::TraditionalIra => "traditional IRA",
        AccountType::RothIra => "Roth IRA",
        AccountType::Qualified => "qualified plan",
    }
}

fn leveraged(s: &Security) -> bool {
    let f = &s.profile.flags;
    f.leveraged || f.leverage_factor.is_some_and(|x| x.abs() > Decimal::ONE)
}

fn inverse(s: &Security) -> bool {
    let f = &s.profile.flags;
    f.inverse || f.leverage_factor.is_some_and(|x| x.is_sign_negative() && !x.is_zero())
}

/// Leveraged, inverse or volatility-linked: the products that reset daily (RN 09-31).
fn daily_reset(s: &Security) -> bool {
    s.profile.flags.volatility || leveraged(s) || inverse(s)
}

/// "3x daily" when the factor is known, for reasons.
fn factor_text(s: &Security) -> String {
    match s.profile.flags.leverage_factor {
        Some(f) => format!("{}x the daily return of its index", f.normalize()),
        None => "a multiple of the daily return of its index".to_string(),
    }
}

/// The first daily-reset feature of a product, as a word.
fn reset_feature(s: &Security) -> &'static str {
    if leveraged(s) {
        "leveraged"
    } else if inverse(s) {
        "inverse"
    } else {
        "volatility-linked"
    }
}

/// A buy of a complex feature `has` by an account without complex-product approval.
fn unapproved(
    i: &CheckInput<'_>,
    has: fn(&Security) -> bool,
    what: impl FnOnce(&Security) -> String,
) -> Option<Failure> {
    let s = bought(i)?;
    if i.account.profile.complex_approved || !has(s) {
        return None;
    }
    Some(
        Failure::new(format!("{}; account {} is not approved for complex products", what(s), i.account.id))
            .with("security", &s.id)
            .with("complex_approved", false),
    )
}

/// A single-leg options strategy and the approval level it needs (firm tiers: 1 covered
/// calls and protective puts, 2 long options and cash-secured puts, 4 uncovered writing).
struct OptionStrategy {
    name: &'static str,
    level: u8,
    uncovered: bool,
    /// Contracts bought, or written beyond those already held.
    contracts: Decimal,
}

/// What an option trade is. `None` for closing sales (which need no approval) and for
/// securities without option terms.
fn option_strategy(i: &CheckInput<'_>) -> Option<OptionStrategy> {
    let sec = i.security?;
    let terms = i.reference.security(sec).profile.option.as_ref()?;
    let underlying = i.reference.security_index(&terms.underlying).map(|u| i.context.held(u)).unwrap_or(Decimal::ZERO);
    let s = |name, level, uncovered, contracts| Some(OptionStrategy { name, level, uncovered, contracts });
    let q = i.trade.quantity;
    match i.trade.side {
        Side::Buy if terms.right == OptionRight::Put && underlying >= q.saturating_mul(terms.multiplier) => {
            s("a protective put", 1, false, q)
        }
        Side::Buy => s("a long option purchase", 2, false, q),
        Side::Sell => {
            let written = q - i.context.held(sec);
            if written <= Decimal::ZERO {
                return None;
            }
            let exposure = written.saturating_mul(terms.multiplier);
            match terms.right {
                OptionRight::Call if underlying >= exposure => s("a covered call", 1, false, written),
                OptionRight::Call => s("an uncovered call", 4, true, written),
                OptionRight::Put if i.context.cash_after >= exposure.saturating_mul(terms.strike) => {
                    s("a cash-secured put", 2, false, written)
                }
                OptionRight::Put => s("an uncovered put", 4, true, written),
            }
        }
    }
}

/// A mutual-fund buy and the fund's terms.
fn fund_bought<'a>(i: &'a CheckInput<'_>) -> Option<(&'a Security, &'a FundTerms)> {
    let s = bought(i)?;
    Some((s, s.profile.fund.as_ref()?))
}

fn rating_text(r: Rating) -> &'static str {
    match r {
        Rating::Aaa => "rated AAA",
        Rating::Aa => "rated AA",
        Rating::A => "rated A",
        Rating::Bbb => "rated BBB",
        Rating::Bb => "rated BB, below investment grade",
        Rating::B => "rated B, below investment grade",
        Rating::Ccc => "rated CCC, below investment grade",
        Rating::Default => "in default",
        Rating::NotRated => "unrated",
    }
}

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
        // --- Complex products: one approval check per feature, since each carries its own risk.
        CheckDef {
            id: "SUIT.LEVERAGED_NOT_APPROVED",
            family: Family::ProductSuitability,
            severity: Severity::Block,
            why: "FINRA RN 09-31: leveraged products multiply the daily return and compound away from it over longer periods; only accounts approved for complex products may buy them.",
            params: &[],
            scope: Scope::BUY.known(),
            run: |i, _| unapproved(i, leveraged, |s| format!("{} is a leveraged product ({})", s.id, factor_text(s))),
        },
        CheckDef {
            id: "SUIT.INVERSE_NOT_APPROVED",
            family: Family::ProductSuitability,
            severity: Severity::Block,
            why: "FINRA RN 09-31: inverse products are short the index with a daily reset and lose in rising and in choppy markets; only accounts approved for complex products may buy them.",
            params: &[],
            scope: Scope::BUY.known(),
            run: |i, _| {
                unapproved(i, inverse, |s| format!("{} is an inverse product ({})", s.id, factor_text(s)))
            },
        },
        CheckDef {
            id: "SUIT.VOLATILITY_NOT_APPROVED",
            family: Family::ProductSuitability,
            severity: Severity::Block,
            why: "FINRA RN 17-32 and 22-08: volatility-linked products track VIX futures, not the VIX, and lose value to contango over time; only accounts approved for complex products may buy them.",
            params: &[],
            scope: Scope::BUY.known(),
            run: |i, _| {
                unapproved(
                    i,
                    |s| s.profile.flags.volatility,
                    |s| format!("{} is a volatility-linked product (VIX futures, which decay in contango)", s.id),
                )
            },
        },
        CheckDef {
            id: "SUIT.ETN_NOT_APPROVED",
            family: Family::ProductSuitability,
            severity: Severity::Block,
            why: "FINRA RN 22-08: an exchange-traded note is unsecured debt of its issuing bank, so the holder bears the bank's credit risk on top of the index; only accounts approved for complex products may buy one.",
            params: &[],
            scope: Scope::BUY.known(),
            run: |i, _| {
                unapproved(
                    i,
                    |s| s.profile.flags.etn,
                    |s| {
                        let issuer = if s.profile.issuer.is_empty() { "its issuing bank" } else { &s.profile.issuer };
                        format!("{} is an exchange-traded note carrying the credit risk of {issuer}", s.id)
                    },
                )
            },
        },
        CheckDef {
            id: "SUIT.COMMODITY_FUTURES_NOT_APPROVED",
            family: Family::ProductSuitability,
            severity: Severity::Block,
            why: "FINRA RN 22-08: commodity-futures funds earn the futures roll, not the spot price, and some are partnerships issuing K-1s; only accounts approved for complex products may buy them.",
            params: &[],
            scope: Scope::BUY.known(),
            run: |i, _| {
                unapproved(
                    i,
                    |s| s.profile.flags.commodity_futures,
                    |s| {
                        let k1 = if s.profile.k1 { " and is a K-1 partnership" } else { "" };
                        format!("{} holds commodity futures (returns depend on the roll){k1}", s.id)
                    },
                )
            },
        },
        CheckDef {
            id: "SUIT.COMPLEX_NOT_APPROVED",
            family: Family::ProductSuitability,
            severity: Severity::Block,
            why: "FINRA RN 12-03: products the firm classifies as complex (structured, derivative-based) need complex-product approval even when no single feature flag describes them.",
            params: &[],
            scope: Scope::BUY.known(),
            run: |i, _| {
                unapproved(
                    i,
                    |s| s.complex_product && s.profile.flags.is_plain(),
                    |s| format!("{} is classified by the firm as a complex product", s.id),
                )
            },
        },
        CheckDef {
            id: "SUIT.LEVERAGE_FACTOR_LIMIT",
            family: Family::ProductSuitability,
            severity: Severity::Block,
            why: "Firm policy under FINRA RN 09-31: products leveraged beyond a set daily multiple are not bought for any account, approved or not.",
            params: LEVERAGE_FACTOR_LIMIT,
            scope: Scope::BUY.known(),
            run: |i, p| {
                let s = bought(i)?;
                let f = s.profile.flags.leverage_factor?;
                (f.abs() > p[0]).then(|| {
                    Failure::new(format!(
                        "{} returns {}x its index daily, beyond the firm's limit of {}x for any account",
                        s.id,
                        f.normalize(),
                        p[0].normalize()
                    ))
                    .with("leverage_factor", f.normalize())
                    .with("max_factor", p[0].normalize())
                })
            },
        },
        CheckDef {
            id: "SUIT.COMPLEX_FOR_CONSERVATIVE_OBJECTIVE",
            family: Family::ProductSuitability,
            severity: Severity::Block,
            why: "FINRA Rule 2111 and RN 09-31: leveraged, inverse and volatility-linked products are speculative trading tools, unsuitable for a capital-preservation or income objective even with complex-product approval.",
            params: &[],
            scope: Scope::BUY.known(),
            run: |i, _| {
                let s = bought(i)?;
                let objective = i.account.profile.objective;
                if objective > Objective::Income || !daily_reset(s) {
                    return None;
                }
                Some(
                    Failure::new(format!(
                        "{} is a {} product, unsuitable for the {} objective of account {}",
                        s.id,
                        reset_feature(s),
                        objective_name(objective),
                        i.account.id
                    ))
                    .with("objective", objective_name(objective))
                    .with("feature", reset_feature(s)),
                )
            },
        },
        CheckDef {
            id: "SUIT.DAILY_RESET_HELD_LONG",
            family: Family::ProductSuitability,
            severity: Severity::Warn,
            why: "FINRA RN 09-31: daily-reset products are meant for holding periods of about a day; adding to a position held for weeks makes it a buy-and-hold investment they are not designed for.",
            params: DAILY_RESET_HELD,
            scope: Scope::BUY.known(),
            run: |i, p| {
                let s = bought(i)?;
                if !daily_reset(s) {
                    return None;
                }
                let position = i.account.positions.iter().find(|q| q.security == s.id)?;
                let since = position.lots.iter().map(|l| l.acquired).min()?;
                let days = (i.reference.trade_date - since).num_days();
                (days > whole(p[0])).then(|| {
                    Failure::new(format!(
                        "account {} has held the {} product {} since {since} ({days} days, limit {}); adding to it extends a daily-reset position into a long-term holding",
                        i.account.id,
                        reset_feature(s),
                        s.id,
                        whole(p[0])
                    ))
                    .with("held_since", since)
                    .with("days_held", days)
                })
            },
        },
        // --- Options.
        CheckDef {
            id: "SUIT.OPTION_LEVEL",
            family: Family::ProductSuitability,
            severity: Severity::Block,
            why: "FINRA Rule 2360(b)(16): options are traded only in accounts approved for options, each strategy at its level (1 covered calls and protective puts, 2 long options and cash-secured puts, 4 uncovered writing); closing sales need no level.",
            params: &[],
            scope: Scope::ANY.kinds(&[SecurityKind::Option]),
            run: |i, _| {
                let st = option_strategy(i)?;
                let have = i.account.profile.options_level;
                (st.level > have).then(|| {
                    Failure::new(format!(
                        "{} of {} {} needs options approval level {}; account {} has level {have}",
                        st.name, st.contracts, i.trade.security, st.level, i.account.id
                    ))
                    .with("strategy", st.name)
                    .with("required_level", st.level)
                    .with("options_level", have)
                })
            },
        },
        CheckDef {
            id: "SUIT.OPTION_RETIREMENT_STRATEGY",
            family: Family::ProductSuitability,
            severity: Severity::Block,
            why: "Firm policy for IRAs and qualified plans (no margin, ERISA prudence): only options strategies up to a set level, by default covered calls and protective puts that hedge shares the account owns.",
            params: OPTION_RETIREMENT,
            scope: Scope::ANY.kinds(&[SecurityKind::Option]).retirement(),
            run: |i, p| {
                if i.account.account_type.is_taxable() {
                    return None;
                }
                let st = option_strategy(i)?;
                let max = whole(p[0]);
                (i64::from(st.level) > max).then(|| {
                    Failure::new(format!(
                        "{} of {} {} is a level {} strategy; {} account {} allows options strategies up to level {max}",
                        st.name,
                        st.contracts,
                        i.trade.security,
                        st.level,
                        account_type_name(i.account.account_type),
                        i.account.id
                    ))
                    .with("strategy", st.name)
                    .with("strategy_level", st.level)
                    .with("max_level", max)
                })
            },
        },
        CheckDef {
            id: "SUIT.OPTION_UNCOVERED_WITHOUT_MARGIN",
            family: Family::ProductSuitability,
            severity: Severity::Block,
            why: "Regulation T §220.8 and FINRA Rule 4210(f)(2): in a cash account a written call must be covered by the shares and a written put by cash; uncovered writing needs a margin account.",
            params: &[],
            scope: Scope::SELL.kinds(&[SecurityKind::Option]),
            run: |i, _| {
                if i.account.profile.margin {
                    return None;
                }
                let st = option_strategy(i)?;
                st.uncovered.then(|| {
                    Failure::new(format!(
                        "writing {} of {} contracts of {} needs a margin account; account {} has none",
                        st.name, st.contracts, i.trade.security, i.account.id
                    ))
                    .with("strategy", st.name)
                    .with("contracts", st.contracts)
                })
            },
        },
        // --- Mutual-fund share classes and purchase terms.
        CheckDef {
            id: "SUIT.A_SHARES_BELOW_BREAKPOINT",
            family: Family::ProductSuitability,
            severity: Severity::Warn,
            why: "FINRA Rule 2342 (breakpoint sales): an A-share purchase just below a sales-charge breakpoint, counting what the account already holds (rights of accumulation), pays a load a slightly larger purchase or a letter of intent would avoid.",
            params: A_SHARE_BREAKPOINT,
            scope: Scope::BUY.kinds(&[SecurityKind::MutualFund]),
            run: |i, p| {
                let (s, f) = fund_bought(i)?;
                if f.share_class != ShareClass::A || f.front_load <= Decimal::ZERO {
                    return None;
                }
                let breakpoint = f.breakpoint?;
                let held = i.context.held(i.security?).checked_mul(i.reference.price(i.security?)?)?;
                let total = held.checked_add(i.trade.amount)?;
                if total >= breakpoint || total < breakpoint.saturating_mul(Decimal::ONE - p[0]) {
                    return None;
                }
                let load = i.trade.amount.checked_mul(f.front_load)?.round_dp(2);
                Some(
                    Failure::new(format!(
                        "buy of {} of {} A shares with {} already held reaches {total}, {} short of the {breakpoint} breakpoint; the {} load costs {load}",
                        i.trade.amount,
                        s.id,
                        held.round_dp(2),
                        breakpoint - total,
                        pct(f.front_load)
                    ))
                    .with("breakpoint", breakpoint)
                    .with("shortfall", breakpoint - total)
                    .with("load", load),
                )
            },
        },
        CheckDef {
            id: "SUIT.C_SHARES_LONG_HORIZON",
            family: Family::ProductSuitability,
            severity: Severity::Warn,
            why: "FINRA Rule 2111 share-class suitability: C shares charge a level load every year, which over a long horizon costs more than an A share's one-time load.",
            params: C_SHARE_HORIZON,
            scope: Scope::BUY.kinds(&[SecurityKind::MutualFund]),
            run: |i, p| {
                let (s, f) = fund_bought(i)?;
                if f.share_class != ShareClass::C {
                    return None;
                }
                let horizon = i.account.profile.horizon_years?;
                (i64::from(horizon) >= whole(p[0])).then(|| {
                    Failure::new(format!(
                        "{} C shares charge a yearly level load; over the client's {horizon}-year horizon (flagged from {} years) A shares or an advisory class cost less",
                        s.id,
                        whole(p[0])
                    ))
                    .with("horizon_years", horizon)
                })
            },
        },
        CheckDef {
            id: "SUIT.B_SHARES",
            family: Family::ProductSuitability,
            severity: Severity::Block,
            why: "Fund sponsors have closed B shares (back-end load, high 12b-1 fee) to purchases; an order for them is refused or means the wrong share class was picked.",
            params: &[],
            scope: Scope::BUY.kinds(&[SecurityKind::MutualFund]),
            run: |i, _| {
                let (s, f) = fund_bought(i)?;
                (f.share_class == ShareClass::B).then(|| {
                    Failure::new(format!(
                        "{} is a B share class, no longer offered for purchase (back-end load and higher 12b-1 fee)",
                        s.id
                    ))
                    .with("share_class", "B")
                })
            },
        },
        CheckDef {
            id: "SUIT.R_SHARES_OUTSIDE_PLAN",
            family: Family::ProductSuitability,
            severity: Severity::Block,
            why: "R (retirement) share classes are offered only to employer-sponsored qualified plans; a prospectus does not allow them in IRAs or taxable accounts.",
            params: &[],
            scope: Scope::BUY.kinds(&[SecurityKind::MutualFund]).accounts(&[
                AccountType::Taxable,
                AccountType::Trust,
                AccountType::TraditionalIra,
                AccountType::RothIra,
            ]),
            run: |i, _| {
                let (s, f) = fund_bought(i)?;
                (f.share_class == ShareClass::R && i.account.account_type != AccountType::Qualified).then(|| {
                    Failure::new(format!(
                        "{} is an R share class, sold only to qualified plans, and account {} is a {} account",
                        s.id,
                        i.account.id,
                        account_type_name(i.account.account_type)
                    ))
                    .with("share_class", "R")
                    .with("account_type", account_type_name(i.account.account_type))
                })
            },
        },
        CheckDef {
            id: "SUIT.FRONT_LOAD_IN_ADVISORY",
            family: Family::ProductSuitability,
            severity: Severity::Warn,
            why: "SEC Share Class Selection Disclosure Initiative (2018), Advisers Act §206: a front-end load in a fee-based managed account charges the client twice; advisory accounts use load-waived or institutional classes.",
            params: &[],
            scope: Scope::BUY.kinds(&[SecurityKind::MutualFund]),
            run: |i, _| {
                let (s, f) = fund_bought(i)?;
                if f.share_class != ShareClass::A || f.front_load <= Decimal::ZERO {
                    return None;
                }
                let load = i.trade.amount.checked_mul(f.front_load)?.round_dp(2);
                Some(
                    Failure::new(format!(
                        "{} A shares carry a {} front-end load ({load} on this buy of {}) in advisory account {}, which already pays an asset-based fee",
                        s.id,
                        pct(f.front_load),
                        i.trade.amount,
                        i.account.id
                    ))
                    .with("front_load", pct(f.front_load))
                    .with("load", load),
                )
            },
        },
        CheckDef {
            id: "SUIT.FUND_CLOSED",
            family: Family::ProductSuitability,
            severity: Severity::Block,
            why: "A fund closed to all purchases (hard close, liquidation or merger) rejects the order.",
            params: &[],
            scope: Scope::BUY.kinds(&[SecurityKind::MutualFund]),
            run: |i, _| {
                let (s, f) = fund_bought(i)?;
                f.closed.then(|| Failure::new(format!("{} is closed to all purchases", s.id)).with("security", &s.id))
            },
        },
        CheckDef {
            id: "SUIT.FUND_CLOSED_TO_NEW_INVESTORS",
            family: Family::ProductSuitability,
            severity: Severity::Block,
            why: "A fund closed to new investors (soft close) accepts purchases only from existing shareholders.",
            params: &[],
            scope: Scope::BUY.kinds(&[SecurityKind::MutualFund]),
            run: |i, _| {
                let (s, f) = fund_bought(i)?;
                (f.closed_to_new && !f.closed && i.context.held(i.security?).is_zero()).then(|| {
                    Failure::new(format!(
                        "{} is closed to new investors and account {} does not hold it",
                        s.id, i.account.id
                    ))
                    .with("security", &s.id)
                })
            },
        },
        CheckDef {
            id: "SUIT.FUND_MIN_INITIAL",
            family: Family::ProductSuitability,
            severity: Severity::Block,
            why: "A first purchase below the fund's minimum initial investment is rejected by the transfer agent.",
            params: &[],
            scope: Scope::BUY.kinds(&[SecurityKind::MutualFund]),
            run: |i, _| {
                let (s, f) = fund_bought(i)?;
                (i.trade.amount < f.min_initial && i.context.held(i.security?).is_zero()).then(|| {
                    Failure::new(format!(
                        "first purchase of {} in {} is below the fund's minimum initial investment of {}",
                        i.trade.amount, s.id, f.min_initial
                    ))
                    .with("amount", i.trade.amount)
                    .with("min_initial", f.min_initial)
                })
            },
        },
        CheckDef {
            id: "SUIT.FUND_MIN_SUBSEQUENT",
            family: Family::ProductSuitability,
            severity: Severity::Block,
            why: "An additional purchase below the fund's minimum subsequent investment is rejected by the transfer agent.",
            params: &[],
            scope: Scope::BUY.kinds(&[SecurityKind::MutualFund]),
            run: |i, _| {
                let (s, f) = fund_bought(i)?;
                (i.trade.amount < f.min_subsequent && !i.context.held(i.security?).is_zero()).then(|| {
                    Failure::new(format!(
                        "additional purchase of {} in {} is below the fund's minimum subsequent investment of {}",
                        i.trade.amount, s.id, f.min_subsequent
                    ))
                    .with("amount", i.trade.amount)
                    .with("min_subsequent", f.min_subsequent)
                })
            },
        },
        // --- Bonds.
        CheckDef {
            id: "SUIT.HIGH_YIELD_FOR_CONSERVATIVE",
            family: Family::ProductSuitability,
            severity: Severity::Block,
            why: "FINRA Rule 2111: bonds below investment grade, unrated or in default carry equity-like credit risk, unsuitable for a capital-preservation objective or a low risk tolerance.",
            params: JUNK_BOND,
            scope: Scope::BUY.kinds(&[SecurityKind::Bond]),
            run: |i, p| {
                let s = bought(i)?;
                let rating = s.profile.bond.as_ref()?.rating;
                let c = &i.account.profile;
                if rating.investment_grade()
                    || (c.objective != Objective::Preservation && i64::from(c.risk_tolerance) > whole(p[0]))
                {
                    return None;
                }
                Some(
                    Failure::new(format!(
                        "{} is {} and account {} has a {} objective with risk tolerance {}",
                        s.id,
                        rating_text(rating),
                        i.account.id,
                        objective_name(c.objective),
                        c.risk_tolerance
                    ))
                    .with("rating", rating_text(rating))
                    .with("risk_tolerance", c.risk_tolerance),
                )
            },
        },
        CheckDef {
            id: "SUIT.BOND_BEYOND_HORIZON",
            family: Family::ProductSuitability,
            severity: Severity::Warn,
            why: "FINRA Rule 2111 (time horizon, liquidity needs): a bond maturing after the client needs the money must be sold at whatever the market pays then, exposing the client to rate and liquidity risk.",
            params: BOND_HORIZON,
            scope: Scope::BUY.kinds(&[SecurityKind::Bond]),
            run: |i, p| {
                let s = bought(i)?;
                let maturity = s.profile.bond.as_ref()?.maturity;
                let horizon = i.account.profile.horizon_years?;
                let years = u32::try_from(i64::from(horizon) + whole(p[0])).ok()?;
                let limit = i.reference.trade_date.checked_add_months(Months::new(years.checked_mul(12)?))?;
                (maturity > limit).then(|| {
                    Failure::new(format!(
                        "{} matures on {maturity}, after {limit}, the end of the client's {horizon}-year horizon (plus {} years of grace)",
                        s.id,
                        whole(p[0])
                    ))
                    .with("maturity", maturity)
                    .with("horizon_end", limit)
                })
            },
        },
        CheckDef {
            id: "SUIT.MUNI_IN_RETIREMENT",
            family: Family::ProductSuitability,
            severity: Severity::Warn,
            why: "Municipal bonds trade their tax exemption for a lower yield; inside a tax-deferred account the exemption is worth nothing (and traditional-IRA withdrawals are taxed anyway).",
            params: &[],
            scope: Scope::BUY.kinds(&[SecurityKind::Bond]).retirement(),
            run: |i, _| {
                let s = bought(i)?;
                let state = s.profile.bond.as_ref()?.muni_state.as_deref()?;
                (!i.account.account_type.is_taxable()).then(|| {
                    Failure::new(format!(
                        "{} is a tax-exempt {state} municipal bond bought in {} account {}, where its tax exemption is wasted",
                        s.id,
                        account_type_name(i.account.account_type),
                        i.account.id
                    ))
                    .with("muni_state", state)
                    .with("account_type", account_type_name(i.account.account_type))
                })
            },
        },
        // --- Risk rating and objective.
        CheckDef {
            id: "SUIT.RISK_ABOVE_TOLERANCE",
            family: Family::ProductSuitability,
            severity: Severity::Warn,
            why: "FINRA Rule 2111 and Reg BI care obligation: a security rated riskier than the client's stated risk tolerance needs a documented reason. Holdings of the account's model (and their substitutes) are suitable as a portfolio, reviewed when the model was assigned, so only buys outside the model are rated one by one.",
            params: RISK_TOLERANCE,
            scope: Scope::BUY.known(),
            run: |i, p| {
                let sec = i.security?;
                let in_model = i.context.target(sec).is_some()
                    || i.context.targets.iter().any(|&(m, _)| i.reference.substitutes(m).contains(&sec));
                if in_model {
                    return None;
                }
                let s = bought(i)?;
                let rating = s.profile.risk_rating;
                let tolerance = i.account.profile.risk_tolerance;
                if rating == 0 || i64::from(rating) <= i64::from(tolerance) + whole(p[0]) {
                    return None;
                }
                Some(
                    Failure::new(format!(
                        "{} has risk rating {rating}, above account {}'s risk tolerance of {tolerance} (allowed excess {})",
                        s.id,
                        i.account.id,
                        whole(p[0])
                    ))
                    .with("risk_rating", rating)
                    .with("risk_tolerance", tolerance),
                )
            },
        },
        CheckDef {
            id: "SUIT.SPECULATIVE_FOR_PRESERVATION",
            family: Family::ProductSuitability,
            severity: Severity::Block,
            why: "FINRA Rule 2111: a speculative security contradicts a capital-preservation objective, whatever risk tolerance the profile records.",
            params: SPECULATIVE,
            scope: Scope::BUY.known(),
            run: |i, p| {
                let s = bought(i)?;
                let rating = s.profile.risk_rating;
                if i.account.profile.objective != Objective::Preservation || i64::from(rating) < whole(p[0]) {
                    return None;
                }
                Some(
                    Failure::new(format!(
                        "{} has risk rating {rating} (speculative from {}) and account {}'s objective is capital preservation",
                        s.id,
                        whole(p[0]),
                        i.account.id
                    ))
                    .with("risk_rating", rating)
                    .with("objective", objective_name(Objective::Preservation)),
                )
            },
        },
        // --- Tax character of the product for the account holding it.
        CheckDef {
            id: "SUIT.PFIC_IN_TAXABLE",
            family: Family::ProductSuitability,
            severity: Severity::Warn,
            why: "IRC §1291–1298: a passive foreign investment company held by a US person in a taxable account is taxed under the punitive excess-distribution regime unless a QEF or mark-to-market election is made (Form 8621 yearly).",
            params: &[],
            scope: Scope::BUY.taxable(),
            run: |i, _| {
                let s = bought(i)?;
                let country = i.account.profile.country.as_str();
                let us_person = country.is_empty() || country == "US";
                (s.profile.pfic && us_person && i.account.account_type.is_taxable()).then(|| {
                    Failure::new(format!(
                        "{} is a passive foreign investment company bought by a US person in taxable account {}: excess-distribution tax and Form 8621 unless an election is made",
                        s.id, i.account.id
                    ))
                    .with("security", &s.id)
                })
            },
        },
        CheckDef {
            id: "SUIT.K1_IN_RETIREMENT",
            family: Family::ProductSuitability,
            severity: Severity::Warn,
            why: "IRC §511–514: a partnership issuing a K-1 (e.g. an MLP) passes unrelated business taxable income to an IRA or plan, which owes tax and files Form 990-T on more than $1,000 a year.",
            params: &[],
            scope: Scope::BUY.retirement(),
            run: |i, _| {
                let s = bought(i)?;
                (s.profile.k1 && !i.account.account_type.is_taxable()).then(|| {
                    Failure::new(format!(
                        "{} is a K-1 partnership: unrelated business income above {UBTI_DEDUCTION} a year makes {} account {} owe tax and file Form 990-T",
                        s.id,
                        account_type_name(i.account.account_type),
                        i.account.id
                    ))
                    .with("security", &s.id)
                    .with("ubti_deduction", UBTI_DEDUCTION)
                })
            },
        },
        // --- Restricted offerings.
        CheckDef {
            id: "SUIT.ACCREDITED_ONLY",
            family: Family::ProductSuitability,
            severity: Severity::Block,
            why: "Regulation D Rules 501(a) and 506: private placements (and some interval funds) may be sold only to accredited investors.",
            params: &[],
            scope: Scope::BUY.known(),
            run: |i, _| {
                let s = bought(i)?;
                (s.profile.accredited_only && !i.account.profile.accredited).then(|| {
                    Failure::new(format!(
                        "{} is offered only to accredited investors and the client of account {} is not accredited",
                        s.id, i.account.id
                    ))
                    .with("accredited", false)
                })
            },
        },
        CheckDef {
            id: "SUIT.RULE_144A_NON_QIB",
            family: Family::ProductSuitability,
            severity: Severity::Block,
            why: "SEC Rule 144A(d)(1): 144A securities may be resold only to qualified institutional buyers.",
            params: &[],
            scope: Scope::BUY.known(),
            run: |i, _| {
                let s = bought(i)?;
                (s.profile.rule_144a && !i.account.profile.qualified_institutional).then(|| {
                    Failure::new(format!(
                        "{} is a Rule 144A security and the client of account {} is not a qualified institutional buyer",
                        s.id, i.account.id
                    ))
                    .with("qualified_institutional", false)
                })
            },
        },
        // --- Liquidity and senior investors.
        CheckDef {
            id: "SUIT.ILLIQUID_SHORT_HORIZON",
            family: Family::ProductSuitability,
            severity: Severity::Warn,
            why: "FINRA Rule 2111 (liquidity needs, time horizon): an illiquid holding may not be sellable at a fair price when a client with a short horizon needs the money.",
            params: ILLIQUID_HORIZON,
            scope: Scope::BUY.known(),
            run: |i, p| {
                let s = bought(i)?;
                if !s.profile.illiquid {
                    return None;
                }
                let horizon = i.account.profile.horizon_years?;
                (i64::from(horizon) <= whole(p[0])).then(|| {
                    Failure::new(format!(
                        "{} is illiquid and the client of account {} needs the money within {horizon} years (flagged at {} or fewer)",
                        s.id,
                        i.account.id,
                        whole(p[0])
                    ))
                    .with("horizon_years", horizon)
                })
            },
        },
        CheckDef {
            id: "SUIT.SENIOR_COMPLEX_OR_ILLIQUID",
            family: Family::ProductSuitability,
            severity: Severity::Warn,
            why: "FINRA RN 07-43 and 22-08, Rule 2165 (specified adults are 65 or older): complex or illiquid products sold to senior investors get a principal's review of age, liquidity needs and understanding.",
            params: SENIOR,
            scope: Scope::BUY.known(),
            run: |i, p| {
                let s = bought(i)?;
                let (complex, illiquid) = (s.complex(), s.profile.illiquid);
                if !complex && !illiquid {
                    return None;
                }
                let age = i.context.age?;
                if i64::from(age) < whole(p[0]) {
                    return None;
                }
                let what = match (complex, illiquid) {
                    (true, true) => "a complex and illiquid product",
                    (true, false) => "a complex product",
                    _ => "an illiquid product",
                };
                Some(
                    Failure::new(format!(
                        "the client of account {} is {age} (senior from {}) and {} is {what}: a principal must review the purchase",
                        i.account.id,
                        whole(p[0]),
                        s.id
                    ))
                    .with("age", age)
                    .with("product", what),
                )
            },
        },
    ]
}
