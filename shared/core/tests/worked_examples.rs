//! Hand-computed accounts, one or more per mode, as an operations person would check them.

mod support;

use ballast_core::*;
use support::*;

fn opts(mode: Mode) -> RebalanceOptions {
    RebalanceOptions::new(mode)
}

/// AAA at $100 and BBB at $50, 49 % each, 2 % cash.
fn two_funds_and_cash() -> ballast_core::book::Reference {
    Book::new()
        .etf("AAA", "100")
        .etf("BBB", "50")
        .model("M", "0.02", &[("AAA", "0.49"), ("BBB", "0.49")], "0.02", "0.25")
        .reference()
}

/// $100,000 IRA: AAA $70,000, BBB $28,000, cash $2,000 against a 49/49/2 model.
#[test]
fn full_rebalance_of_an_ira_moves_exactly_the_drift() {
    let r = two_funds_and_cash();
    let mut a = account("IRA-1", AccountType::TraditionalIra, "M", "2000");
    hold(&mut a, "AAA", &[("700", "60", "2020-01-02")]);
    hold(&mut a, "BBB", &[("560", "45", "2021-05-03")]);
    let res = rebalance(&r, &a, &opts(Mode::Full));
    assert_eq!(res.outcome, AccountOutcome::Rebalanced);
    let sell = trade(&res, "AAA", Side::Sell).expect("sell AAA");
    assert_eq!((sell.quantity, sell.amount, sell.reason), (dec("210"), dec("21000"), TradeReason::Drift));
    let buy = trade(&res, "BBB", Side::Buy).expect("buy BBB");
    assert_eq!((buy.quantity, buy.amount), (dec("420"), dec("21000")));
    assert_eq!(res.cash_after, dec("2000"));
    assert!(res.drift_before.total > 0.41 && res.drift_after.total < 1e-9, "{:?}", res.drift_after);
    // Tax-deferred: gains are not taxable events.
    assert_eq!(res.estimated_tax, Decimal::ZERO);
    assert_eq!(res.turnover, 0.21);
}

fn three_fund_book() -> Book {
    Book::new().etf("AAA", "100").etf("BBB", "50").etf("CCC", "25").model(
        "M3",
        "0.02",
        &[("AAA", "0.40"), ("BBB", "0.30"), ("CCC", "0.28")],
        "0.03",
        "0",
    )
}

/// AAA 46 % (band 37–43 %: out), BBB 25 % (27–33 %: out), CCC 27 % (in), cash 2 %.
fn three_fund_account() -> Account {
    let mut a = account("TOL-1", AccountType::RothIra, "M3", "2000");
    hold(&mut a, "AAA", &[("460", "80", "2019-01-02")]);
    hold(&mut a, "BBB", &[("500", "40", "2019-01-02")]);
    hold(&mut a, "CCC", &[("1080", "20", "2019-01-02")]);
    a
}

#[test]
fn tolerance_trades_only_out_of_band_holdings_back_to_target() {
    let r = three_fund_book().reference();
    let res = rebalance(&r, &three_fund_account(), &opts(Mode::Tolerance));
    assert_eq!(trade(&res, "AAA", Side::Sell).map(|t| t.quantity), Some(dec("60")));
    assert_eq!(trade(&res, "BBB", Side::Buy).map(|t| t.quantity), Some(dec("100")));
    assert!(res.trades.iter().all(|t| t.security != "CCC"), "CCC is in band: {:?}", res.trades);
    assert_eq!(res.cash_after, dec("3000"));
}

#[test]
fn tolerance_to_band_edge_trades_only_back_inside_the_band() {
    let r = three_fund_book().reference();
    let mut o = opts(Mode::Tolerance);
    o.band_target = BandTarget::Edge;
    let res = rebalance(&r, &three_fund_account(), &o);
    assert_eq!(trade(&res, "AAA", Side::Sell).map(|t| t.quantity), Some(dec("30")));
    assert_eq!(trade(&res, "BBB", Side::Buy).map(|t| t.quantity), Some(dec("40")));
    assert_eq!(res.trades.len(), 2);
}

#[test]
fn tolerance_leaves_an_account_inside_every_band_alone() {
    let r = three_fund_book().reference();
    let mut a = account("TOL-2", AccountType::Taxable, "M3", "2000");
    hold(&mut a, "AAA", &[("410", "80", "2019-01-02")]);
    hold(&mut a, "BBB", &[("580", "40", "2019-01-02")]);
    hold(&mut a, "CCC", &[("1120", "20", "2019-01-02")]);
    let res = rebalance(&r, &a, &opts(Mode::Tolerance));
    assert_eq!(res.outcome, AccountOutcome::NoTradesNeeded);
    assert!(res.trades.is_empty());
}

/// $10,000 cash over a 2 % target: $8,000 goes to the one underweight holding; nothing is sold.
#[test]
fn buy_only_invests_excess_cash_in_the_underweight_holding() {
    let r = two_funds_and_cash();
    let mut a = account("BUY-1", AccountType::Taxable, "M", "10000");
    hold(&mut a, "AAA", &[("400", "90", "2020-01-02")]);
    hold(&mut a, "BBB", &[("1000", "30", "2020-01-02")]);
    let res = rebalance(&r, &a, &opts(Mode::BuyOnly));
    assert_eq!(res.trades.len(), 1, "{:?}", res.trades);
    let buy = trade(&res, "AAA", Side::Buy).unwrap();
    assert_eq!((buy.quantity, buy.reason), (dec("80"), TradeReason::CashDeploy));
    assert_eq!(res.cash_after, dec("2000"));
}

/// Raise $12,000 from one $100 holding with three lots. Tax per share: lot 1 (basis $40,
/// long-term) $12.00; lot 2 (basis $95, short-term) $1.85; lot 3 (basis $110) a loss.
/// Cheapest tax: all 50 shares of lot 3, then 70 of lot 2: net short-term loss $150.
#[test]
fn raise_cash_relieves_the_cheapest_tax_lots() {
    let book = Book::new().etf("AAA", "100").model("ONE", "0", &[("AAA", "1")], "0.02", "0.25");
    let r = book.reference();
    let mut a = account("RAISE-1", AccountType::Taxable, "ONE", "0");
    a.withdrawal = dec("12000");
    hold(&mut a, "AAA", &[("100", "40", "2015-06-01"), ("100", "95", "2026-06-01"), ("50", "110", "2026-02-10")]);
    let res = rebalance(&r, &a, &opts(Mode::RaiseCash));
    let sell = trade(&res, "AAA", Side::Sell).expect("a sale");
    assert_eq!(sell.reason, TradeReason::CashRaise);
    assert_eq!(sell.quantity, dec("120"));
    let relieved: Vec<(String, Decimal, Decimal)> =
        sell.lots.iter().map(|l| (l.lot_id.clone(), l.quantity, l.gain)).collect();
    assert_eq!(relieved, vec![("AAA-3".into(), dec("50"), dec("-500")), ("AAA-2".into(), dec("70"), dec("350"))]);
    assert_eq!((res.short_term_gain, res.long_term_gain), (dec("-150"), Decimal::ZERO));
    assert_eq!(res.estimated_tax, dec("-55.50"));
    assert_eq!(res.cash_after, dec("12000"));
}

/// FIFO would have sold the 2015 lot at $12 of tax per share instead.
#[test]
fn raise_cash_with_fifo_relieves_the_oldest_lot() {
    let book = Book::new().etf("AAA", "100").model("ONE", "0", &[("AAA", "1")], "0.02", "0.25");
    let r = book.reference();
    let mut a = account("RAISE-2", AccountType::Taxable, "ONE", "0");
    a.withdrawal = dec("12000");
    a.tax.lot_method = LotMethod::Fifo;
    hold(&mut a, "AAA", &[("100", "40", "2015-06-01"), ("100", "95", "2026-06-01"), ("50", "110", "2026-02-10")]);
    let res = rebalance(&r, &a, &opts(Mode::RaiseCash));
    let sell = trade(&res, "AAA", Side::Sell).unwrap();
    let ids: Vec<&str> = sell.lots.iter().map(|l| l.lot_id.as_str()).collect();
    assert_eq!(ids, ["AAA-1", "AAA-3"]);
    assert_eq!(res.long_term_gain, dec("6000"));
}

/// A withdrawal larger than the minimum trade but not a whole number of shares is rounded up.
#[test]
fn raise_cash_rounds_up_to_cover_the_withdrawal() {
    let book = Book::new().etf("AAA", "100").model("ONE", "0", &[("AAA", "1")], "0.02", "0.25");
    let r = book.reference();
    let mut a = account("RAISE-3", AccountType::RothIra, "ONE", "30");
    a.withdrawal = dec("1000");
    hold(&mut a, "AAA", &[("100", "40", "2015-06-01")]);
    let res = rebalance(&r, &a, &opts(Mode::RaiseCash));
    assert_eq!(trade(&res, "AAA", Side::Sell).map(|t| t.quantity), Some(dec("10")));
    assert!(res.cash_after >= dec("1000"));
}

/// A pending withdrawal is never invested (DOMAIN.md), in any mode: full and tolerance
/// rebalances keep it in cash, selling to cover it when cash is short.
#[test]
fn a_pending_withdrawal_is_never_invested() {
    let book = Book::new().etf("AAA", "100").etf("BBB", "50").model(
        "TWO",
        "0.02",
        &[("AAA", "0.49"), ("BBB", "0.49")],
        "0.02",
        "0.25",
    );
    let r = book.reference();
    for mode in [Mode::Full, Mode::Tolerance, Mode::BuyOnly] {
        // $30,000 of cash, $5,000 of which is promised to the client.
        let mut a = account("WD-1", AccountType::Taxable, "TWO", "30000");
        a.withdrawal = dec("5000");
        hold(&mut a, "AAA", &[("100", "90", "2020-01-02")]);
        let res = rebalance(&r, &a, &opts(mode));
        assert!(trade(&res, "BBB", Side::Buy).is_some(), "{mode:?}: the free cash is invested");
        assert!(res.cash_after >= dec("5000"), "{mode:?}: cash after {} spends the withdrawal", res.cash_after);
    }
    // Cash short of the withdrawal: full and tolerance sell to cover it.
    for mode in [Mode::Full, Mode::Tolerance] {
        let mut a = account("WD-2", AccountType::Taxable, "TWO", "100");
        a.withdrawal = dec("3000");
        hold(&mut a, "AAA", &[("100", "90", "2020-01-02")]);
        hold(&mut a, "BBB", &[("200", "45", "2020-01-02")]);
        let res = rebalance(&r, &a, &opts(mode));
        assert!(res.cash_after >= dec("3000"), "{mode:?}: cash after {} does not cover the withdrawal", res.cash_after);
        assert!(res.trades.iter().all(|t| t.side == Side::Sell), "{mode:?}: {:?}", res.trades);
    }
}

fn harvest_book() -> Book {
    Book::new().etf("AAA", "80").etf("SUB", "40").substitute("AAA", "SUB").model(
        "H",
        "0.02",
        &[("AAA", "0.98")],
        "0.02",
        "0.25",
    )
}

/// Lot 1 is down 20 % ($2,000); lot 2 is at a gain. Sell lot 1 only, buy $8,000 of SUB.
#[test]
fn harvest_sells_the_loss_lot_and_buys_the_substitute() {
    let r = harvest_book().reference();
    let mut a = account("TLH-1", AccountType::Taxable, "H", "300");
    hold(&mut a, "AAA", &[("100", "100", "2025-01-10"), ("50", "70", "2024-03-01")]);
    let res = rebalance(&r, &a, &opts(Mode::TaxLossHarvest));
    let sell = trade(&res, "AAA", Side::Sell).expect("harvest sale");
    assert_eq!((sell.quantity, sell.reason), (dec("100"), TradeReason::TaxLossHarvest));
    assert_eq!(sell.lots.len(), 1);
    assert_eq!((sell.lots[0].gain, sell.lots[0].term), (dec("-2000"), Term::LongTerm));
    let buy = trade(&res, "SUB", Side::Buy).expect("replacement");
    assert_eq!((buy.quantity, buy.reason), (dec("200"), TradeReason::HarvestReplacement));
    assert_eq!(res.estimated_tax, dec("-400"));
    assert_eq!(res.cash_after, dec("300"));
    // Exposure is kept: the substitute counts toward AAA's slot.
    assert!((res.drift_after.total - res.drift_before.total).abs() < 1e-9);
}

/// The same account bought AAA ten days ago: selling the loss now would be a wash sale.
#[test]
fn harvest_is_deferred_when_it_would_be_a_wash_sale() {
    let r = harvest_book().reference();
    let mut a = account("TLH-2", AccountType::Taxable, "H", "300");
    hold(&mut a, "AAA", &[("100", "100", "2025-01-10"), ("50", "70", "2024-03-01")]);
    a.recent_trades.push(RecentTrade {
        security: "AAA".into(),
        side: Side::Buy,
        quantity: dec("5"),
        trade_date: date("2026-11-17"),
        realized_gain: Decimal::ZERO,
        price: None,
        paid_with_unsettled: false,
    });
    let res = rebalance(&r, &a, &opts(Mode::TaxLossHarvest));
    assert!(res.trades.is_empty(), "{:?}", res.trades);
    assert!(res.exceptions.iter().any(|e| e.code == "harvest_deferred_wash_sale" && e.message.contains("AAA")));
}

/// AAA was sold at a loss 5 days ago and is now under target: buying it back within 30 days
/// would be a wash sale, so the engine buys the substitute instead.
#[test]
fn a_recent_loss_sale_blocks_buying_back_and_the_substitute_is_bought() {
    let book = Book::new().etf("AAA", "100").etf("BBB", "50").etf("ALT", "20").substitute("AAA", "ALT").model(
        "M",
        "0.02",
        &[("AAA", "0.49"), ("BBB", "0.49")],
        "0.02",
        "0.25",
    );
    let r = book.reference();
    let mut a = account("WASH-1", AccountType::Taxable, "M", "31000");
    hold(&mut a, "AAA", &[("200", "120", "2024-01-02")]);
    hold(&mut a, "BBB", &[("980", "50", "2024-01-02")]);
    a.recent_trades.push(RecentTrade {
        security: "AAA".into(),
        side: Side::Sell,
        quantity: dec("300"),
        trade_date: date("2026-11-22"),
        realized_gain: dec("-6000"),
        price: None,
        paid_with_unsettled: false,
    });
    let res = rebalance(&r, &a, &opts(Mode::Full));
    assert!(trade(&res, "AAA", Side::Buy).is_none());
    let buy = trade(&res, "ALT", Side::Buy).expect("substitute bought");
    assert_eq!(buy.quantity, dec("1450"));
}

/// AAA at $100 and BBB at $50, half each, no cash.
fn half_and_half() -> ballast_core::book::Reference {
    Book::new()
        .etf("AAA", "100")
        .etf("BBB", "50")
        .model("M", "0", &[("AAA", "0.5"), ("BBB", "0.5")], "0.02", "0.25")
        .reference()
}

/// In a taxable account a gain costs tax; with a high enough tax aversion the engine stops
/// selling a short-term gain to rebalance, while an IRA holding the same book rebalances.
#[test]
fn tax_aversion_stops_selling_an_expensive_gain() {
    let r = half_and_half();
    let mut a = account("TAX-1", AccountType::Taxable, "M", "0");
    hold(&mut a, "AAA", &[("600", "10", "2026-10-01")]);
    hold(&mut a, "BBB", &[("800", "50", "2020-01-02")]);
    // Tax per dollar of AAA: 0.37 × 0.9 = 0.333; λ = 10 → 3.33 > 2: not worth it.
    let res = rebalance(&r, &a, &opts(Mode::Full));
    assert!(res.trades.is_empty(), "{:?}", res.trades);
    a.tax.tax_aversion = dec("5");
    let res = rebalance(&r, &a, &opts(Mode::Full));
    assert_eq!(trade(&res, "AAA", Side::Sell).map(|t| t.quantity), Some(dec("100")));
    assert_eq!(res.short_term_gain, dec("9000"));
    a.tax.tax_aversion = dec("10");
    a.account_type = AccountType::TraditionalIra;
    let res = rebalance(&r, &a, &opts(Mode::Full));
    assert_eq!(trade(&res, "AAA", Side::Sell).map(|t| t.quantity), Some(dec("100")));
    assert_eq!(res.estimated_tax, Decimal::ZERO);
}

/// A long-term lot with a small gain is sold before a short-term lot with a smaller gain
/// when the avoid-short-term setting is on.
#[test]
fn avoid_short_term_gains_skips_short_term_lots() {
    let r = half_and_half();
    let mut a = account("ST-1", AccountType::Taxable, "M", "0");
    hold(&mut a, "AAA", &[("50", "99", "2026-09-01"), ("100", "70", "2020-01-02")]);
    hold(&mut a, "BBB", &[("100", "50", "2020-01-02")]);
    a.tax.avoid_short_term_gains = true;
    let res = rebalance(&r, &a, &opts(Mode::Full));
    let sell = trade(&res, "AAA", Side::Sell).unwrap();
    assert!(sell.lots.iter().all(|l| l.term == Term::LongTerm), "{:?}", sell.lots);
    assert_eq!(res.short_term_gain, Decimal::ZERO);
}

#[test]
fn gain_budget_cuts_back_sales() {
    let r = half_and_half();
    let mut a = account("BUD-1", AccountType::Taxable, "M", "0");
    hold(&mut a, "AAA", &[("600", "50", "2020-01-02")]);
    hold(&mut a, "BBB", &[("800", "50", "2020-01-02")]);
    a.tax.gain_budget = Some(dec("2000"));
    a.tax.realized_gains_ytd = dec("500");
    let res = rebalance(&r, &a, &opts(Mode::Full));
    // $1,500 of budget left at $50 of gain per share: 30 shares, not the 100 drift asks for.
    assert_eq!(trade(&res, "AAA", Side::Sell).map(|t| t.quantity), Some(dec("30")));
    assert!(res.long_term_gain <= dec("1500"));
    assert!(res.exceptions.iter().any(|e| e.code == "gain_budget"));
}

#[test]
fn restricted_and_off_model_holdings() {
    let mut book = Book::new().etf("AAA", "100").etf("BBB", "50").etf("OLD", "10").model(
        "M",
        "0",
        &[("AAA", "0.5"), ("BBB", "0.5")],
        "0.02",
        "0.25",
    );
    book.securities[1].restricted = true; // BBB on the firm's restricted list
    let r = book.reference();
    let mut a = account("OFF-1", AccountType::RothIra, "M", "0");
    hold(&mut a, "AAA", &[("100", "50", "2020-01-02")]);
    hold(&mut a, "OLD", &[("1000", "5", "2020-01-02")]);
    let res = rebalance(&r, &a, &opts(Mode::Full));
    let old = trade(&res, "OLD", Side::Sell).expect("off-model sold");
    assert_eq!((old.quantity, old.reason), (dec("1000"), TradeReason::OffModel));
    assert!(trade(&res, "BBB", Side::Buy).is_none(), "restricted security bought");
    assert!(res.exceptions.iter().any(|e| e.code == "buy_blocked"));
    // With the hold policy, OLD stays and is left out of the model base.
    a.off_model_policy = OffModelPolicy::Hold;
    let res = rebalance(&r, &a, &opts(Mode::Full));
    assert!(trade(&res, "OLD", Side::Sell).is_none());
}

#[test]
fn closed_accounts_are_skipped_with_the_reason() {
    let book = Book::new().etf("AAA", "100").model("ONE", "0", &[("AAA", "1")], "0.02", "0.25");
    let mut a = account("CL-1", AccountType::Taxable, "ONE", "5000");
    a.status = AccountStatus::Closed;
    let res = rebalance(&book.reference(), &a, &opts(Mode::Full));
    assert_eq!(res.outcome, AccountOutcome::Skipped);
    assert!(res.exceptions[0].message.contains("closed"));
}

/// A do-not-hold instruction on a model security: it is sold (reason restricted) and the
/// proceeds buy its substitute, so the account keeps the model's exposure.
#[test]
fn do_not_hold_model_security_is_replaced_by_its_substitute() {
    let book = Book::new().etf("AAA", "100").etf("BBB", "50").etf("ALT", "25").substitute("AAA", "ALT").model(
        "M",
        "0",
        &[("AAA", "0.5"), ("BBB", "0.5")],
        "0.02",
        "0.25",
    );
    let r = book.reference();
    let mut a = account("DNH-1", AccountType::RothIra, "M", "0");
    hold(&mut a, "AAA", &[("100", "80", "2020-01-02")]);
    hold(&mut a, "BBB", &[("200", "40", "2020-01-02")]);
    a.restrictions.push(Restriction { security: "AAA".into(), kind: RestrictionKind::DoNotHold });
    for mode in [Mode::Full, Mode::Tolerance] {
        let res = rebalance(&r, &a, &opts(mode));
        let sell = trade(&res, "AAA", Side::Sell).expect("do-not-hold sold");
        assert_eq!((sell.quantity, sell.reason), (dec("100"), TradeReason::Restricted));
        assert_eq!(trade(&res, "ALT", Side::Buy).map(|t| t.quantity), Some(dec("400")), "{mode:?}");
        assert!(res.drift_after.total < 1e-9);
    }
}
