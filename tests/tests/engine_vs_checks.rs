//! The rebalancing engine and the pre-trade checks agree. The engine plans from the
//! account's holdings, model, cash, tax lots, restrictions and the firm's restricted list;
//! on a generated book it never proposes a trade that a blocking check about those would
//! refuse. What it does not plan from (the client's approvals and holds, working orders,
//! firm lists beyond the restricted list) is exactly what the checks exist to catch: those
//! blocks are expected, and only from checks of that kind.

use std::collections::BTreeMap;

use ballast_core::checks::{CheckEngine, Severity};
use ballast_core::{book::Reference, rebalance, Account, ClientProfile, Mode, RebalanceOptions};

/// Checks about the client's state and firm lists that the engine does not plan from.
const CLIENT_STATE: &[&str] = &[
    "ACCT.",
    "CASH.SETTLED_CASH_ONLY",
    "CASH.PENDING_BUYS_CONSUME_CASH",
    "CASH.GOOD_FAITH_RESTRICTION",
    "CASH.FREE_RIDING",
    "LIST.EMPLOYEE_NOT_PRECLEARED",
    "LIST.VALUES_EXCLUSION",
    "LIST.WATCH_LIST",
    "SUIT.SPECULATIVE_FOR_PRESERVATION",
    "ORDER.SAME_AS_WORKING_ORDER",
];

fn client_state(id: &str) -> bool {
    CLIENT_STATE.iter().any(|p| if p.ends_with('.') { id.starts_with(p) } else { id == *p })
}

/// (trades checked, blocks per check id) over 1,500 accounts in every mode.
fn blocks(plain_clients: bool) -> (usize, BTreeMap<&'static str, usize>) {
    let file = ballast_synth::reference(42);
    let universe = ballast_synth::Universe::new(&file).unwrap();
    let (reference, _) = Reference::build(file);
    let engine = CheckEngine::new(&[]).unwrap();
    let (mut checked, mut blocked) = (0, BTreeMap::new());
    for mode in [Mode::Full, Mode::Tolerance, Mode::RaiseCash, Mode::TaxLossHarvest, Mode::BuyOnly] {
        let options = RebalanceOptions::new(mode);
        for i in 0..1500 {
            let mut account: Account = ballast_synth::account(42, i, &universe);
            if plain_clients {
                account.profile = ClientProfile::default();
            }
            let result = rebalance(&reference, &account, &options);
            for outcomes in engine.check_account(&reference, &account, &result.trades) {
                checked += 1;
                for o in outcomes.iter().filter(|o| o.severity == Severity::Block) {
                    *blocked.entry(o.id).or_insert(0) += 1;
                }
            }
        }
    }
    (checked, blocked)
}

#[test]
fn for_ordinary_clients_no_engine_trade_is_blocked() {
    let (checked, blocked) = blocks(true);
    assert!(checked > 5_000, "only {checked} trades checked");
    let engine_side: BTreeMap<_, _> = blocked.iter().filter(|(id, _)| !client_state(id)).collect();
    assert!(engine_side.is_empty(), "the engine proposed trades its own rules forbid: {engine_side:#?}");
}

#[test]
fn client_state_the_engine_does_not_plan_from_is_caught_by_the_checks() {
    let (_, blocked) = blocks(false);
    let engine_side: BTreeMap<_, _> = blocked.iter().filter(|(id, _)| !client_state(id)).collect();
    assert!(engine_side.is_empty(), "blocks from rules the engine plans from: {engine_side:#?}");
    // The generated book has returned mail, employee accounts and settled-cash-only
    // restrictions: the checks must catch the engine's trades in those accounts.
    for id in ["ACCT.RETURNED_MAIL", "CASH.SETTLED_CASH_ONLY", "LIST.EMPLOYEE_NOT_PRECLEARED"] {
        assert!(blocked.get(id).copied().unwrap_or(0) > 0, "{id} never blocked: {blocked:#?}");
    }
}
