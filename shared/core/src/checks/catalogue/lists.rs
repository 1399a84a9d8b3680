//! Restricted, watch and insider lists checks: the firm's restricted, watch and
//! not-recommended lists, issuer-level restrictions (including options on the issuer),
//! insiders and affiliates, household restrictions, sanctions, values-based exclusions,
//! employee pre-clearance and new-issue restrictions.

#[allow(unused_imports)]
use super::prelude::*;

use chrono::Months;

use crate::book::{Reference, SecIdx};
use crate::lists::Insider;

const NEW_ISSUE: &[ParamDef] = &[ParamDef {
    name: "window_days",
    meaning: "days after an IPO during which a restricted person may not buy the stock",
    default: dec(30, 0),
    min: dec(0, 0),
    max: dec(365, 0),
}];

/// Rule 144(h): a Form 144 is due when an affiliate's sales in three months exceed either.
const FORM_144_SHARES: i64 = 5_000;
const FORM_144_DOLLARS: i64 = 50_000;

/// The issuer a security exposes the holder to: its own issuer, or for an option without
/// one, the issuer of the underlying. Empty when unknown.
fn issuer_of(r: &Reference, sec: SecIdx) -> &str {
    let s = r.security(sec);
    if !s.profile.issuer.is_empty() {
        return &s.profile.issuer;
    }
    s.profile
        .option
        .as_ref()
        .and_then(|o| r.security_index(&o.underlying))
        .map(|u| r.security(u).profile.issuer.as_str())
        .unwrap_or("")
}

/// The underlying of an option, when the reference knows it.
fn underlying(i: &CheckInput<'_>, s: &Security) -> Option<SecIdx> {
    i.reference.security_index(&s.profile.option.as_ref()?.underlying)
}

/// Opens or adds to an option position: any buy, or a sale beyond the contracts held.
fn opens(i: &CheckInput<'_>, sec: SecIdx) -> bool {
    i.trade.side == Side::Buy || i.trade.quantity > i.context.held(sec)
}

/// The insider record that covers this account (directly or through its household) for
/// the traded security's issuer.
fn insider<'a>(i: &'a CheckInput<'_>) -> Option<&'a Insider> {
    let issuer = issuer_of(i.reference, i.security?);
    if issuer.is_empty() {
        return None;
    }
    let (account, household) = (i.account.id.as_str(), i.account.household.as_str());
    i.reference.insiders_of(issuer).iter().find(|r| {
        r.account.as_deref() == Some(account) || (!household.is_empty() && r.household.as_deref() == Some(household))
    })
}

/// "account X (director)" or "household H (officer)", for reasons.
fn insider_who(i: &CheckInput<'_>, r: &Insider) -> String {
    let whose = if r.account.as_deref() == Some(i.account.id.as_str()) {
        format!("account {}", i.account.id)
    } else {
        format!("household {} of account {}", i.account.household, i.account.id)
    };
    let role = if r.role.is_empty() { "insider" } else { r.role.as_str() };
    format!("{whose} ({role} of {})", r.issuer)
}

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
        CheckDef {
            id: "LIST.RESTRICTION_BYPASS_IDENTICAL",
            family: Family::RestrictedLists,
            severity: Severity::Warn,
            why: "A do-not-buy or do-not-hold restriction on a fund is easily sidestepped by buying another share class or a substantially identical twin (same wash-sale group); compliance confirms the client's restriction does not extend to it.",
            params: &[],
            scope: Scope::BUY.known(),
            run: |i, _| {
                let restrictions = &i.account.restrictions;
                if restrictions.is_empty() || i.trade.side != Side::Buy {
                    return None;
                }
                let sec = i.security?;
                let group = i.reference.wash_group(sec);
                let r = restrictions.iter().find(|r| {
                    r.kind != RestrictionKind::DoNotSell
                        && r.security != i.trade.security
                        && i.reference.security_index(&r.security).is_some_and(|j| i.reference.wash_group(j) == group)
                })?;
                let kind = if r.kind == RestrictionKind::DoNotHold { "do-not-hold" } else { "do-not-buy" };
                Some(
                    Failure::new(format!(
                        "account {} has a {kind} restriction on {}, and {} is substantially identical to it",
                        i.account.id, r.security, i.trade.security
                    ))
                    .with("restricted_security", &r.security)
                    .with("restriction", kind),
                )
            },
        },
        CheckDef {
            id: "LIST.WATCH_LIST",
            family: Family::RestrictedLists,
            severity: Severity::Warn,
            why: "Securities on the compliance watch list (the firm may hold material non-public information) may be traded, but every trade, including in options on them, is reviewed for information barriers.",
            params: &[],
            scope: Scope::ANY.known(),
            run: |i, _| {
                if i.reference.lists().watch.is_empty() {
                    return None;
                }
                let sec = i.security?;
                if i.reference.on_watch_list(sec) {
                    return Some(
                        Failure::new(format!(
                            "{} is on the compliance watch list: the {} will be reviewed",
                            i.trade.security,
                            i.trade.side.as_str()
                        ))
                        .with("security", &i.trade.security),
                    );
                }
                let u = underlying(i, i.reference.security(sec))?;
                i.reference.on_watch_list(u).then(|| {
                    let u = &i.reference.security(u).id;
                    Failure::new(format!(
                        "{} is an option on {u}, which is on the compliance watch list: the {} will be reviewed",
                        i.trade.security,
                        i.trade.side.as_str()
                    ))
                    .with("underlying", u)
                })
            },
        },
        CheckDef {
            id: "LIST.RESTRICTED_ISSUER",
            family: Family::RestrictedLists,
            severity: Severity::Block,
            why: "An issuer on the firm's restricted list (investment-banking mandate, research quiet period, MNPI) restricts every security it issues: stock, bonds and funds alike.",
            params: &[],
            scope: Scope::BUY.known(),
            run: |i, _| {
                let sec = i.security?;
                (i.trade.side == Side::Buy && i.reference.issuer_restricted(sec)).then(|| {
                    let issuer = &i.reference.security(sec).profile.issuer;
                    Failure::new(format!(
                        "{} is issued by {issuer}, which is on the firm's restricted issuer list",
                        i.trade.security
                    ))
                    .with("issuer", issuer)
                })
            },
        },
        CheckDef {
            id: "LIST.RESTRICTED_UNDERLYING",
            family: Family::RestrictedLists,
            severity: Severity::Block,
            why: "The restricted list covers derivatives: opening an option position on a restricted security or issuer trades the restricted exposure; closing sales stay allowed.",
            params: &[],
            scope: Scope::ANY.kinds(&[SecurityKind::Option]),
            run: |i, _| {
                let sec = i.security?;
                let u = underlying(i, i.reference.security(sec))?;
                let (restricted, by_issuer) = (i.reference.security(u).restricted, i.reference.issuer_restricted(u));
                if !(restricted || by_issuer) || !opens(i, sec) {
                    return None;
                }
                let us = i.reference.security(u);
                let why = if restricted {
                    format!("{} is on the firm's restricted list", us.id)
                } else {
                    format!("its issuer {} is on the firm's restricted issuer list", us.profile.issuer)
                };
                Some(
                    Failure::new(format!(
                        "{} of {} opens an option position on {}, and {why}",
                        i.trade.side.as_str(),
                        i.trade.security,
                        us.id
                    ))
                    .with("underlying", &us.id),
                )
            },
        },
        CheckDef {
            id: "LIST.INSIDER_WINDOW_CLOSED",
            family: Family::RestrictedLists,
            severity: Severity::Block,
            why: "Exchange Act §10(b) and Rule 10b-5, issuer insider-trading policies: an insider (or the insider's household) may trade the issuer's securities only while its trading window is open.",
            params: &[],
            scope: Scope::ANY.known(),
            run: |i, _| {
                let r = insider(i)?;
                (!r.window_open).then(|| {
                    Failure::new(format!(
                        "{} may not {} {}: the issuer's trading window is closed",
                        insider_who(i, r),
                        i.trade.side.as_str(),
                        i.trade.security
                    ))
                    .with("issuer", &r.issuer)
                    .with("window_open", false)
                })
            },
        },
        CheckDef {
            id: "LIST.INSIDER_WINDOW_OPEN",
            family: Family::RestrictedLists,
            severity: Severity::Warn,
            why: "Even in an open window an insider's trade needs the issuer's pre-clearance, a Form 4 within two business days (Section 16(a)) and, for sales, Rule 144 compliance; trades outside a Rule 10b5-1 plan carry MNPI risk.",
            params: &[],
            scope: Scope::ANY.known(),
            run: |i, _| {
                let r = insider(i)?;
                r.window_open.then(|| {
                    Failure::new(format!(
                        "{} trades {} in an open window: pre-clear with the issuer and file Form 4 within 2 business days",
                        insider_who(i, r),
                        i.trade.security
                    ))
                    .with("issuer", &r.issuer)
                    .with("window_open", true)
                })
            },
        },
        CheckDef {
            id: "LIST.INSIDER_SHORT_SWING",
            family: Family::RestrictedLists,
            severity: Severity::Warn,
            why: "Exchange Act Section 16(b): an insider's purchase and sale (or sale and purchase) of the issuer's securities within six months lets the issuer recover any profit, whatever the intent.",
            params: &[],
            scope: Scope::ANY.known(),
            run: |i, _| {
                let r = insider(i)?;
                let start = i.reference.trade_date.checked_sub_months(Months::new(6))?;
                let side = i.trade.side;
                let prior = i.account.recent_trades.iter().find(|t| {
                    t.side != side
                        && t.trade_date >= start
                        && i.reference.security_index(&t.security).is_some_and(|j| issuer_of(i.reference, j) == r.issuer)
                })?;
                Some(
                    Failure::new(format!(
                        "{} {} {} on {}; this {} of {} within six months is a short-swing trade whose profit the issuer can recover",
                        insider_who(i, r),
                        if prior.side == Side::Buy { "bought" } else { "sold" },
                        prior.security,
                        prior.trade_date,
                        side.as_str(),
                        i.trade.security
                    ))
                    .with("matched_trade_date", prior.trade_date)
                    .with("matched_security", &prior.security),
                )
            },
        },
        CheckDef {
            id: "LIST.INSIDER_OPTIONS",
            family: Family::RestrictedLists,
            severity: Severity::Block,
            why: "Regulation S-K Item 407(i) hedging policies and issuers' insider-trading policies: insiders may not open option positions (puts, calls, writes) on their company's stock.",
            params: &[],
            scope: Scope::ANY.kinds(&[SecurityKind::Option]),
            run: |i, _| {
                let r = insider(i)?;
                opens(i, i.security?).then(|| {
                    Failure::new(format!(
                        "{} may not open an option position in {} on the company's stock",
                        insider_who(i, r),
                        i.trade.security
                    ))
                    .with("issuer", &r.issuer)
                })
            },
        },
        CheckDef {
            id: "LIST.AFFILIATE_FORM_144",
            family: Family::RestrictedLists,
            severity: Severity::Warn,
            why: "SEC Rule 144(h): an affiliate selling more than 5,000 shares or $50,000 in three months must file Form 144 no later than the sale order is placed.",
            params: &[],
            scope: Scope::SELL.kinds(&[SecurityKind::Equity]),
            run: |i, _| {
                if i.trade.side != Side::Sell {
                    return None;
                }
                let r = insider(i)?;
                let sec = i.security?;
                let start = i.reference.trade_date.checked_sub_months(Months::new(3))?;
                let (mut shares, mut dollars) = (i.trade.quantity, i.trade.amount);
                for t in &i.account.recent_trades {
                    if t.side == Side::Sell && t.trade_date >= start && t.security == i.trade.security {
                        shares = shares.saturating_add(t.quantity);
                        let price = t.price.or_else(|| i.reference.price(sec)).unwrap_or(Decimal::ZERO);
                        dollars = dollars.saturating_add(t.quantity.saturating_mul(price));
                    }
                }
                (shares > Decimal::from(FORM_144_SHARES) || dollars > Decimal::from(FORM_144_DOLLARS)).then(|| {
                    Failure::new(format!(
                        "with this sale {} sells {shares} shares worth {} of {} in three months, above {FORM_144_SHARES} shares or {FORM_144_DOLLARS}: Form 144 must be filed",
                        insider_who(i, r),
                        dollars.round_dp(2),
                        i.trade.security
                    ))
                    .with("shares_3m", shares)
                    .with("dollars_3m", dollars.round_dp(2))
                })
            },
        },
        CheckDef {
            id: "LIST.HOUSEHOLD_SECURITY",
            family: Family::RestrictedLists,
            severity: Severity::Block,
            why: "A restriction recorded for a household (e.g. a family member's employer's stock, a legal settlement) applies to every account of the household.",
            params: &[],
            scope: Scope::BUY,
            run: |i, _| {
                if i.reference.lists().household_restrictions.is_empty() || i.trade.side != Side::Buy {
                    return None;
                }
                let r = i
                    .reference
                    .household_restrictions(&i.account.household)
                    .iter()
                    .find(|r| r.issuer.is_none() && r.security.as_deref() == Some(i.trade.security.as_str()))?;
                let reason = if r.reason.is_empty() { "household restriction" } else { r.reason.as_str() };
                Some(
                    Failure::new(format!(
                        "household {} of account {} may not buy {} ({reason})",
                        i.account.household, i.account.id, i.trade.security
                    ))
                    .with("household", &i.account.household)
                    .with("reason", reason),
                )
            },
        },
        CheckDef {
            id: "LIST.HOUSEHOLD_ISSUER",
            family: Family::RestrictedLists,
            severity: Severity::Block,
            why: "A household restriction on an issuer covers every security of that issuer, including options on its stock, in every account of the household.",
            params: &[],
            scope: Scope::BUY.known(),
            run: |i, _| {
                if i.reference.lists().household_restrictions.is_empty() || i.trade.side != Side::Buy {
                    return None;
                }
                let issuer = issuer_of(i.reference, i.security?);
                if issuer.is_empty() {
                    return None;
                }
                let r = i
                    .reference
                    .household_restrictions(&i.account.household)
                    .iter()
                    .find(|r| r.issuer.as_deref() == Some(issuer))?;
                let reason = if r.reason.is_empty() { "household restriction" } else { r.reason.as_str() };
                Some(
                    Failure::new(format!(
                        "household {} of account {} may not buy securities of {issuer} such as {} ({reason})",
                        i.account.household, i.account.id, i.trade.security
                    ))
                    .with("issuer", issuer)
                    .with("reason", reason),
                )
            },
        },
        CheckDef {
            id: "LIST.SANCTIONED_ISSUER",
            family: Family::RestrictedLists,
            severity: Severity::Block,
            why: "OFAC sanctions programs (31 CFR Chapter V): securities of issuers domiciled in a sanctioned country, and options on them, may not be bought.",
            params: &[],
            scope: Scope::BUY.known(),
            run: |i, _| {
                if i.reference.lists().sanctioned_countries.is_empty() || i.trade.side != Side::Buy {
                    return None;
                }
                let sec = i.security?;
                let hit = if i.reference.sanctioned(sec) {
                    sec
                } else {
                    underlying(i, i.reference.security(sec)).filter(|&u| i.reference.sanctioned(u))?
                };
                let s = i.reference.security(hit);
                let country = &s.profile.country;
                let what = if hit == sec {
                    format!("{}'s issuer", s.id)
                } else {
                    format!("{} is an option on {}, whose issuer", i.trade.security, s.id)
                };
                Some(
                    Failure::new(format!("{what} is domiciled in {country}, a sanctioned country: it may not be bought"))
                        .with("country", country),
                )
            },
        },
        CheckDef {
            id: "LIST.NOT_RECOMMENDED",
            family: Family::RestrictedLists,
            severity: Severity::Warn,
            why: "Reg BI care obligation: a security the firm's research has stopped recommending may still be bought, but the advisor documents why.",
            params: &[],
            scope: Scope::BUY.known(),
            run: |i, _| {
                let sec = i.security?;
                (i.trade.side == Side::Buy && i.reference.not_recommended(sec)).then(|| {
                    Failure::new(format!(
                        "{} is on the firm's not-recommended list: the buy needs a documented reason",
                        i.trade.security
                    ))
                    .with("security", &i.trade.security)
                })
            },
        },
        CheckDef {
            id: "LIST.VALUES_EXCLUSION",
            family: Family::RestrictedLists,
            severity: Severity::Block,
            why: "A client's values-based exclusions (e.g. tobacco, weapons, fossil fuels) are investment instructions: securities tagged with an excluded category are not bought.",
            params: &[],
            scope: Scope::BUY.known(),
            run: |i, _| {
                let exclusions = &i.account.profile.exclusions;
                if exclusions.is_empty() || i.trade.side != Side::Buy {
                    return None;
                }
                let s = security(i)?;
                let tag = s.profile.tags.iter().find(|t| exclusions.iter().any(|e| e.eq_ignore_ascii_case(t)))?;
                Some(
                    Failure::new(format!(
                        "{} is tagged {tag}, a category the client of account {} excludes",
                        s.id, i.account.id
                    ))
                    .with("tag", tag),
                )
            },
        },
        CheckDef {
            id: "LIST.EMPLOYEE_NOT_PRECLEARED",
            family: Family::RestrictedLists,
            severity: Severity::Block,
            why: "Advisers Act Rule 204A-1 (code of ethics) and firm personal-trading policy: employees pre-clear personal trades in reportable securities (stocks, ETFs, bonds, options; open-end funds and money market funds are exempt).",
            params: &[],
            scope: Scope::ANY.kinds(&[
                SecurityKind::Equity,
                SecurityKind::Etf,
                SecurityKind::Bond,
                SecurityKind::Option,
            ]),
            run: |i, _| {
                let profile = &i.account.profile;
                (profile.employee && !profile.precleared.contains(&i.trade.security)).then(|| {
                    Failure::new(format!(
                        "account {} is an employee account and the {} of {} has not been pre-cleared",
                        i.account.id,
                        i.trade.side.as_str(),
                        i.trade.security
                    ))
                    .with("security", &i.trade.security)
                })
            },
        },
        CheckDef {
            id: "LIST.NEW_ISSUE_RESTRICTED_PERSON",
            family: Family::RestrictedLists,
            severity: Severity::Block,
            why: "FINRA Rule 5130: restricted persons (broker-dealer personnel, portfolio managers and their families) may not buy new issues; firm policy keeps them out of the stock for a window after the IPO, when allocations and aftermarket orders are hard to tell apart.",
            params: NEW_ISSUE,
            scope: Scope::BUY.kinds(&[SecurityKind::Equity]),
            run: |i, p| {
                if !i.account.profile.ipo_restricted_person || i.trade.side != Side::Buy {
                    return None;
                }
                let s = security(i)?;
                let ipo = s.profile.ipo_date?;
                let days = (i.reference.trade_date - ipo).num_days();
                let window: i64 = p[0].trunc().try_into().unwrap_or(0);
                (days <= window).then(|| {
                    let when = if days < 0 {
                        format!("goes public on {ipo}")
                    } else {
                        format!("went public on {ipo}, {days} days ago (window {window} days)")
                    };
                    Failure::new(format!(
                        "{} {when}, and account {} belongs to a FINRA Rule 5130 restricted person",
                        s.id, i.account.id
                    ))
                    .with("ipo_date", ipo)
                    .with("days_since_ipo", days)
                })
            },
        },
    ]
}
