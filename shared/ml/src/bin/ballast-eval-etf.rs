//! Scores the ETF classifier: fits on TRAIN, classifies TEST, prints one figure a line
//! (`name: value`), the same figures for the in-run baseline (a coarse map over plain
//! TF-IDF) prefixed `baseline_`. Details (skipped rows, flag misses) go to stderr.
//!
//!   ballast-eval-etf --train FILE --test FILE [--flags FILE] [--seed N] [--config etf.json]
//!   ballast-eval-etf split --in FILE --train OUT --test OUT [--seed N] [--test-share 0.2]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ballast_ml::etf::eval::{read_flag_truth, score, split_csv, EtfScores};
use ballast_ml::etf::{read_csv, EtfModel, EtfModelConfig, EtfRecord};
use clap::{Parser, Subcommand};

/// The reviewed flags of the bundled file, the default truth.
const BUNDLED_FLAGS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/etfs/flags.csv");
/// Default confidence from which an unflagged classification is approved without review.
const AUTO_APPROVE: f64 = 0.8;

#[derive(Parser)]
#[command(about = "Score the ETF classifier on held-out rows")]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    #[arg(long)]
    train: Option<PathBuf>,
    #[arg(long)]
    test: Option<PathBuf>,
    /// `symbol,leveraged,inverse,volatility,etn` (0/1); default: the bundled data's reviewed flags.
    #[arg(long)]
    flags: Option<PathBuf>,
    /// Seed of the map (and of the projection).
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// JSON of the model configuration (`EtfModelConfig`; defaults to the built-in one).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Confidence from which an unflagged classification counts as auto-approved.
    #[arg(long, default_value_t = AUTO_APPROVE)]
    auto_approve: f64,
    /// Print every flag miss on stderr.
    #[arg(long)]
    verbose: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Split a CSV by symbol hash into train and test files.
    Split {
        #[arg(long = "in")]
        input: PathBuf,
        #[arg(long)]
        train: PathBuf,
        #[arg(long)]
        test: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 0.2)]
        test_share: f64,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match &args.command {
        Some(Command::Split { input, train, test, seed, test_share }) => split(input, train, test, *seed, *test_share),
        None => evaluate(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("ballast-eval-etf: {message}");
            ExitCode::FAILURE
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn split(input: &Path, train: &Path, test: &Path, seed: u64, share: f64) -> Result<(), String> {
    let (a, b) = split_csv(&read(input)?, seed, share)?;
    std::fs::write(train, a).map_err(|e| format!("{}: {e}", train.display()))?;
    std::fs::write(test, b).map_err(|e| format!("{}: {e}", test.display()))?;
    Ok(())
}

fn records(path: &Path) -> Result<(Vec<EtfRecord>, usize), String> {
    let (records, issues) = read_csv(&read(path)?);
    let skipped = issues.iter().filter(|i| !i.kept).count();
    for i in issues.iter().filter(|i| !i.kept) {
        eprintln!("{}: line {}: {}", path.display(), i.line, i.reason);
    }
    Ok((records, skipped))
}

fn evaluate(args: &Args) -> Result<(), String> {
    let (train, test) = match (&args.train, &args.test) {
        (Some(a), Some(b)) => (a, b),
        _ => return Err("give --train FILE and --test FILE (or the split subcommand)".into()),
    };
    let (train_rows, train_skipped) = records(train)?;
    let (test_rows, test_skipped) = records(test)?;
    let truth_path = args.flags.clone().unwrap_or_else(|| PathBuf::from(BUNDLED_FLAGS));
    let truth = read_flag_truth(&read(&truth_path)?)?;
    let mut config = match &args.config {
        Some(path) => serde_json::from_slice(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))?,
        None => EtfModelConfig::default(),
    };
    config.som.seed = args.seed;
    let mut baseline = EtfModelConfig::baseline();
    baseline.som.seed = args.seed;

    let started = std::time::Instant::now();
    let model = EtfModel::fit(&train_rows, &config);
    let fit_seconds = started.elapsed().as_secs_f64();
    let ours = score(&model, &test_rows, &truth, args.auto_approve);
    let base = score(&EtfModel::fit(&train_rows, &baseline), &test_rows, &truth, args.auto_approve);
    let (w, h) = model.map_shape();
    eprintln!(
        "train {} rows, test {} rows, map {w}x{h}, fit {fit_seconds:.1} s, truth {}",
        train_rows.len(),
        test_rows.len(),
        truth_path.display()
    );
    for m in &ours.misses {
        if args.verbose || m.contains("leveraged") || m.contains("inverse") {
            eprintln!("{m}");
        }
    }
    println!("train_rows: {}", train_rows.len());
    println!("test_rows: {}", test_rows.len());
    println!("rows_skipped: {}", train_skipped + test_skipped);
    print_scores("", &ours, true);
    print_scores("baseline_", &base, false);
    Ok(())
}

fn print_scores(prefix: &str, s: &EtfScores, with_flags: bool) {
    println!("{prefix}category_accuracy: {:.3}", s.category_accuracy);
    println!("{prefix}category_rows: {}", s.category_rows);
    println!("{prefix}category_group_accuracy: {:.3}", s.category_group_accuracy);
    println!("{prefix}category_group_rows: {}", s.category_group_rows);
    println!("{prefix}category_group_ari: {:.3}", s.category_group_ari);
    println!("{prefix}category_group_nmi: {:.3}", s.category_group_nmi);
    if !with_flags {
        return;
    }
    println!("{prefix}auto_approved_share: {:.3}", s.auto_approved_share);
    println!("{prefix}auto_approved_group_accuracy: {:.3}", s.auto_approved_accuracy);
    for (name, c) in &s.flags {
        let positives = c.true_positives + c.false_negatives;
        println!("{prefix}{name}_precision: {:.3}", c.precision());
        println!("{prefix}{name}_recall: {:.3}", c.recall());
        println!("{prefix}{name}_truth: {positives}");
        println!("{prefix}{name}_flagged: {}", c.true_positives + c.false_positives);
    }
}
