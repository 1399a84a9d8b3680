//! Scores a detector on a folder in NAB's layout and prints one line per profile
//! (`standard` last), e.g. `standard: 71.3`. Details go to stderr.
//!
//!   ballast-eval-nab --nab-dir shared/ml/data/nab [--results-dir DIR] [--detector NAME]
//!                    [--config rcf.json]

use std::path::PathBuf;
use std::process::ExitCode;

use ballast_ml::nab::{self, Corpus, NullDetector, RcfSeriesConfig, RcfSeriesDetector, SeriesDetector};
use clap::Parser;

#[derive(Parser)]
#[command(about = "Score an anomaly detector with the Numenta Anomaly Benchmark's method")]
struct Args {
    /// Folder in NAB's layout: `data/<category>/<series>.csv`, `combined_windows.json` and optionally `profiles.json`.
    #[arg(long)]
    nab_dir: PathBuf,
    /// Where to write NAB's results files (`<dir>/<detector>/<category>/<detector>_<series>.csv`).
    #[arg(long)]
    results_dir: Option<PathBuf>,
    /// `rcf` (the platform's Random Cut Forest) or `null` (NAB's baseline); also the name of
    /// its results folder and files.
    #[arg(long, default_value = "rcf")]
    detector: String,
    /// JSON configuration for the rcf detector (defaults to the built-in one).
    #[arg(long)]
    config: Option<PathBuf>,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("ballast-eval-nab: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    let detector = build_detector(&args)?;
    let corpus = Corpus::load(&args.nab_dir).map_err(|e| e.to_string())?;
    let profiles = nab::load_profiles(&args.nab_dir).map_err(|e| e.to_string())?;
    let evaluation = nab::evaluate(&corpus, detector.as_ref(), &profiles).map_err(|e| e.to_string())?;
    if let Some(dir) = &args.results_dir {
        nab::write_results(dir, &corpus, &evaluation).map_err(|e| e.to_string())?;
    }
    eprintln!("{} series, {} windows, detector {}", corpus.series.len(), corpus.window_count(), evaluation.detector);
    for p in &evaluation.profiles {
        let b = &p.best;
        eprintln!(
            "  {}: threshold {:.4}, raw {:.3} (null {:.3}, perfect {:.3}), windows detected {} missed {}, false positives {}",
            p.profile, b.threshold, b.score, p.null_score, p.perfect_score, b.detected_windows, b.missed_windows, b.false_positives
        );
    }
    for p in &evaluation.profiles {
        println!("{}: {:.1}", p.profile, p.normalized);
    }
    Ok(())
}

fn build_detector(args: &Args) -> Result<Box<dyn SeriesDetector>, String> {
    match args.detector.as_str() {
        "null" => Ok(Box::new(NullDetector)),
        "rcf" => {
            let config = match &args.config {
                Some(path) => {
                    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
                    serde_json::from_str::<RcfSeriesConfig>(&text).map_err(|e| format!("{}: {e}", path.display()))?
                }
                None => RcfSeriesConfig::default(),
            };
            Ok(Box::new(RcfSeriesDetector::new("rcf", config)))
        }
        other => Err(format!("unknown detector {other:?} (rcf or null)")),
    }
}
