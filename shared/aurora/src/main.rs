//! `ballast-aurora`: apply the training store's migrations, or export its training files.
//!
//! The database comes from `--url` or the `BALLAST_DB_*` environment (password auth only:
//! IAM and secret auth need `ballast-aws`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ballast_aurora::{
    export_anomaly_training, export_etf_training, migrate, AuthMode, ClassificationRow, DbConfig, ExportSummary,
    WriteBack,
};
use ballast_flow::anomaly::AnomalyDecision;
use ballast_flow::health::OperatorVerdict;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "ballast-aurora", about = "The training store in Aurora PostgreSQL: migrations and training exports")]
struct Cli {
    /// postgres://user@host:port/db (default: BALLAST_DB_URL or BALLAST_DB_HOST/NAME/USER...)
    #[arg(long, global = true)]
    url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply the migrations not applied yet (idempotent).
    Migrate,
    /// Write training files: the approved ETF labels and the telemetry windows.
    Export {
        /// CSV of the final ETF labels, in the bundled etfs_us_arca.csv columns.
        #[arg(long)]
        etf: Option<String>,
        /// CSV of the telemetry windows not confirmed as anomalies (the train channel).
        #[arg(long)]
        anomaly: Option<String>,
    },
    /// Load JSON lines into the store (backfills, a dump of the DynamoDB decision outbox);
    /// rows already present are left as they are.
    Import {
        /// One `AnomalyDecision` JSON object per line.
        #[arg(long)]
        anomaly_decisions: Option<PathBuf>,
        /// One `ClassificationRow` JSON object per line.
        #[arg(long)]
        classifications: Option<PathBuf>,
        /// One `OperatorVerdict` JSON object per line (a dump of the verdict outbox), in
        /// the order the operators acted.
        #[arg(long)]
        operator_verdicts: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return fail(&format!("cannot start the runtime: {e}")),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("ballast-aurora: {message}");
    ExitCode::FAILURE
}

async fn run(cli: Cli) -> Result<(), String> {
    let config = match &cli.url {
        Some(url) => DbConfig::from_url(url),
        None => DbConfig::from_env(),
    }
    .map_err(|e| e.to_string())?;
    if config.auth != AuthMode::Password {
        return Err(format!("BALLAST_DB_AUTH={:?} is not available from the CLI; use password auth", config.auth));
    }
    // Refuse S3 before connecting: the seam exists, the upload does not.
    if let Command::Export { etf, anomaly } = &cli.command {
        if etf.is_none() && anomaly.is_none() {
            return Err("export: give --etf FILE, --anomaly FILE or both".into());
        }
        for dest in [etf, anomaly].into_iter().flatten() {
            if dest.starts_with("s3://") {
                return Err(format!(
                    "{dest}: S3 destinations are not implemented yet; export to a file and upload it \
                     (the seam: export_*_training write to any std::io::Write)"
                ));
            }
        }
    }
    let target = config.target();
    let mut client = config.connect(None).await.map_err(|e| format!("{}:{}: {e}", target.host, target.port))?;
    match cli.command {
        Command::Migrate => {
            let report = migrate(&mut client).await.map_err(|e| e.to_string())?;
            println!(
                "migrations on {}/{}: applied {:?}, {} already applied",
                target.host, target.dbname, report.applied, report.already_applied
            );
        }
        Command::Export { etf, anomaly } => {
            if let Some(path) = etf {
                let s = write_file(Path::new(&path), |f| export_etf_training(&client, f)).await?;
                println!("ETF labels: {} funds -> {path}", s.rows);
            }
            if let Some(path) = anomaly {
                let s = write_file(Path::new(&path), |f| export_anomaly_training(&client, f)).await?;
                println!("telemetry windows: {} rows ({} skipped: incomplete features) -> {path}", s.rows, s.skipped);
            }
        }
        Command::Import { anomaly_decisions, classifications, operator_verdicts } => {
            let wb = WriteBack::new(&client);
            if let Some(path) = anomaly_decisions {
                let rows = json_lines::<AnomalyDecision>(&path)?;
                let n = wb.record_anomaly_decisions(&rows).await.map_err(|e| e.to_string())?;
                println!("anomaly decisions: {} read, {n} new <- {}", rows.len(), path.display());
            }
            if let Some(path) = classifications {
                let rows = json_lines::<ClassificationRow>(&path)?;
                let n = wb.record_classifications(&rows).await.map_err(|e| e.to_string())?;
                println!("ETF classifications: {} read, {n} new <- {}", rows.len(), path.display());
            }
            if let Some(path) = operator_verdicts {
                let rows = json_lines::<OperatorVerdict>(&path)?;
                let mut labelled = 0;
                for v in &rows {
                    let r = wb.record_operator_verdict(&v.venue, v.at, v.label, &v.operator_id, v.reason.as_deref());
                    labelled += usize::from(r.await.map_err(|e| e.to_string())?.is_some());
                }
                println!(
                    "operator verdicts: {} read, {labelled} labelled a decision <- {}",
                    rows.len(),
                    path.display()
                );
            }
        }
    }
    Ok(())
}

fn json_lines<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let rows = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    rows.map(|(i, line)| serde_json::from_str(line).map_err(|e| format!("{} line {}: {e}", path.display(), i + 1)))
        .collect()
}

/// Writes through a temporary file renamed at the end, so a failed export never leaves a
/// half-written training file behind.
async fn write_file<F, Fut>(path: &Path, export: F) -> Result<ExportSummary, String>
where
    F: FnOnce(std::io::BufWriter<std::fs::File>) -> Fut,
    Fut: std::future::Future<Output = Result<ExportSummary, ballast_aurora::ExportError>>,
{
    let shown = path.display();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let partial = PathBuf::from(format!("{}.partial", path.display()));
    let file = std::fs::File::create(&partial).map_err(|e| format!("{}: {e}", partial.display()))?;
    match export(std::io::BufWriter::new(file)).await {
        Ok(summary) => {
            std::fs::rename(&partial, path).map_err(|e| format!("{shown}: {e}"))?;
            Ok(summary)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(format!("{shown}: {e}"))
        }
    }
}
