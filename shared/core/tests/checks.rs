//! Every pre-trade check, made to pass and made to fail, with its reason asserted.

mod check_cases;
mod support;

use std::collections::BTreeSet;

use ballast_core::checks::{
    catalogue, catalogue_markdown, CheckEngine, CheckOutcome, ParamError, ParamOverride, Severity,
};
use ballast_core::*;
use support::*;

/// A clean book, account and trade that pass every check; each case bends one thing.
pub struct Scenario {
    pub book: Book,
    pub stale: Option<&'static str>,
    pub account: Account,
    pub trade: ProposedTrade,
    /// Other trades of the same account in the batch.
    pub others: Vec<ProposedTrade>,
    pub trade_date: Option<&'static str>,
    pub overrides: Vec<ParamOverride>,
}

pub fn scenario() -> Scenario {
    let mut book = Book::new()
        .etf("AAA", "100")
        .etf("BBB", "50")
        .etf("CPX", "20")
        .etf("RST", "30")
        .etf("OFF", "10")
        .model("M", "0.02", &[("AAA", "0.5"), ("BBB", "0.48")], "0.02", "0.25");
    book.securities[2].complex_product = true;
    book.securities[3].restricted = true;
    let mut account = account("CHK-1", AccountType::Taxable, "M", "20000");
    hold(&mut account, "AAA", &[("200", "80", "2020-01-02")]);
    hold(&mut account, "BBB", &[("200", "40", "2020-01-02")]);
    Scenario {
        book,
        stale: None,
        account,
        trade: buy("BBB", "10", "50"),
        others: Vec::new(),
        trade_date: None,
        overrides: Vec::new(),
    }
}

pub fn buy(security: &str, quantity: &str, price: &str) -> ProposedTrade {
    order(Side::Buy, security, quantity, price)
}

pub fn sell(security: &str, quantity: &str, price: &str) -> ProposedTrade {
    order(Side::Sell, security, quantity, price)
}

pub fn order(side: Side, security: &str, quantity: &str, price: &str) -> ProposedTrade {
    ProposedTrade {
        account: "CHK-1".into(),
        security: security.into(),
        side,
        quantity: dec(quantity),
        price: dec(price),
        amount: dec(quantity) * dec(price),
        reason: TradeReason::Drift,
        lots: Vec::new(),
        short_term_gain: Decimal::ZERO,
        long_term_gain: Decimal::ZERO,
    }
}

pub fn with_gain(mut t: ProposedTrade, gain: &str, term: Term) -> ProposedTrade {
    t.lots.push(LotRelief {
        lot_id: "L1".into(),
        acquired: date(if term == Term::ShortTerm { "2026-09-01" } else { "2020-01-02" }),
        quantity: t.quantity,
        cost_basis: t.price - dec(gain) / t.quantity,
        proceeds: t.amount,
        gain: dec(gain),
        term,
    });
    match term {
        Term::ShortTerm => t.short_term_gain = dec(gain),
        Term::LongTerm => t.long_term_gain = dec(gain),
    }
    t
}

pub fn run(s: &Scenario) -> Vec<CheckOutcome> {
    let mut file = s.book.file();
    if let Some(stale) = s.stale {
        let p = file.prices.iter_mut().find(|p| p.security == stale).unwrap();
        p.as_of -= chrono::Duration::days(10);
    }
    if let Some(d) = s.trade_date {
        file.trade_date = date(d);
    }
    let (reference, _) = book::Reference::build(file);
    let engine = CheckEngine::new(&s.overrides).expect("valid parameters");
    let mut batch = vec![s.trade.clone()];
    batch.extend(s.others.iter().cloned());
    engine.check_account(&reference, &s.account, &batch).remove(0)
}

/// Ids of the checks the engine runs on the scenario's trade.
pub fn in_scope(s: &Scenario) -> Vec<&'static str> {
    let engine = CheckEngine::new(&s.overrides).expect("valid parameters");
    let kind = s.book.securities.iter().find(|x| x.id == s.trade.security).map(|x| x.kind);
    engine.in_scope(s.account.account_type, s.trade.side, kind).map(|c| c.id).collect()
}

pub fn set(check: &str, param: &str, value: &str) -> ParamOverride {
    ParamOverride { check: check.into(), param: param.into(), account_type: None, value: dec(value) }
}

pub type Bend = fn(&mut Scenario);

/// One check's pass and fail: `pass` bends the clean scenario so the check is in scope
/// and evaluated but passes; `fail` then breaks its rule; `reason` is words its reason
/// must contain.
pub struct Case {
    pub id: &'static str,
    pub pass: Bend,
    pub fail: Bend,
    pub reason: &'static str,
}

pub fn case(id: &'static str, pass: Bend, fail: Bend, reason: &'static str) -> Case {
    Case { id, pass, fail, reason }
}

fn cases() -> Vec<Case> {
    check_cases::all()
}

#[test]
fn the_clean_scenario_passes_every_check() {
    let outcomes = run(&scenario());
    assert!(outcomes.is_empty(), "{outcomes:#?}");
}

#[test]
fn every_check_fails_with_its_reason_when_its_rule_is_broken() {
    let mut wrong = Vec::new();
    for Case { id, pass, fail, reason } in cases() {
        let mut s = scenario();
        pass(&mut s);
        fail(&mut s);
        let outcomes = run(&s);
        match outcomes.iter().find(|o| o.id == id) {
            None => wrong.push(format!("{id} did not fire: {outcomes:?}")),
            Some(hit) if !hit.reason.contains(reason) => wrong.push(format!("{id}: {:?} lacks {reason:?}", hit.reason)),
            Some(_) => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_check_passes_when_in_scope_and_its_rule_is_kept() {
    let mut wrong = Vec::new();
    for Case { id, pass, .. } in cases() {
        let mut s = scenario();
        pass(&mut s);
        if !in_scope(&s).contains(&id) {
            wrong.push(format!("{id}: the passing case does not reach the check"));
        }
        let outcomes = run(&s);
        if let Some(o) = outcomes.iter().find(|o| o.id == id) {
            wrong.push(format!("{id} fired on its passing case: {}", o.reason));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_check_in_the_catalogue_has_a_pass_and_a_fail_case() {
    let tested: BTreeSet<&str> = cases().iter().map(|c| c.id).collect();
    let all: BTreeSet<&str> = catalogue().iter().map(|c| c.id).collect();
    assert_eq!(all.len(), catalogue().len(), "duplicate check ids");
    let missing: Vec<&&str> = all.difference(&tested).collect();
    assert!(missing.is_empty(), "checks without a failing case: {missing:?}");
}

#[test]
fn parameters_are_validated_and_overridable_per_account_type() {
    let err = CheckEngine::new(&[set("ORDER.NOTIONAL_LIMIT", "max_notional", "5")]).err().unwrap();
    assert!(matches!(err, ParamError::OutOfRange { .. }));
    assert_eq!(err.to_string(), "ORDER.NOTIONAL_LIMIT.max_notional = 5 is outside its allowed range 1000..=1000000000");
    assert!(matches!(CheckEngine::new(&[set("NOPE.CHECK", "x", "1")]), Err(ParamError::UnknownCheck(_))));
    assert!(matches!(
        CheckEngine::new(&[set("ORDER.NOTIONAL_LIMIT", "nope", "1")]),
        Err(ParamError::UnknownParam { .. })
    ));
    // A limit set for IRAs only leaves the taxable account alone.
    let mut s = scenario();
    s.trade = buy("BBB", "30", "50");
    s.overrides.push(ParamOverride {
        check: "ORDER.NOTIONAL_LIMIT".into(),
        param: "max_notional".into(),
        account_type: Some(AccountType::TraditionalIra),
        value: dec("1000"),
    });
    assert!(run(&s).iter().all(|o| o.id != "ORDER.NOTIONAL_LIMIT"));
    s.account.account_type = AccountType::TraditionalIra;
    assert!(run(&s).iter().any(|o| o.id == "ORDER.NOTIONAL_LIMIT"));
}

#[test]
fn docs_checks_md_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/CHECKS.md");
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    assert!(on_disk == catalogue_markdown(), "docs/CHECKS.md is stale: run `make checks-doc`");
}

#[test]
fn closing_a_fractional_position_is_allowed_in_a_whole_share_account() {
    let mut s = scenario();
    s.account.positions[1].lots[0].quantity = dec("200.25");
    s.trade = sell("BBB", "200.25", "50");
    assert!(run(&s).iter().all(|o| o.id != "DATA.FRACTIONAL_NOT_ALLOWED"), "{:#?}", run(&s));
    s.trade = sell("BBB", "100.25", "50");
    assert!(run(&s).iter().any(|o| o.id == "DATA.FRACTIONAL_NOT_ALLOWED"));
}

#[test]
fn rejected_firm_parameters_block_every_trade_instead_of_falling_back_to_defaults() {
    let s = scenario();
    let (reference, _) = book::Reference::build(s.book.file());
    let engine = CheckEngine::for_firm(&[set("CONC.SINGLE_SECURITY", "max_weight", "7")]);
    assert!(engine.rejected().is_some());
    let outcomes = engine.check_account(&reference, &s.account, std::slice::from_ref(&s.trade)).remove(0);
    let hit = outcomes.iter().find(|o| o.id == "CONFIG.INVALID_PARAMETERS").expect("blocked");
    assert_eq!(hit.severity, Severity::Block);
    assert!(
        hit.reason.contains("CONC.SINGLE_SECURITY.max_weight = 7 is outside its allowed range 0.01..=1"),
        "{}",
        hit.reason
    );
    // Good parameters: nothing to report on the clean trade.
    let engine = CheckEngine::for_firm(&[set("CONC.SINGLE_SECURITY", "max_weight", "0.5")]);
    assert!(engine.rejected().is_none());
    assert!(engine.check_account(&reference, &s.account, std::slice::from_ref(&s.trade)).remove(0).is_empty());
}

/// Treasuries carry no issuer credit risk: a large Treasury position never trips the
/// issuer limit, while the same position in a company's bond does.
#[test]
fn us_treasuries_are_exempt_from_the_single_issuer_limit() {
    let outcome = |sector: &str| {
        let mut s = scenario();
        let b = s.book.add("T30", SecurityKind::Bond, "100");
        b.profile.issuer = "US Treasury".into();
        b.profile.sector = sector.into();
        b.profile.country = "US".into();
        b.profile.bond = Some(BondTerms {
            rating: Rating::Aaa,
            maturity: date("2030-05-15"),
            call_date: None,
            muni_state: None,
            min_denomination: Decimal::ZERO,
        });
        hold(&mut s.account, "T30", &[("300", "100", "2022-05-02")]);
        s.trade = buy("T30", "10", "100");
        run(&s).into_iter().filter(|o| o.id == "CONC.SINGLE_ISSUER").map(|o| o.reason).collect::<Vec<_>>()
    };
    assert_eq!(outcome("Government"), Vec::<String>::new());
    let corporate = outcome("Financials");
    assert_eq!(corporate.len(), 1, "{corporate:?}");
    assert!(corporate[0].starts_with("issuer US Treasury would be "), "{corporate:?}");
}
