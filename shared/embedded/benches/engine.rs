//! Engine throughput on 1,000 generated accounts of ~40 positions and ~3 lots each, in
//! tolerance and full mode, beside a baseline pass that only values each account and
//! computes its drift, so results can be quoted as multiples of that baseline.

use std::hint::black_box;

// The same allocator as the `ballast` binary, so the figures are what a run gets.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use ballast_core::{rebalance, Account, AccountStatus, Decimal, DriftStats, Mode, RebalanceOptions, Reference};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rust_decimal::prelude::ToPrimitive;

const BATCH: usize = 1_000;
const SEED: u64 = 42;

/// Active accounts with 35-45 positions, so the batch averages ~40 positions.
fn batch() -> (Reference, Vec<Account>) {
    let file = ballast_synth::reference(SEED);
    let universe = ballast_synth::Universe::new(&file).expect("the generated reference has models");
    let (reference, _) = Reference::build(file);
    let accounts: Vec<Account> = (0..)
        .map(|i| ballast_synth::account(SEED, i, &universe))
        .filter(|a| a.status == AccountStatus::Active && (35..=45).contains(&a.positions.len()))
        .take(BATCH)
        .collect();
    let positions: usize = accounts.iter().map(|a| a.positions.len()).sum();
    let lots: usize = accounts.iter().flat_map(|a| &a.positions).map(|p| p.lots.len()).sum();
    eprintln!(
        "batch: {} accounts, {:.1} positions and {:.2} lots per position on average",
        accounts.len(),
        positions as f64 / accounts.len() as f64,
        lots as f64 / positions as f64
    );
    (reference, accounts)
}

/// The least any rebalance must do: value the account and measure its drift from the model.
fn value_and_drift(reference: &Reference, account: &Account) -> (Decimal, DriftStats) {
    let Some(Ok(model)) = reference.model(&account.model) else {
        return (Decimal::ZERO, DriftStats::default());
    };
    let mut value = account.cash;
    let mut holdings: Vec<(u32, f64)> = Vec::with_capacity(account.positions.len());
    for p in &account.positions {
        let Some(i) = reference.security_index(&p.security) else { continue };
        let Some(price) = reference.price(i) else { continue };
        let v = p.quantity() * price;
        value += v;
        holdings.push((i, v.to_f64().unwrap_or(0.0)));
    }
    holdings.sort_unstable_by_key(|h| h.0);
    let total = value.to_f64().unwrap_or(0.0).max(f64::MIN_POSITIVE);
    let mut matched = vec![false; holdings.len()];
    let cash_drift = (account.cash.to_f64().unwrap_or(0.0) / total - model.cash_weight).abs();
    let mut drift = DriftStats { total: cash_drift, max: cash_drift };
    let mut add = |d: f64| {
        drift.total += d;
        drift.max = drift.max.max(d);
    };
    for &(i, target) in &model.targets {
        let held = match holdings.binary_search_by_key(&i, |h| h.0) {
            Ok(k) => {
                matched[k] = true;
                holdings[k].1
            }
            Err(_) => 0.0,
        };
        add((held / total - target).abs());
    }
    for (k, h) in holdings.iter().enumerate() {
        if !matched[k] {
            add(h.1 / total);
        }
    }
    (value, drift)
}

fn engine(c: &mut Criterion) {
    let (reference, accounts) = batch();
    let mut group = c.benchmark_group("rebalance_1000_accounts");
    group.throughput(Throughput::Elements(accounts.len() as u64));
    group.sample_size(20);
    group.bench_function("baseline_value_and_drift", |b| {
        b.iter(|| {
            for a in &accounts {
                black_box(value_and_drift(&reference, black_box(a)));
            }
        })
    });
    for mode in [Mode::Tolerance, Mode::Full] {
        let options = RebalanceOptions::new(mode);
        group.bench_function(mode.as_str(), |b| {
            b.iter(|| {
                for a in &accounts {
                    black_box(rebalance(&reference, black_box(a), &options));
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
