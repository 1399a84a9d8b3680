//! Compliance reference data of a generated book: each security's profile (issuer, sector,
//! domicile, venue, liquidity, product features, fund and bond terms), the firm's lists and
//! the market centers.
//!
//! Filled in after the security master, models and substitutes exist, from streams of its
//! own, so every security, price and model is exactly what it is without it. Whatever could
//! stop or complicate a trade (halts, delistings, sanctions, closed funds, loads, complex
//! features, list entries) goes only on securities that no model holds and no substitute
//! list names: the engine never buys those, it only sells them as legacy holdings.

use std::collections::{BTreeMap, HashMap, HashSet};

use ballast_core::{
    BondTerms, ComplianceLists, FundTerms, HouseholdRestriction, Insider, ModelPortfolio, ProductFlags, Rating,
    Security, SecurityKind, SecurityProfile, ShareClass, Venue, VenueStatus,
};
use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::Decimal;

use super::{Builder, Class, Family, Meta, ISSUERS, NAME_SECOND, SECTORS};
use crate::account::{account_id, household_id};
use crate::rng::{exp, ln, Rng};

/// Stream domain of the per-security profiles (one stream per security index).
const SECURITY_PROFILE_DOMAIN: u64 = 4;
/// Stream domain of the hazards and lists (one stream per book).
const HAZARD_DOMAIN: u64 = 5;

/// Countries under sanctions in the generated lists.
pub(crate) const SANCTIONED_COUNTRIES: [&str; 5] = ["CU", "IR", "KP", "RU", "SY"];
const DEVELOPED: &[&str] = &["GB", "DE", "JP", "FR", "CH", "CA", "AU", "NL"];
const EMERGING: &[&str] = &["BR", "IN", "MX", "ZA", "KR", "TW"];

/// Accounts whose households (or the accounts themselves) get an insider relationship or a
/// household restriction.
pub(crate) const FLAGGED_ACCOUNTS: [u64; 4] = [7, 19, 101, 997];

/// Venues the generator routes to, with the alternative used while one is not healthy.
const VENUES: &[(&str, Option<&str>)] = &[
    ("XNYS", Some("XNAS")),
    ("XNAS", Some("XNYS")),
    ("ARCX", Some("BATS")),
    ("BATS", Some("ARCX")),
    ("OTC", None),
    ("FUNDSERV", None),
    ("TRACE", None),
];

/// Fills every security's profile and returns the compliance lists and venues.
pub(super) fn fill(
    b: &mut Builder,
    seed: u64,
    trade_date: NaiveDate,
    models: &[ModelPortfolio],
    substitutes: &BTreeMap<String, Vec<String>>,
) -> (ComplianceLists, Vec<Venue>) {
    let n = b.securities.len();
    let index: HashMap<&str, usize> = b.securities.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect();
    // Securities the engine may buy: model holdings and harvest/replacement substitutes.
    let mut in_model = vec![false; n];
    for m in models {
        for h in &m.holdings {
            if let Some(&i) = index.get(h.security.as_str()) {
                in_model[i] = true;
            }
        }
    }
    let mut clean = in_model.clone();
    for subs in substitutes.values() {
        for s in subs {
            if let Some(&i) = index.get(s.as_str()) {
                clean[i] = true;
            }
        }
    }
    drop(index);
    for i in 0..n {
        let mut rng = Rng::stream(seed, SECURITY_PROFILE_DOMAIN, i as u64);
        let profile = base_profile(&b.securities[i], &b.meta[i], &b.families, &mut rng, trade_date);
        b.securities[i].profile = profile;
    }
    let lists = hazards(b, Rng::stream(seed, HAZARD_DOMAIN, 0), seed, trade_date, &clean, &in_model);
    let venues = VENUES
        .iter()
        .map(|&(id, alt)| Venue {
            id: id.to_string(),
            status: VenueStatus::Healthy,
            alternative: alt.map(str::to_string),
        })
        .collect();
    (lists, venues)
}

/// A decimal with `dp` places from a float (for generated reference values only).
fn dec(x: f64, dp: u32) -> Decimal {
    Decimal::new((x * 10f64.powi(dp as i32)).round() as i64, dp)
}

fn log_uniform(rng: &mut Rng, range: (f64, f64)) -> f64 {
    exp(rng.uniform(ln(range.0), ln(range.1)))
}

/// Whole shares rounded to hundreds (at least 100).
fn shares(x: f64) -> Decimal {
    Decimal::from(((x / 100.0).round() as i64).max(1) * 100)
}

/// Dollars rounded to the million (at least one million).
fn millions(x: f64) -> Decimal {
    Decimal::from(((x / 1e6).round() as i64).max(1) * 1_000_000)
}

/// A date `years` (fractional) before the trade date.
fn years_before(trade_date: NaiveDate, years: f64) -> NaiveDate {
    trade_date.checked_sub_days(Days::new((years * 365.25) as u64)).unwrap_or(trade_date)
}

/// Fund inception: before the oldest lot the account generator dates (8 years), so no
/// account holds a lot bought before its fund existed.
fn inception(rng: &mut Rng, trade_date: NaiveDate, oldest: f64) -> NaiveDate {
    years_before(trade_date, rng.uniform(8.5, oldest))
}

/// The sponsor a fund's name starts with.
fn sponsor(name: &str) -> &'static str {
    ISSUERS
        .iter()
        .map(|&(_, n)| n)
        .find(|n| name.strip_prefix(n).is_some_and(|rest| rest.starts_with(' ')))
        .unwrap_or("")
}

/// Firm risk rating of a fund by asset class (1 lowest, 5 highest).
fn fund_risk(class: Class, family_key: &str) -> u8 {
    match class {
        Class::UsLarge | Class::IntlDeveloped => 3,
        Class::UsMid => 3,
        Class::UsSmall | Class::Emerging | Class::RealEstate | Class::Commodity => 4,
        Class::AggregateBond | Class::Tips | Class::Municipal | Class::Corporate => 2,
        Class::Treasury => match family_key {
            "STT" => 1,
            "LTT" => 3,
            _ => 2,
        },
        Class::HighYield => 3,
        Class::Cash => 1,
    }
}

fn base_profile(s: &Security, m: &Meta, families: &[Family], rng: &mut Rng, trade_date: NaiveDate) -> SecurityProfile {
    match s.kind {
        SecurityKind::Equity => equity(s, m, rng),
        SecurityKind::Etf => etf(s, m, families, rng, trade_date),
        SecurityKind::MutualFund => mutual_fund(s, m, families, rng, trade_date),
        SecurityKind::Bond => bond(s, m, rng, trade_date),
        SecurityKind::CashEquivalent => SecurityProfile {
            issuer: sponsor(&s.name).to_string(),
            sector: "money_market".to_string(),
            country: "US".to_string(),
            venue: "FUNDSERV".to_string(),
            risk_rating: 1,
            inception: Some(years_before(trade_date, rng.uniform(15.0, 40.0))),
            aum: Some(millions(log_uniform(rng, (5e9, 2e11)))),
            expense_ratio: Some(dec(rng.uniform(0.0009, 0.0035), 4)),
            fund: Some(no_load_terms()),
            ..Default::default()
        },
        SecurityKind::Option => SecurityProfile::default(),
    }
}

/// Advisory share class terms: no load, no minimums.
fn no_load_terms() -> FundTerms {
    FundTerms {
        share_class: ShareClass::I,
        min_initial: Decimal::ZERO,
        min_subsequent: Decimal::ZERO,
        closed_to_new: false,
        closed: false,
        redemption_fee_days: 0,
        redemption_fee: Decimal::ZERO,
        front_load: Decimal::ZERO,
        breakpoint: None,
    }
}

fn equity(s: &Security, m: &Meta, rng: &mut Rng) -> SecurityProfile {
    let sector = m.sector.unwrap_or(0);
    let adr = matches!(m.class, Class::IntlDeveloped | Class::Emerging);
    let country = match m.class {
        Class::IntlDeveloped if s.name.contains(" plc ") && rng.chance(0.6) => "GB",
        Class::IntlDeveloped => DEVELOPED[rng.index(DEVELOPED.len())],
        Class::Emerging => EMERGING[rng.index(EMERGING.len())],
        _ => "US",
    };
    // Technology, health care and communication names list on Nasdaq more often.
    let nasdaq = if adr {
        0.3
    } else if matches!(sector, 0 | 1 | 9) {
        0.65
    } else {
        0.3
    };
    let venue = if rng.chance(nasdaq) { "XNAS" } else { "XNYS" };
    let (adv, spread, risk_rating) = match m.class {
        Class::UsLarge => ((2e6, 2e7), (0.0002, 0.0008), 3),
        Class::UsMid | Class::RealEstate => ((3e5, 3e6), (0.0005, 0.002), 4),
        Class::UsSmall => ((5e4, 8e5), (0.001, 0.006), 5),
        Class::IntlDeveloped => ((1e5, 2e6), (0.0008, 0.003), 4),
        _ => ((1e5, 2e6), (0.001, 0.005), 5),
    };
    let word = s.name.split_whitespace().nth(1).unwrap_or("");
    SecurityProfile {
        issuer: s.name.strip_suffix(" ADR").unwrap_or(&s.name).to_string(),
        sector: SECTORS[sector].to_string(),
        country: country.to_string(),
        venue: venue.to_string(),
        adv: Some(shares(log_uniform(rng, adv))),
        spread: Some(dec(log_uniform(rng, spread), 5)),
        risk_rating,
        tags: equity_tags(sector, word, rng),
        adr,
        ..Default::default()
    }
}

/// Values-screen categories of a company, from its sector and the business in its name.
fn equity_tags(sector: usize, word: &str, rng: &mut Rng) -> Vec<String> {
    let p = match (SECTORS[sector], word) {
        ("Energy", _) => 0.85,
        ("Utilities", "Gas") => 0.6,
        ("Utilities", "Power" | "Electric") => 0.3,
        ("Materials", "Mining") => 0.25,
        _ => 0.0,
    };
    let mut tags = Vec::new();
    if p > 0.0 && rng.chance(p) {
        tags.push("fossil_fuels".to_string());
    }
    let other = match (SECTORS[sector], word) {
        ("Industrials", "Aerospace") => Some(("weapons", 0.6)),
        ("Consumer Staples", "Beverage") => Some(("alcohol", 0.5)),
        ("Consumer Staples", _) => Some(("tobacco", 0.06)),
        ("Consumer Discretionary", "Leisure") => Some(("gambling", 0.5)),
        _ => None,
    };
    if let Some((tag, p)) = other {
        if rng.chance(p) {
            tags.push(tag.to_string());
        }
    }
    tags
}

/// Daily leverage of a leveraged or inverse fund, from the `2x` / `-1x` in its name.
fn leverage(name: &str) -> Option<i64> {
    name.split_whitespace().find_map(|t| t.strip_suffix('x').and_then(|n| n.parse::<i64>().ok()))
}

fn etf(s: &Security, m: &Meta, families: &[Family], rng: &mut Rng, trade_date: NaiveDate) -> SecurityProfile {
    let family = m.family.map(|f| &families[f]);
    let (label, key) = family.map_or(("", ""), |f| (f.label, f.key));
    let complex = s.complex_product;
    let twin = s.name.ends_with("Low-Cost Class");
    let venue = if complex || rng.chance(0.75) { "ARCX" } else { "BATS" };
    let (adv, spread, aum) = if complex {
        ((1e6, 4e7), (0.0003, 0.0012), (5e7, 1.5e10))
    } else if twin {
        ((5e4, 1.5e6), (0.0005, 0.002), (1e8, 2e10))
    } else {
        ((3e5, 2.5e7), (0.0001, 0.0006), (5e8, 3e11))
    };
    let expense = if complex {
        (0.0060, 0.0075)
    } else if twin {
        (0.0003, 0.0010)
    } else if m.class == Class::Commodity {
        (0.0017, 0.0075)
    } else if family.is_some_and(|f| f.sector.is_some()) {
        (0.0008, 0.0040)
    } else if matches!(m.class, Class::IntlDeveloped | Class::Emerging | Class::HighYield) {
        (0.0005, 0.0040)
    } else {
        (0.0003, 0.0020)
    };
    let flags = match leverage(&s.name) {
        Some(f) if complex => ProductFlags {
            leveraged: f.abs() > 1,
            inverse: f < 0,
            leverage_factor: Some(Decimal::from(f)),
            ..Default::default()
        },
        _ => ProductFlags::default(),
    };
    let tags = if label == "Energy" { vec!["fossil_fuels".to_string()] } else { Vec::new() };
    SecurityProfile {
        issuer: sponsor(&s.name).to_string(),
        sector: label.to_string(),
        country: "US".to_string(),
        venue: venue.to_string(),
        adv: Some(shares(log_uniform(rng, adv))),
        spread: Some(dec(log_uniform(rng, spread), 5)),
        risk_rating: if complex {
            5
        } else if family.is_some_and(|f| f.sector.is_some()) {
            4
        } else {
            fund_risk(m.class, key)
        },
        tags,
        flags,
        inception: Some(inception(rng, trade_date, if complex { 17.0 } else { 25.0 })),
        aum: Some(millions(log_uniform(rng, aum))),
        expense_ratio: Some(dec(rng.uniform(expense.0, expense.1), 4)),
        ..Default::default()
    }
}

fn mutual_fund(s: &Security, m: &Meta, families: &[Family], rng: &mut Rng, trade_date: NaiveDate) -> SecurityProfile {
    let issuer = sponsor(&s.name);
    let rest = s.name.get(issuer.len()..).unwrap_or("").trim_start();
    let style = rest.split(" Index Fund").next().and_then(|x| x.split(" Fund").next()).unwrap_or(rest);
    let index_fund = s.name.contains("Index Fund");
    let institutional = s.name.ends_with("Institutional Class");
    let key = m.family.map_or("", |f| families[f].key);
    let expense = if index_fund {
        rng.uniform(0.0004, 0.0015)
    } else if m.class.is_fixed_income() {
        rng.uniform(0.0030, 0.0060)
    } else {
        rng.uniform(0.0045, 0.0085)
    };
    // Institutional classes cost less; their minimums are waived only on the platform's
    // own (model-eligible) classes.
    let expense = if institutional { (expense - 0.0020).max(0.0015) } else { expense };
    let mut terms = no_load_terms();
    if !m.eligible {
        terms.min_initial = Decimal::from(if institutional { 1_000_000 } else { 2_500 });
        terms.min_subsequent = Decimal::from(if institutional { 0 } else { 100 });
    }
    SecurityProfile {
        issuer: issuer.to_string(),
        sector: style.to_string(),
        country: "US".to_string(),
        venue: "FUNDSERV".to_string(),
        risk_rating: match m.family {
            Some(f) if families[f].sector.is_some() => 4,
            _ => fund_risk(m.class, key),
        },
        inception: Some(inception(rng, trade_date, 35.0)),
        aum: Some(millions(log_uniform(rng, (3e8, 8e10)))),
        expense_ratio: Some(dec(expense, 4)),
        fund: Some(terms),
        ..Default::default()
    }
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Maturity from the last word of a generated bond name: `15-Nov-2035`, `01-Mar-2041` or
/// `Jun-2033` (the 15th).
fn maturity(name: &str) -> Option<NaiveDate> {
    let last = name.split_whitespace().last()?;
    let parts: Vec<&str> = last.split('-').collect();
    let (day, month, year) = match parts.as_slice() {
        [d, m, y] => (d.parse().ok()?, *m, y.parse().ok()?),
        [m, y] => (15, *m, y.parse().ok()?),
        _ => return None,
    };
    let month = MONTHS.iter().position(|x| *x == month)? as u32 + 1;
    NaiveDate::from_ymd_opt(year, month, day)
}

fn bond(s: &Security, m: &Meta, rng: &mut Rng, trade_date: NaiveDate) -> SecurityProfile {
    let words: Vec<&str> = s.name.split_whitespace().collect();
    let maturity = maturity(&s.name).unwrap_or(trade_date);
    let (issuer, sector, rating, muni_state, spread) = match m.class {
        Class::Treasury => ("US Treasury".to_string(), "Government".to_string(), Rating::Aaa, None, (0.0002, 0.0006)),
        Class::Municipal => {
            // `{city} {state} {GO|Revenue} ...`
            let kind = words.iter().position(|w| *w == "GO" || *w == "Revenue").unwrap_or(2);
            let state = words.get(kind.saturating_sub(1)).copied().unwrap_or("");
            let city = words[..kind.saturating_sub(1)].join(" ");
            let rating = [Rating::Aaa, Rating::Aa, Rating::A][rng.weighted(&[20, 50, 30])];
            (format!("{city}, {state}"), "Municipal".to_string(), rating, Some(state.to_string()), (0.003, 0.01))
        }
        _ => {
            // `{first} {business} Corp. ...`: the company, in the sector of its business.
            let issuer = words.iter().take_while(|w| **w != "Corp.").copied().collect::<Vec<_>>().join(" ") + " Corp.";
            let word = words.get(1).copied().unwrap_or("");
            let sector = NAME_SECOND.iter().position(|names| names.contains(&word)).map_or("Corporate", |k| SECTORS[k]);
            let rating = [Rating::Aa, Rating::A, Rating::Bbb][rng.weighted(&[15, 45, 40])];
            (issuer, sector.to_string(), rating, None, (0.002, 0.008))
        }
    };
    let spread = dec(log_uniform(rng, spread), 5);
    // Some long munis are callable at par before maturity. Drawn whatever the dates, so the
    // draws do not depend on the trade date.
    let (callable, call_in) = (rng.chance(0.4), rng.range(1, 8) as i32);
    let call_date = if m.class == Class::Municipal && maturity.year() > trade_date.year() + 10 && callable {
        NaiveDate::from_ymd_opt(trade_date.year() + call_in, maturity.month(), 1)
    } else {
        None
    };
    SecurityProfile {
        issuer,
        sector,
        country: "US".to_string(),
        venue: "TRACE".to_string(),
        spread: Some(spread),
        risk_rating: match rating {
            Rating::Aaa => 1,
            Rating::Aa | Rating::A => 2,
            _ => 3,
        },
        bond: Some(BondTerms { rating, maturity, call_date, muni_state, min_denomination: Decimal::from(1_000) }),
        ..Default::default()
    }
}

/// A test on a security and what the generator knows about it.
type Pred<'a> = &'a dyn Fn(&Security, &Meta) -> bool;

/// Draws hazards from pools of securities no model holds and no substitute list names.
struct Picker<'a> {
    rng: Rng,
    clean: &'a [bool],
    used: Vec<bool>,
}

impl Picker<'_> {
    /// Up to `k` unused, non-model securities satisfying `pred`, marked used.
    fn take(&mut self, b: &Builder, k: usize, pred: impl Fn(&Security, &Meta) -> bool) -> Vec<usize> {
        let mut pool: Vec<usize> = (0..b.securities.len())
            .filter(|&i| !self.clean[i] && !self.used[i] && pred(&b.securities[i], &b.meta[i]))
            .collect();
        self.rng.shuffle(&mut pool);
        pool.truncate(k);
        for &i in &pool {
            self.used[i] = true;
        }
        pool
    }

    /// Like `take`, trying each predicate in turn until `k` are found.
    fn take_first(&mut self, b: &Builder, k: usize, preds: &[Pred]) -> Vec<usize> {
        let mut out = Vec::new();
        for pred in preds {
            if out.len() >= k {
                break;
            }
            let more = self.take(b, k - out.len(), pred);
            out.extend(more);
        }
        out
    }

    fn count(&mut self, lo: i64, hi: i64) -> usize {
        self.rng.range(lo, hi) as usize
    }
}

fn is_equity(s: &Security, _: &Meta) -> bool {
    s.kind == SecurityKind::Equity
}
fn is_us_equity(s: &Security, m: &Meta) -> bool {
    s.kind == SecurityKind::Equity && !s.profile.adr && m.class != Class::RealEstate
}

fn fund_mut(s: &mut Security) -> &mut FundTerms {
    s.profile.fund.get_or_insert_with(no_load_terms)
}

fn hazards(
    b: &mut Builder,
    rng: Rng,
    seed: u64,
    trade_date: NaiveDate,
    clean: &[bool],
    in_model: &[bool],
) -> ComplianceLists {
    let n = b.securities.len();
    let mut p = Picker { rng, clean, used: vec![false; n] };

    // A foreign company that is a PFIC for US holders.
    for i in p.take_first(b, 1, &[&|s, m| s.profile.adr && m.class == Class::Emerging, &|s, _| s.profile.adr]) {
        b.securities[i].profile.pfic = true;
    }
    // A Russian issuer, caught by the sanctions list (an ADR when one is left).
    for i in p.take_first(
        b,
        1,
        &[&|s, m| s.kind == SecurityKind::Equity && m.class == Class::Emerging, &|s, _| s.profile.adr, &is_equity],
    ) {
        b.securities[i].profile.country = "RU".to_string();
    }
    let k = p.count(1, 2);
    for i in p.take(b, k, is_equity) {
        b.securities[i].profile.halted = true;
    }
    // Delisted names trade over the counter, if at all.
    let k = p.count(1, 2);
    for i in p.take(b, k, is_equity) {
        let s = &mut b.securities[i].profile;
        s.delisted = true;
        s.venue = "OTC".to_string();
    }
    let k = p.count(1, 3);
    for i in p.take(b, k, is_us_equity) {
        b.securities[i].profile.threshold_list = true;
    }
    let k = p.count(2, 4);
    let illiquid = p.take_first(
        b,
        k,
        &[&|s, m| s.kind == SecurityKind::Equity && m.class == Class::UsSmall, &|s, m| {
            s.kind == SecurityKind::Equity && m.class == Class::UsMid
        }],
    );
    for i in illiquid {
        let adv = log_uniform(&mut p.rng, (2e3, 3e4));
        let spread = p.rng.uniform(0.01, 0.03);
        let s = &mut b.securities[i].profile;
        s.illiquid = true;
        s.adv = Some(shares(adv));
        s.spread = Some(dec(spread, 5));
        s.risk_rating = 5;
    }
    let k = p.count(2, 4);
    for i in p.take(b, k, is_us_equity) {
        let days = p.rng.range(5, 60) as u64;
        let s = &mut b.securities[i].profile;
        s.ipo_date = trade_date.checked_sub_days(Days::new(days));
        s.risk_rating = 5;
    }
    // Publicly traded partnerships (pipeline MLPs first, then asset managers): K-1s and
    // unrelated business income in IRAs.
    let k = p.count(1, 2);
    let partnerships = p.take_first(
        b,
        k,
        &[
            &|s, m| is_us_equity(s, m) && s.name.contains(" Midstream "),
            &|s, m| is_us_equity(s, m) && m.sector == Some(6),
            &|s, m| is_us_equity(s, m) && (s.name.contains(" Capital ") || s.name.contains(" Trust ")),
            &is_us_equity,
        ],
    );
    for i in partnerships {
        let energy = b.meta[i].sector == Some(6);
        let s = &mut b.securities[i].profile;
        s.k1 = true;
        if energy && !s.tags.iter().any(|t| t == "fossil_fuels") {
            s.tags.push("fossil_fuels".to_string());
        }
    }

    // Broad-commodity funds hold futures; one is a commodity pool issuing K-1s.
    let commodity: Vec<usize> = (0..n)
        .filter(|&i| {
            !clean[i]
                && b.meta[i].class == Class::Commodity
                && b.meta[i].family.is_some_and(|f| b.families[f].key == "COMM")
        })
        .collect();
    for (k, &i) in commodity.iter().enumerate() {
        let etf = b.securities[i].kind == SecurityKind::Etf;
        let s = &mut b.securities[i].profile;
        s.flags.commodity_futures = true;
        s.k1 = k == 0 && etf;
        p.used[i] = true;
    }
    // A volatility-linked note (an existing complex product re-flagged: adding a security
    // would shift every account's draws).
    let vol = p.take_first(
        b,
        1,
        &[&|s, m| s.complex_product && m.family.is_some_and(|f| b.families[f].key == "SP500"), &|s, _| {
            s.complex_product
        }],
    );
    for i in vol {
        let s = &mut b.securities[i].profile;
        s.flags.volatility = true;
        s.flags.etn = true;
    }
    // Small ETFs few advisors would buy.
    let k = p.count(2, 3);
    for i in p.take(b, k, |s, _| s.kind == SecurityKind::Etf && !s.complex_product) {
        let aum = p.rng.uniform(8e6, 4.5e7);
        let adv = log_uniform(&mut p.rng, (5e3, 6e4));
        let spread = p.rng.uniform(0.002, 0.008);
        let s = &mut b.securities[i].profile;
        s.aum = Some(millions(aum));
        s.adv = Some(shares(adv));
        s.spread = Some(dec(spread, 5));
    }

    // Mutual funds: load share classes (which the firm no longer recommends), closed funds,
    // short-term redemption fees and an accredited-only fund.
    let is_fund = |s: &Security, _: &Meta| s.kind == SecurityKind::MutualFund;
    // Retail classes of actively managed funds are the ones sold with loads or closed.
    let retail = |s: &Security, _: &Meta| s.kind == SecurityKind::MutualFund && s.name.ends_with("Investor Class");
    let k = p.count(2, 3);
    let a_shares = p.take_first(b, k, &[&retail, &is_fund]);
    for &i in &a_shares {
        let bond = b.meta[i].class.is_fixed_income();
        let f = fund_mut(&mut b.securities[i]);
        f.share_class = ShareClass::A;
        f.front_load = if bond { Decimal::new(425, 4) } else { Decimal::new(575, 4) };
        f.breakpoint = Some(Decimal::from(1_000_000));
        bump_expense(&mut b.securities[i], 0.0025);
    }
    let k = p.count(1, 2);
    let c_shares = p.take_first(b, k, &[&retail, &is_fund]);
    for &i in &c_shares {
        fund_mut(&mut b.securities[i]).share_class = ShareClass::C;
        bump_expense(&mut b.securities[i], 0.0100);
    }
    let k = p.count(1, 2);
    for i in p.take_first(b, k, &[&retail, &is_fund]) {
        fund_mut(&mut b.securities[i]).closed_to_new = true;
    }
    for i in p.take_first(b, 1, &[&retail, &is_fund]) {
        fund_mut(&mut b.securities[i]).closed = true;
    }
    let k = p.count(2, 4);
    for i in p.take(b, k, is_fund) {
        let days = [30, 60, 90][p.rng.index(3)];
        let fee = if p.rng.chance(0.5) { Decimal::new(1, 2) } else { Decimal::new(2, 2) };
        let f = fund_mut(&mut b.securities[i]);
        f.redemption_fee_days = days;
        f.redemption_fee = fee;
    }
    let accredited = p.take_first(
        b,
        1,
        &[&|s, _| s.kind == SecurityKind::MutualFund && s.name.ends_with("Institutional Class"), &is_fund],
    );
    for i in accredited {
        b.securities[i].profile.accredited_only = true;
    }

    // Bonds: a Rule 144A note (institutional buyers only) and a fallen angel.
    let corporate = |s: &Security, m: &Meta| s.kind == SecurityKind::Bond && m.class == Class::Corporate;
    for i in p.take(b, 1, corporate) {
        let s = &mut b.securities[i].profile;
        s.rule_144a = true;
        if let Some(t) = s.bond.as_mut() {
            t.min_denomination = Decimal::from(200_000);
        }
    }
    for i in p.take(b, 1, corporate) {
        let s = &mut b.securities[i].profile;
        s.risk_rating = 4;
        if let Some(t) = s.bond.as_mut() {
            t.rating = Rating::Bb;
        }
    }

    // Lists. Issuer entries name only issuers no buyable security shares (a corporate bond
    // may carry a company's name too).
    let clean_issuers: HashSet<String> =
        (0..n).filter(|&i| clean[i]).map(|i| b.securities[i].profile.issuer.clone()).collect();
    let mut issuers_taken: HashSet<String> = HashSet::new();
    let mut issuer_of = |p: &mut Picker, b: &Builder, prefer_restricted: bool| -> Option<String> {
        let mut pool: Vec<usize> = (0..n)
            .filter(|&i| {
                let s = &b.securities[i];
                !clean[i]
                    && s.kind == SecurityKind::Equity
                    && (!prefer_restricted || s.restricted)
                    && !clean_issuers.contains(&s.profile.issuer)
                    && !issuers_taken.contains(&s.profile.issuer)
            })
            .collect();
        p.rng.shuffle(&mut pool);
        let issuer = b.securities[*pool.first()?].profile.issuer.clone();
        issuers_taken.insert(issuer.clone());
        Some(issuer)
    };
    let restricted_issuers: Vec<String> =
        issuer_of(&mut p, b, true).or_else(|| issuer_of(&mut p, b, false)).into_iter().collect();
    let household = |k: usize| household_id(seed, FLAGGED_ACCOUNTS[k]);
    let mut insiders = Vec::new();
    if let Some(issuer) = issuer_of(&mut p, b, false) {
        insiders.push(Insider {
            account: None,
            household: Some(household(0)),
            issuer,
            role: "director".to_string(),
            window_open: false,
        });
    }
    if let Some(issuer) = issuer_of(&mut p, b, false) {
        insiders.push(Insider {
            account: Some(account_id(FLAGGED_ACCOUNTS[1])),
            household: None,
            issuer,
            role: "officer".to_string(),
            window_open: true,
        });
    }
    let mut household_restrictions = Vec::new();
    for (k, reason) in [(2, "spouse employed by the issuer"), (3, "client request: former employer")] {
        if let Some(issuer) = issuer_of(&mut p, b, false) {
            household_restrictions.push(HouseholdRestriction {
                household: household(k),
                security: None,
                issuer: Some(issuer),
                reason: reason.to_string(),
            });
        }
    }

    // Watch list: a couple of names under surveillance, at most one of them in a model.
    let mut watch = Vec::new();
    if p.rng.chance(0.7) {
        let model_equities: Vec<usize> =
            (0..n).filter(|&i| in_model[i] && b.securities[i].kind == SecurityKind::Equity).collect();
        if let Some(&i) = p.rng.choose(&model_equities) {
            watch.push(b.securities[i].id.clone());
        }
    }
    let k = p.count(1, 3);
    watch.extend(p.take(b, k, is_equity).into_iter().map(|i| b.securities[i].id.clone()));

    let not_recommended: Vec<String> =
        a_shares.iter().chain(&c_shares).take(3).map(|&i| b.securities[i].id.clone()).collect();

    ComplianceLists {
        watch,
        restricted_issuers,
        insiders,
        household_restrictions,
        sanctioned_countries: SANCTIONED_COUNTRIES.iter().map(|c| c.to_string()).collect(),
        not_recommended,
    }
}

fn bump_expense(s: &mut Security, by: f64) {
    let by = dec(by, 4);
    if let Some(e) = s.profile.expense_ratio.as_mut() {
        *e += by;
    }
}
