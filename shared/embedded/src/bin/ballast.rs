//! `ballast`: rebalance a generated book or your own, or write a generated book to see the
//! file format.

use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;

use ballast_core::{BandTarget, Decimal, Mode, RebalanceOptions};
use ballast_embedded::{
    run, run_etf_nightly, run_flow, BookSource, EtfNightlyConfig, FlowConfig, ProgressBarReporter, RunConfig,
};
use clap::{Args, Parser, Subcommand};

// The engine allocates many small, short-lived vectors per account; mimalloc's
// thread-local free lists make that markedly cheaper than glibc malloc (docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "ballast", version, about = "Tax-aware, model-based rebalancing of a whole book, in-process")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Rebalance every account of a book and write trades, exceptions and a summary.
    Run(RunArgs),
    /// Write a generated book (reference.json and accounts.jsonl) to show the file format.
    Generate(GenerateArgs),
    /// Run the platform's rebalance flow in process: API request, batches, rebalance,
    /// check, submit, simulated market centers, execution reports, read side.
    Flow(FlowArgs),
    /// A market-center fault drill: an hour of simulated venues, a reject storm at one of
    /// them midway, the anomaly detector, routing around it, and the orders held for it.
    Drill(DrillArgs),
    /// The nightly ETF classification on the bundled NYSE Arca file (or your own): fit the
    /// model on the reviewed part, classify the new ETFs, auto-approve or queue them for
    /// review, and show a reviewer's approval reaching the security master.
    EtfNightly(EtfNightlyArgs),
    /// Print the pre-trade check catalogue as Markdown (docs/CHECKS.md).
    ChecksDoc,
}

#[derive(Args)]
struct DrillArgs {
    /// Accounts rebalanced while the venue is halted.
    #[arg(long, default_value_t = 200)]
    accounts: u64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

#[derive(Args)]
struct EtfNightlyArgs {
    /// A reference CSV of your own (the bundled file's columns); default: the bundled file.
    #[arg(long)]
    file: Option<PathBuf>,
    /// Seed of the split between ETFs reviewed before and new ones.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Confidence from which an unflagged ETF with clean data is approved without a person.
    #[arg(long, default_value_t = 0.7)]
    threshold: f64,
}

#[derive(Args)]
struct FlowArgs {
    /// Number of accounts in the request.
    #[arg(long, default_value_t = 5_000)]
    accounts: u64,
    /// Seed of the generated book.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// full, tolerance, buy-only, raise-cash or tax-loss-harvest.
    #[arg(long, default_value = "tolerance", value_parser = Mode::from_str)]
    mode: Mode,
    /// Accounts per batch (1 to 500).
    #[arg(long, default_value_t = 50)]
    batch_size: u32,
}

#[derive(Args)]
struct RunArgs {
    /// Number of accounts to generate.
    #[arg(long, default_value_t = 100_000, conflicts_with = "accounts_file")]
    accounts: u64,
    /// Seed of the generated book.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// full, tolerance, buy-only, raise-cash or tax-loss-harvest.
    #[arg(long, default_value = "tolerance", value_parser = Mode::from_str)]
    mode: Mode,
    /// In tolerance mode, trade out-of-band holdings back to target or to the band edge.
    #[arg(long, default_value = "target", value_parser = parse_band_target)]
    band_target: BandTarget,
    /// Withdrawal to raise in every account (raise-cash mode), in dollars.
    #[arg(long, value_parser = parse_amount, allow_hyphen_values = true)]
    withdrawal: Option<Decimal>,
    /// Output directory.
    #[arg(long, default_value = "out")]
    out: PathBuf,
    /// Reference file (securities, prices, models) of your own book.
    #[arg(long, requires = "accounts_file")]
    reference: Option<PathBuf>,
    /// Accounts file of your own book: one account JSON per line.
    #[arg(long, requires = "reference")]
    accounts_file: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(Args)]
struct GenerateArgs {
    #[arg(long, default_value_t = 1_000)]
    accounts: u64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[arg(long, default_value = "book")]
    out: PathBuf,
}

fn parse_band_target(s: &str) -> Result<BandTarget, String> {
    match s {
        "target" => Ok(BandTarget::Target),
        "edge" => Ok(BandTarget::Edge),
        other => Err(format!("unknown band target {other:?}; expected target or edge")),
    }
}

fn parse_amount(s: &str) -> Result<Decimal, String> {
    let d = Decimal::from_str(s.trim().trim_start_matches('$').replace(',', "").as_str())
        .map_err(|_| format!("{s:?} is not an amount of dollars"))?;
    if d.is_sign_negative() && !d.is_zero() {
        return Err(format!("{s} is negative; a withdrawal is a positive amount"));
    }
    Ok(d)
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Run(args) => run_command(args),
        Command::Flow(args) => {
            let config = FlowConfig {
                accounts: args.accounts,
                seed: args.seed,
                options: RebalanceOptions::new(args.mode),
                batch_size: args.batch_size,
            };
            printed(run_flow(&config))
        }
        Command::Drill(args) => match ballast_embedded::run_drill(args.seed, args.accounts) {
            Ok(report) => {
                println!("{report}");
                if report.final_orders == report.orders && report.detected_minute.is_some() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                }
            }
            Err(e) => {
                eprintln!("ballast: {e}");
                ExitCode::from(2)
            }
        },
        Command::EtfNightly(args) => etf_nightly_command(args),
        Command::ChecksDoc => {
            print!("{}", ballast_core::checks::catalogue_markdown());
            ExitCode::SUCCESS
        }
        Command::Generate(args) => match ballast_synth::write_book(&args.out, args.seed, args.accounts) {
            Ok(()) => {
                println!(
                    "wrote {} accounts (seed {}) to {} and {}",
                    args.accounts,
                    args.seed,
                    args.out.join("reference.json").display(),
                    args.out.join("accounts.jsonl").display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("ballast: cannot write the book to {}: {e}", args.out.display());
                ExitCode::from(2)
            }
        },
    }
}

fn run_command(args: RunArgs) -> ExitCode {
    let book = match (args.reference, args.accounts_file) {
        (Some(reference), Some(accounts)) => BookSource::Files { reference, accounts },
        _ => BookSource::Generated { accounts: args.accounts, seed: args.seed },
    };
    let mut options = RebalanceOptions::new(args.mode);
    options.band_target = args.band_target;
    options.withdrawal = args.withdrawal;
    let config = RunConfig::new(book, options, args.out);
    let progress = ProgressBarReporter::stderr(args.quiet);
    match run(&config, &progress) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ballast: {e}");
            ExitCode::from(2)
        }
    }
}

fn etf_nightly_command(args: EtfNightlyArgs) -> ExitCode {
    let config = EtfNightlyConfig { seed: args.seed, threshold: args.threshold, ..EtfNightlyConfig::default() };
    let config = match &args.file {
        Some(path) => config.with_file(path),
        None => Ok(config),
    };
    printed(config.and_then(|c| run_etf_nightly(&c)))
}

/// A report on stdout, or the error on stderr with exit code 2.
fn printed<T: std::fmt::Display, E: std::fmt::Display>(result: Result<T, E>) -> ExitCode {
    match result {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ballast: {e}");
            ExitCode::from(2)
        }
    }
}
