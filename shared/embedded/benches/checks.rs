//! Pre-trade checks over a realistic batch: 10,000 trades proposed by the engine across
//! 1,000 generated accounts, run through the whole catalogue and through an empty one
//! (same context building, no checks) so the catalogue's cost is a ratio measured in the
//! same run. Criterion gives the batch medians; an HDR histogram of single-trade times
//! gives the tails (p50, p90, p99, p99.9), printed at the end and written to
//! target/criterion/checks-latency.md.

use std::hint::black_box;
use std::time::Instant;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use ballast_core::checks::{AccountContext, CheckEngine, CheckInput};
use ballast_core::{rebalance, Account, Mode, ProposedTrade, RebalanceOptions, Reference};
use criterion::{criterion_group, Criterion, Throughput};
use hdrhistogram::Histogram;

const ACCOUNTS: usize = 1_000;
const TRADES_PER_ACCOUNT: usize = 10;
const SEED: u64 = 42;

struct Batch {
    reference: Reference,
    accounts: Vec<(Account, Vec<ProposedTrade>)>,
}

/// The first 1,000 generated accounts for which full mode proposes at least ten trades,
/// with ten of their trades spread evenly over the engine's list (sells come first in it,
/// so this keeps the account's mix of buys and sells).
fn batch() -> Batch {
    let file = ballast_synth::reference(SEED);
    let universe = ballast_synth::Universe::new(&file).expect("the generated reference has models");
    let (reference, _) = Reference::build(file);
    let options = RebalanceOptions::new(Mode::Full);
    let accounts: Vec<(Account, Vec<ProposedTrade>)> = (0..)
        .map(|i| ballast_synth::account(SEED, i, &universe))
        .filter_map(|a| {
            let trades = rebalance(&reference, &a, &options).trades;
            let n = trades.len();
            (n >= TRADES_PER_ACCOUNT).then(|| {
                let picked = (0..TRADES_PER_ACCOUNT).map(|k| trades[k * n / TRADES_PER_ACCOUNT].clone()).collect();
                (a, picked)
            })
        })
        .take(ACCOUNTS)
        .collect();
    Batch { reference, accounts }
}

fn check_batch(engine: &CheckEngine, b: &Batch) -> usize {
    let mut outcomes = 0;
    for (account, trades) in &b.accounts {
        for o in engine.check_account(&b.reference, account, trades) {
            outcomes += o.len();
        }
    }
    outcomes
}

fn checks(c: &mut Criterion) {
    let b = batch();
    let full = CheckEngine::new(&[]).expect("defaults are valid");
    let empty = CheckEngine::with_checks(Vec::new(), &[]).expect("no parameters");
    let trades: usize = b.accounts.iter().map(|a| a.1.len()).sum();
    let buys = b.accounts.iter().flat_map(|a| &a.1).filter(|t| t.side == ballast_core::Side::Buy).count();
    eprintln!(
        "batch: {} accounts, {trades} trades ({buys} buys), {} checks in the catalogue, {} outcomes",
        b.accounts.len(),
        full.checks().len(),
        check_batch(&full, &b)
    );
    let mut group = c.benchmark_group("checks_10000_trades");
    group.throughput(Throughput::Elements(trades as u64));
    group.sample_size(30);
    group.bench_function("empty_catalogue", |x| x.iter(|| black_box(check_batch(&empty, black_box(&b)))));
    group.bench_function("full_catalogue", |x| x.iter(|| black_box(check_batch(&full, black_box(&b)))));
    group.finish();
    latency(&b, &full, &empty);
}

/// Single-trade times into HDR histograms (nanoseconds), contexts built beforehand as a
/// batch handler does; the timer's own cost is measured the same way and reported.
fn latency(b: &Batch, full: &CheckEngine, empty: &CheckEngine) {
    const PASSES: usize = 30;
    let contexts: Vec<AccountContext> =
        b.accounts.iter().map(|(a, t)| AccountContext::new(&b.reference, a, t)).collect();
    let mut hist_full = Histogram::<u64>::new_with_bounds(1, 10_000_000, 3).expect("valid bounds");
    let mut hist_empty = hist_full.clone();
    let mut hist_timer = hist_full.clone();
    let mut hist_context = hist_full.clone();
    let inputs = inputs(b, &contexts);
    for _ in 0..PASSES {
        for ((account, trades), per_account) in b.accounts.iter().zip(&inputs) {
            for input in per_account {
                let t0 = Instant::now();
                let t1 = Instant::now();
                black_box(full.check_trade(black_box(input)));
                let t2 = Instant::now();
                black_box(empty.check_trade(black_box(input)));
                let t3 = Instant::now();
                hist_timer.saturating_record((t1 - t0).as_nanos() as u64);
                hist_full.saturating_record((t2 - t1).as_nanos() as u64);
                hist_empty.saturating_record((t3 - t2).as_nanos() as u64);
            }
            let t0 = Instant::now();
            black_box(AccountContext::new(&b.reference, account, trades));
            hist_context.saturating_record(t0.elapsed().as_nanos() as u64);
        }
    }
    let row = |name: &str, h: &Histogram<u64>| {
        format!(
            "| {name} | {} | {} | {} | {} | {} | {:.0} |",
            h.value_at_quantile(0.50),
            h.value_at_quantile(0.90),
            h.value_at_quantile(0.99),
            h.value_at_quantile(0.999),
            h.max(),
            h.mean()
        )
    };
    let ctx_per_trade = hist_context.value_at_quantile(0.50) as f64 / TRADES_PER_ACCOUNT as f64;
    let report = format!(
        "{} checks; {} trades x {PASSES} passes; nanoseconds\n\n\
         | per trade | p50 | p90 | p99 | p99.9 | max | mean |\n|---|---:|---:|---:|---:|---:|---:|\n\
         {}\n{}\n{}\n{}\n\naccount context p50 per trade (10 trades/account): {ctx_per_trade:.0} ns\n",
        full.checks().len(),
        hist_full.len() / PASSES as u64,
        row("full catalogue", &hist_full),
        row("empty catalogue", &hist_empty),
        row("timer alone", &hist_timer),
        row("account context (per account)", &hist_context),
    );
    let report = format!("{report}\n{}", costliest_checks(&inputs));
    eprintln!("\n{report}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/criterion");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("checks-latency.md"), report);
}

/// Every trade's check input, per account, with its security looked up beforehand.
fn inputs<'a>(b: &'a Batch, contexts: &'a [AccountContext]) -> Vec<Vec<CheckInput<'a>>> {
    b.accounts
        .iter()
        .zip(contexts)
        .map(|((account, trades), context)| {
            trades
                .iter()
                .map(|trade| CheckInput {
                    trade,
                    security: b.reference.security_index(&trade.security),
                    account,
                    context,
                    reference: &b.reference,
                })
                .collect()
        })
        .collect()
}

/// Each check alone over the batch (the trades it is in scope for), costliest first: where
/// the catalogue's time goes. Total nanoseconds per pass over the 10,000 trades.
fn costliest_checks(inputs: &[Vec<CheckInput<'_>>]) -> String {
    const PASSES: u32 = 5;
    let time = |engine: &CheckEngine| {
        let t0 = Instant::now();
        for _ in 0..PASSES {
            for input in inputs.iter().flatten() {
                black_box(engine.check_trade(black_box(input)));
            }
        }
        t0.elapsed().as_nanos() / PASSES as u128
    };
    // The loop with no check at all, subtracted from each check's time.
    let baseline = time(&CheckEngine::with_checks(Vec::new(), &[]).expect("no parameters"));
    let mut costs: Vec<(&'static str, u128)> = ballast_core::checks::catalogue()
        .into_iter()
        .map(|check| {
            let id = check.id;
            let engine = CheckEngine::with_checks(vec![check], &[]).expect("defaults are valid");
            (id, time(&engine).saturating_sub(baseline))
        })
        .collect();
    costs.sort_by_key(|c| std::cmp::Reverse(c.1));
    let total: u128 = costs.iter().map(|c| c.1).sum();
    let mut out = format!(
        "each check alone, per pass over the batch (less the same loop with no check): {} µs in all\n\n\
         | check | µs per 10,000 trades | share |\n|---|---:|---:|\n",
        total / 1000
    );
    for (id, ns) in costs.iter().take(12) {
        out += &format!("| {id} | {:.0} | {:.1}% |\n", *ns as f64 / 1000.0, 100.0 * *ns as f64 / total as f64);
    }
    out
}

criterion_group!(benches, checks);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
