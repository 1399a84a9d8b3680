//! Property tests: invariants of the engine over random books, accounts and modes.

mod support;

use std::collections::HashMap;

use ballast_core::book::Reference;
use ballast_core::*;
use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use support::*;

/// Everything the invariants need to know about one generated case.
struct Case {
    reference: Reference,
    account: Account,
    options: RebalanceOptions,
    wash_group: HashMap<String, String>,
    restricted: Vec<String>,
    min_trade: Decimal,
}

fn case(seed: u64, mode: Mode) -> Case {
    let mut g = Gen(seed);
    let trade_date: NaiveDate = TRADE_DATE.parse().unwrap();
    let n = 2 + g.below(7) as usize;
    let mut book = Book::new();
    for i in 0..n {
        let price = Decimal::new(500 + g.below(50_000) as i64, 2);
        book = book.etf(&format!("S{i}"), &price.to_string());
        let s = book.securities.last_mut().unwrap();
        if g.chance(20) {
            s.kind = SecurityKind::MutualFund;
            s.fractional = true;
        }
        if g.chance(20) && i > 0 {
            s.wash_sale_group = Some(format!("S{}", i - 1)); // a share-class twin of the previous one
        }
        s.restricted = g.chance(8);
    }
    for i in 0..n {
        if g.chance(40) {
            let j = g.below(n as u64) as usize;
            if j != i {
                book = book.substitute(&format!("S{i}"), &format!("S{j}"));
            }
        }
    }
    // Model over the first k securities; the rest can only be off-model holdings.
    let k = 1 + g.below(n as u64) as usize;
    let cash_bp = g.below(800) as i64;
    let mut raw: Vec<u64> = (0..k).map(|_| 1 + g.below(100)).collect();
    let sum: u64 = raw.iter().sum();
    let mut bps: Vec<i64> = raw.iter_mut().map(|w| (*w * (10_000 - cash_bp as u64) / sum) as i64).collect();
    bps[0] += 10_000 - cash_bp - bps.iter().sum::<i64>();
    let names: Vec<String> = (0..k).map(|i| format!("S{i}")).collect();
    let weights: Vec<String> = bps.iter().map(|b| Decimal::new(*b, 4).to_string()).collect();
    let holdings: Vec<(&str, &str)> = names.iter().zip(&weights).map(|(s, w)| (s.as_str(), w.as_str())).collect();
    let band_abs = Decimal::new(g.below(6) as i64, 2).to_string();
    let band_rel = Decimal::new(g.below(40) as i64, 2).to_string();
    book = book.model("M", &Decimal::new(cash_bp, 4).to_string(), &holdings, &band_abs, &band_rel);
    let min_trade = Decimal::from(g.below(200));
    book.models[0].min_trade = min_trade;

    let types = [
        AccountType::Taxable,
        AccountType::Trust,
        AccountType::TraditionalIra,
        AccountType::RothIra,
        AccountType::Qualified,
    ];
    let cash = Decimal::new(g.below(5_000_000) as i64, 2);
    let mut a = account("P-1", types[g.below(5) as usize], "M", &cash.to_string());
    a.allows_fractional = g.chance(50);
    a.cash_reserve = if g.chance(20) { Decimal::from(g.below(3000)) } else { Decimal::ZERO };
    a.withdrawal = if g.chance(60) { Decimal::from(g.below(60_000)) } else { Decimal::ZERO };
    a.off_model_policy = if g.chance(70) { OffModelPolicy::Sell } else { OffModelPolicy::Hold };
    a.tax.lot_method = [LotMethod::MinTax, LotMethod::Hifo, LotMethod::Fifo][g.below(3) as usize];
    a.tax.avoid_short_term_gains = g.chance(30);
    a.tax.tax_aversion = Decimal::from(g.below(20));
    if g.chance(25) {
        a.tax.gain_budget = Some(Decimal::from(g.below(20_000)));
        a.tax.realized_gains_ytd = Decimal::from(g.below(10_000));
    }
    for (i, s) in book.securities.iter().enumerate() {
        if !g.chance(75) {
            continue;
        }
        let price = book.prices[i].1;
        let lots: Vec<(String, String, String)> = (0..1 + g.below(4))
            .map(|_| {
                let q = if s.fractional {
                    Decimal::new(1 + g.below(400_000) as i64, 3)
                } else {
                    Decimal::from(1 + g.below(400))
                };
                let basis = (price * Decimal::new(40 + g.below(120) as i64, 2)).round_dp(2);
                let acquired = trade_date - Days::new(g.below(1500));
                (q.to_string(), basis.to_string(), acquired.to_string())
            })
            .collect();
        let lots: Vec<(&str, &str, &str)> = lots.iter().map(|(q, b, d)| (q.as_str(), b.as_str(), d.as_str())).collect();
        hold(&mut a, &s.id, &lots);
    }
    for _ in 0..g.below(4) {
        a.recent_trades.push(RecentTrade {
            security: format!("S{}", g.below(n as u64)),
            side: if g.chance(50) { Side::Buy } else { Side::Sell },
            quantity: Decimal::from(1 + g.below(50)),
            trade_date: trade_date - Days::new(g.below(45)),
            realized_gain: Decimal::from(g.below(4000) as i64 - 2500),
            price: None,
            paid_with_unsettled: false,
        });
    }
    for _ in 0..g.below(3) {
        let kind =
            [RestrictionKind::DoNotBuy, RestrictionKind::DoNotSell, RestrictionKind::DoNotHold][g.below(3) as usize];
        a.restrictions.push(Restriction { security: format!("S{}", g.below(n as u64)), kind });
    }
    let mut options = RebalanceOptions::new(mode);
    if g.chance(50) {
        options.band_target = BandTarget::Edge;
    }
    let wash_group = book.securities.iter().map(|s| (s.id.clone(), s.wash_group().to_string())).collect();
    let restricted = book.securities.iter().filter(|s| s.restricted).map(|s| s.id.clone()).collect();
    Case { reference: book.reference(), account: a, options, wash_group, restricted, min_trade }
}

fn mode() -> impl Strategy<Value = Mode> {
    prop::sample::select(Mode::ALL.to_vec())
}

fn held(a: &Account, security: &str) -> Decimal {
    a.positions.iter().filter(|p| p.security == security).map(|p| p.quantity()).sum()
}

fn within_window(d: NaiveDate) -> bool {
    let t: NaiveDate = TRADE_DATE.parse().unwrap();
    d <= t && t - d <= chrono::Duration::days(30)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 768, ..ProptestConfig::default() })]

    #[test]
    fn cash_never_goes_negative_and_adds_up(seed in any::<u64>(), mode in mode()) {
        let c = case(seed, mode);
        let r = rebalance(&c.reference, &c.account, &c.options);
        prop_assert!(r.cash_after >= Decimal::ZERO, "cash after {}", r.cash_after);
        prop_assert_eq!(r.cash_after, c.account.cash + r.sold - r.bought);
    }

    #[test]
    fn never_sells_more_than_held_and_lots_add_up(seed in any::<u64>(), mode in mode()) {
        let c = case(seed, mode);
        let r = rebalance(&c.reference, &c.account, &c.options);
        for t in r.trades.iter().filter(|t| t.side == Side::Sell) {
            prop_assert!(t.quantity <= held(&c.account, &t.security), "{} sold {} of {}", t.security, t.quantity, held(&c.account, &t.security));
            prop_assert_eq!(t.lots.iter().map(|l| l.quantity).sum::<Decimal>(), t.quantity);
            let position = c.account.positions.iter().find(|p| p.security == t.security).unwrap();
            for l in &t.lots {
                let lot = position.lots.iter().find(|x| x.id == l.lot_id).unwrap();
                prop_assert!(l.quantity > Decimal::ZERO && l.quantity <= lot.quantity);
                prop_assert_eq!(l.acquired, lot.acquired);
                prop_assert_eq!(l.cost_basis, lot.cost_basis);
            }
            let mut ids: Vec<&str> = t.lots.iter().map(|l| l.lot_id.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            prop_assert_eq!(ids.len(), t.lots.len(), "a lot relieved twice");
        }
    }

    #[test]
    fn no_trade_below_the_minimum_or_in_fractions_where_not_allowed(seed in any::<u64>(), mode in mode()) {
        let c = case(seed, mode);
        let r = rebalance(&c.reference, &c.account, &c.options);
        for t in &r.trades {
            prop_assert!(t.amount >= c.min_trade, "{} {} for {}", t.side.as_str(), t.security, t.amount);
            let s = c.reference.security(c.reference.security_index(&t.security).unwrap());
            let scale = s.quantity_scale(c.account.allows_fractional);
            // A fraction beyond the allowed places only when a sale closes the position.
            let closes = t.side == Side::Sell && t.quantity == held(&c.account, &t.security);
            prop_assert!(t.quantity.round_dp(scale) == t.quantity || closes, "{} {} {}", t.side.as_str(), t.quantity, t.security);
        }
    }

    #[test]
    fn full_mode_never_increases_total_drift(seed in any::<u64>()) {
        let c = case(seed, Mode::Full);
        let r = rebalance(&c.reference, &c.account, &c.options);
        // The one exception: a do-not-hold holding is sold even when nothing can replace it.
        let compliance_sale = r.trades.iter().any(|t| t.reason == TradeReason::Restricted);
        prop_assert!(compliance_sale || r.drift_after.total <= r.drift_before.total + 1e-9, "{:?} -> {:?}", r.drift_before, r.drift_after);
    }

    #[test]
    fn do_not_hold_positions_are_sold_in_every_rebalancing_mode(seed in any::<u64>(), mode in prop::sample::select(vec![Mode::Full, Mode::Tolerance])) {
        let c = case(seed, mode);
        let r = rebalance(&c.reference, &c.account, &c.options);
        for p in &c.account.positions {
            if !c.account.restricted(&p.security, RestrictionKind::DoNotHold) || c.account.restricted(&p.security, RestrictionKind::DoNotSell) {
                continue;
            }
            // Lots that cannot be sold today (a loss within 30 days of a purchase) are the
            // only ones allowed to stay, and the engine says so.
            let sold: Decimal = r.trades.iter().filter(|t| t.security == p.security && t.side == Side::Sell).map(|t| t.quantity).sum();
            let deferred = r.exceptions.iter().any(|e| e.code == "forced_sale_incomplete" || e.code == "below_min_trade");
            prop_assert!(sold == p.quantity() || deferred, "{} kept {} of {}", p.security, p.quantity() - sold, p.quantity());
        }
    }

    #[test]
    fn restricted_securities_are_never_bought_and_do_not_sell_is_respected(seed in any::<u64>(), mode in mode()) {
        let c = case(seed, mode);
        let r = rebalance(&c.reference, &c.account, &c.options);
        for t in &r.trades {
            let has = |k| c.account.restricted(&t.security, k);
            if t.side == Side::Buy {
                prop_assert!(!c.restricted.contains(&t.security), "bought firm-restricted {}", t.security);
                prop_assert!(!has(RestrictionKind::DoNotBuy) && !has(RestrictionKind::DoNotHold), "bought {} against a restriction", t.security);
            } else {
                prop_assert!(!has(RestrictionKind::DoNotSell), "sold do-not-sell {}", t.security);
            }
        }
    }

    #[test]
    fn no_wash_sale_is_created(seed in any::<u64>(), mode in mode()) {
        let c = case(seed, mode);
        let r = rebalance(&c.reference, &c.account, &c.options);
        if !c.account.account_type.is_taxable() {
            return Ok(());
        }
        let group = |s: &str| c.wash_group[s].clone();
        let recent_loss_sales: Vec<String> = c.account.recent_trades.iter()
            .filter(|t| t.side == Side::Sell && t.realized_gain < Decimal::ZERO && within_window(t.trade_date))
            .map(|t| group(&t.security)).collect();
        let mut recent_buys: Vec<String> = c.account.recent_trades.iter()
            .filter(|t| t.side == Side::Buy && within_window(t.trade_date))
            .map(|t| group(&t.security)).collect();
        recent_buys.extend(c.account.positions.iter().filter(|p| p.lots.iter().any(|l| within_window(l.acquired))).map(|p| group(&p.security)));
        let buys_now: Vec<String> = r.trades.iter().filter(|t| t.side == Side::Buy).map(|t| group(&t.security)).collect();
        for t in &r.trades {
            let g = group(&t.security);
            if t.side == Side::Buy {
                prop_assert!(!recent_loss_sales.contains(&g), "bought {} within 30 days of a loss sale", t.security);
            } else if t.lots.iter().any(|l| l.gain < Decimal::ZERO) {
                prop_assert!(!recent_buys.contains(&g), "loss sale of {} within 30 days of a purchase", t.security);
                prop_assert!(!buys_now.contains(&g), "loss sale of {} with a purchase of the same group today", t.security);
            }
        }
    }

    #[test]
    fn one_order_per_security_and_side(seed in any::<u64>(), mode in mode()) {
        let c = case(seed, mode);
        let r = rebalance(&c.reference, &c.account, &c.options);
        let mut keys: Vec<(&str, Side)> = r.trades.iter().map(|t| (t.security.as_str(), t.side)).collect();
        let n = keys.len();
        keys.sort_unstable_by_key(|k| (k.0, k.1 == Side::Sell));
        keys.dedup();
        prop_assert_eq!(keys.len(), n, "two orders for one security and side: {:?}", r.trades);
    }

    #[test]
    fn results_are_deterministic(seed in any::<u64>(), mode in mode()) {
        let c = case(seed, mode);
        prop_assert_eq!(rebalance(&c.reference, &c.account, &c.options), rebalance(&c.reference, &c.account, &c.options));
    }
}

/// The invariants above mean little if the generated cases rarely trade: check they do.
#[test]
fn generated_cases_exercise_every_mode() {
    for mode in Mode::ALL {
        let traded = (0..300u64)
            .filter(|&seed| {
                let c = case(seed, mode);
                !rebalance(&c.reference, &c.account, &c.options).trades.is_empty()
            })
            .count();
        let floor = if mode == Mode::TaxLossHarvest { 10 } else { 75 };
        assert!(traded >= floor, "{mode:?}: only {traded} of 300 cases traded");
        eprintln!("{mode:?}: {traded}/300 cases traded");
    }
}
