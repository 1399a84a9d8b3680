//! Every pre-trade check, made to pass and made to fail, with its reason asserted.

mod support;

use std::collections::BTreeSet;

use ballast_core::checks::{catalogue, catalogue_markdown, CheckEngine, CheckOutcome, ParamError, ParamOverride};
use ballast_core::*;
use support::*;

/// A clean book, account and trade that pass every check; each case bends one thing.
struct Scenario {
    book: Book,
    stale: Option<&'static str>,
    account: Account,
    trade: ProposedTrade,
    /// Other trades of the same account in the batch.
    others: Vec<ProposedTrade>,
    trade_date: Option<&'static str>,
    overrides: Vec<ParamOverride>,
}

fn scenario() -> Scenario {
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

fn buy(security: &str, quantity: &str, price: &str) -> ProposedTrade {
    order(Side::Buy, security, quantity, price)
}

fn sell(security: &str, quantity: &str, price: &str) -> ProposedTrade {
    order(Side::Sell, security, quantity, price)
}

fn order(side: Side, security: &str, quantity: &str, price: &str) -> ProposedTrade {
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

fn with_gain(mut t: ProposedTrade, gain: &str, term: Term) -> ProposedTrade {
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

fn run(s: &Scenario) -> Vec<CheckOutcome> {
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

fn set(check: &str, param: &str, value: &str) -> ParamOverride {
    ParamOverride { check: check.into(), param: param.into(), account_type: None, value: dec(value) }
}

type Bend = fn(&mut Scenario);

/// (check id, what makes it fail, words its reason must contain)
fn cases() -> Vec<(&'static str, Bend, &'static str)> {
    vec![
        ("DATA.UNKNOWN_SECURITY", |s| s.trade = buy("ZZZ", "10", "50"), "ZZZ is not in the security master"),
        (
            "DATA.MISSING_PRICE",
            |s| {
                s.book.securities.push(security("NOP", SecurityKind::Etf));
                s.trade = buy("NOP", "10", "50");
            },
            "no reference price for NOP",
        ),
        ("DATA.STALE_PRICE", |s| s.stale = Some("BBB"), "price of BBB is from 2026-11-17, more than 3 days before"),
        (
            "DATA.PRICE_COLLAR",
            |s| s.trade = buy("BBB", "10", "60"),
            "order price 60 is 20.00% from the reference price 50 (limit 5.00%)",
        ),
        ("DATA.NON_POSITIVE_QUANTITY", |s| s.trade = buy("BBB", "0", "50"), "quantity 0 is not positive"),
        (
            "DATA.FRACTIONAL_NOT_ALLOWED",
            |s| s.trade = buy("BBB", "10.5", "50"),
            "quantity 10.5 of BBB has more than 0 decimal places",
        ),
        (
            "DATA.AMOUNT_MISMATCH",
            |s| s.trade.amount = dec("400"),
            "amount 400 differs from quantity 10 × price 50 = 500",
        ),
        ("ACCT.CLOSED", |s| s.account.status = AccountStatus::Closed, "account CHK-1 is closed"),
        ("ACCT.FROZEN", |s| s.account.status = AccountStatus::Frozen, "account CHK-1 is frozen"),
        ("ACCT.DECEASED", |s| s.account.status = AccountStatus::Deceased, "account CHK-1 is flagged deceased"),
        (
            "ACCT.PENDING_TRANSFER",
            |s| s.account.status = AccountStatus::PendingTransfer,
            "account CHK-1 is pending transfer",
        ),
        (
            "ACCT.RESTRICTED_BUY",
            |s| s.account.status = AccountStatus::Restricted,
            "restricted to closing sales; buy of BBB refused",
        ),
        (
            "SUIT.COMPLEX_PRODUCT_IN_RETIREMENT",
            |s| {
                s.account.account_type = AccountType::RothIra;
                s.trade = buy("CPX", "10", "20");
            },
            "CPX is a complex (leveraged/inverse) product and cannot be bought in a retirement account",
        ),
        ("LIST.FIRM_RESTRICTED", |s| s.trade = buy("RST", "10", "30"), "RST is on the firm's restricted list"),
        (
            "LIST.ACCOUNT_DO_NOT_BUY",
            |s| s.account.restrictions.push(Restriction { security: "BBB".into(), kind: RestrictionKind::DoNotBuy }),
            "account CHK-1 has a do-not-buy restriction on BBB",
        ),
        (
            "LIST.ACCOUNT_DO_NOT_HOLD",
            |s| s.account.restrictions.push(Restriction { security: "BBB".into(), kind: RestrictionKind::DoNotHold }),
            "account CHK-1 must not hold BBB",
        ),
        (
            "LIST.ACCOUNT_DO_NOT_SELL",
            |s| {
                s.account.restrictions.push(Restriction { security: "BBB".into(), kind: RestrictionKind::DoNotSell });
                s.trade = sell("BBB", "10", "50");
            },
            "account CHK-1 has a do-not-sell restriction on BBB",
        ),
        (
            "CONC.SINGLE_SECURITY",
            |s| s.trade = buy("BBB", "100", "50"),
            "BBB would be 30.00% of the account after this buy (limit 25.00%)",
        ),
        (
            "CASH.NEGATIVE_BALANCE",
            |s| s.account.cash = dec("100"),
            "the account's orders leave cash at -400 (cash now 100)",
        ),
        (
            "CASH.RESERVE_BREACH",
            |s| s.account.cash_reserve = dec("19800"),
            "leave cash at 19500, below its reserve of 19800",
        ),
        (
            "ORDER.NOTIONAL_LIMIT",
            |s| {
                s.overrides.push(set("ORDER.NOTIONAL_LIMIT", "max_notional", "1000"));
                s.trade = buy("BBB", "30", "50");
            },
            "order of 1500 exceeds the 1000 per-order limit",
        ),
        ("ORDER.SELL_MORE_THAN_HELD", |s| s.trade = sell("BBB", "300", "50"), "sale of 300 BBB exceeds the 200 held"),
        (
            "ORDER.FAT_FINGER_ACCOUNT_SIZE",
            |s| {
                s.overrides.push(set("ORDER.FAT_FINGER_ACCOUNT_SIZE", "max_fraction_of_account", "0.01"));
                s.trade = buy("BBB", "20", "50");
            },
            "buy of 1000 is more than 1.00% of the account's 50000",
        ),
        (
            "TAX.SHORT_TERM_GAIN_AVOIDED",
            |s| {
                s.account.tax.avoid_short_term_gains = true;
                s.trade = with_gain(sell("BBB", "10", "50"), "100", Term::ShortTerm);
            },
            "sale of BBB realizes a short-term gain of 100 although the account avoids them",
        ),
        (
            "TAX.WASH_SALE_BUY",
            |s| {
                s.account.recent_trades.push(RecentTrade {
                    security: "BBB".into(),
                    side: Side::Sell,
                    quantity: dec("50"),
                    trade_date: date("2026-11-17"),
                    realized_gain: dec("-700"),
                })
            },
            "buying BBB within 30 days of the -700 loss sale of BBB on 2026-11-17 would be a wash sale",
        ),
        (
            "TAX.GAIN_BUDGET",
            |s| {
                s.account.tax.gain_budget = Some(dec("500"));
                s.trade = with_gain(sell("BBB", "10", "50"), "100", Term::LongTerm);
                s.account.tax.realized_gains_ytd = dec("450");
            },
            "this sale's gain of 100 brings the year's realized gains to 550, above the budget of 500",
        ),
        (
            "MODEL.BUY_OFF_MODEL",
            |s| s.trade = buy("OFF", "10", "10"),
            "OFF is not in model M nor a substitute for one of its holdings",
        ),
        ("DATA.NON_POSITIVE_PRICE", |s| s.trade = buy("BBB", "10", "0"), "order price 0 is not positive"),
        (
            "ACCT.TRADE_FOR_ANOTHER_ACCOUNT",
            |s| s.trade.account = "OTHER".into(),
            "trade is for account OTHER but was checked against account CHK-1",
        ),
        (
            "ORDER.QUANTITY_LIMIT",
            |s| s.overrides.push(set("ORDER.QUANTITY_LIMIT", "max_quantity", "5")),
            "order of 10 shares exceeds the 5 share limit",
        ),
        (
            "ORDER.BELOW_MIN_TRADE",
            |s| {
                s.book.models[0].min_trade = dec("100");
                s.trade = buy("BBB", "1", "50");
            },
            "order of 50 is below the model's minimum trade of 100",
        ),
        (
            "ORDER.DUPLICATE_IN_BATCH",
            |s| s.others.push(buy("BBB", "4", "50")),
            "2 buy orders for BBB in this batch for account CHK-1",
        ),
        (
            "ORDER.BUY_AND_SELL_SAME_SECURITY",
            |s| s.others.push(sell("BBB", "4", "50")),
            "BBB is both bought and sold in this batch",
        ),
        (
            "TAX.WASH_SALE_LOSS_SALE",
            |s| {
                s.trade = with_gain(sell("BBB", "10", "50"), "-100", Term::LongTerm);
                s.account.recent_trades.push(RecentTrade {
                    security: "BBB".into(),
                    side: Side::Buy,
                    quantity: dec("5"),
                    trade_date: date("2026-11-17"),
                    realized_gain: Decimal::ZERO,
                });
            },
            "selling BBB at a loss of -100 within 30 days of buying it on 2026-11-17 would be a wash sale",
        ),
        (
            "TAX.LOSS_SALE_AND_REBUY_IN_BATCH",
            |s| s.others.push(with_gain(sell("BBB", "4", "50"), "-40", Term::LongTerm)),
            "BBB is bought in the batch that sells it (or an identical security) at a loss",
        ),
        (
            "TAX.LARGE_SHORT_TERM_GAIN",
            |s| s.trade = with_gain(sell("BBB", "10", "50"), "20000", Term::ShortTerm),
            "sale of BBB realizes a short-term gain of 20000, above 10000",
        ),
        (
            "MODEL.TRADE_AGAINST_DRIFT",
            |s| s.trade = sell("BBB", "10", "50"),
            "sell BBB while it is at 20.00% against a target of 48.00%",
        ),
        (
            "MODEL.CHURN",
            |s| {
                for k in 0..21 {
                    s.account.recent_trades.push(RecentTrade {
                        security: "OFF".into(),
                        side: Side::Sell,
                        quantity: dec("1"),
                        trade_date: date("2026-11-01") + chrono::Days::new(k),
                        realized_gain: Decimal::ZERO,
                    });
                }
            },
            "account CHK-1 already traded 21 times in the last 30 days (limit 20)",
        ),
        (
            "MKT.MARKET_CLOSED",
            |s| s.trade_date = Some("2026-11-26"),
            "the market is closed on the trade date 2026-11-26: Thanksgiving Day",
        ),
    ]
}

#[test]
fn the_clean_scenario_passes_every_check() {
    let outcomes = run(&scenario());
    assert!(outcomes.is_empty(), "{outcomes:#?}");
}

#[test]
fn every_check_fails_with_its_reason_when_its_rule_is_broken() {
    for (id, bend, reason) in cases() {
        let mut s = scenario();
        bend(&mut s);
        let outcomes = run(&s);
        let hit = outcomes.iter().find(|o| o.id == id).unwrap_or_else(|| panic!("{id} did not fire: {outcomes:#?}"));
        assert!(hit.reason.contains(reason), "{id}: {:?} lacks {reason:?}", hit.reason);
    }
}

#[test]
fn every_check_in_the_catalogue_has_a_pass_and_a_fail_case() {
    let tested: BTreeSet<&str> = cases().iter().map(|c| c.0).collect();
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
