//! Rebalances a small generated book in one mode, for profilers (perf, callgrind):
//! `cargo build --release --example profile_engine -p ballast-embedded`, then
//! `valgrind --tool=callgrind target/release/examples/profile_engine full 300`.

use ballast_core::{rebalance, Mode, RebalanceOptions, Reference};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let mode: Mode = args.next().as_deref().unwrap_or("full").parse().unwrap_or(Mode::Full);
    let accounts: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1_000);
    let file = ballast_synth::reference(42);
    let universe = ballast_synth::Universe::new(&file).expect("generated models");
    let (reference, _) = Reference::build(file);
    let options = RebalanceOptions::new(mode);
    let book: Vec<_> = (0..accounts).map(|i| ballast_synth::account(42, i, &universe)).collect();
    let mut trades = 0;
    for a in &book {
        trades += rebalance(&reference, a, &options).trades.len();
    }
    println!("{accounts} accounts, {trades} trades");
}
