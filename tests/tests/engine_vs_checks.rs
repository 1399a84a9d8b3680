//! The rebalancing engine and the pre-trade checks agree: on a generated book, the engine
//! never proposes a trade that a blocking check would refuse.

use ballast_core::checks::{CheckEngine, Severity};
use ballast_core::{book::Reference, rebalance, Mode, RebalanceOptions};

#[test]
fn no_engine_trade_is_blocked_by_the_checks() {
    let file = ballast_synth::reference(42);
    let universe = ballast_synth::Universe::new(&file).unwrap();
    let (reference, _) = Reference::build(file);
    let engine = CheckEngine::new(&[]).unwrap();
    let mut checked = 0;
    for mode in [Mode::Full, Mode::Tolerance, Mode::RaiseCash, Mode::TaxLossHarvest, Mode::BuyOnly] {
        let options = RebalanceOptions::new(mode);
        for i in 0..1500 {
            let account = ballast_synth::account(42, i, &universe);
            let result = rebalance(&reference, &account, &options);
            for (trade, outcomes) in
                result.trades.iter().zip(engine.check_account(&reference, &account, &result.trades))
            {
                checked += 1;
                let blocked: Vec<_> = outcomes.iter().filter(|o| o.severity == Severity::Block).collect();
                assert!(
                    blocked.is_empty(),
                    "{mode:?} {} {:?} {}: {blocked:#?}",
                    account.id,
                    trade.side,
                    trade.security
                );
            }
        }
    }
    assert!(checked > 5_000, "only {checked} trades checked");
}
