//! `ballast-aurora`: apply the training store's migrations, export its training files (to
//! a file or to S3), or load JSON lines into it. The command lives in ballast-aws because
//! S3 and IAM database authentication need the AWS SDK, which ballast-aurora keeps out.
//!
//! The database comes from `--url` or the `BALLAST_DB_*` environment (ballast-aurora's
//! `DbConfig`): password auth, or `BALLAST_DB_AUTH=iam` (an RDS token signed with the
//! caller's AWS credentials). An `s3://bucket/key` destination is uploaded with the
//! caller's AWS credentials and region; `BALLAST_AWS_ENDPOINT` points it at a local
//! stand-in (moto), path-style.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use ballast_aurora::{
    export_anomaly_training, export_etf_training, migrate, AuthMode, ClassificationRow, DbConfig, ExportSummary,
    WriteBack,
};
use ballast_aws::{s3_client, upload_file, IamAuthToken, S3Object};
use ballast_flow::anomaly::AnomalyDecision;
use ballast_flow::health::OperatorVerdict;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ballast-aurora",
    about = "The training store in Aurora PostgreSQL: migrations, training exports, imports"
)]
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
    /// Write training files: the approved ETF labels and the telemetry windows. Each
    /// destination is a file or `s3://bucket/key`; a key ending in `/` is a prefix the
    /// file goes under (as etfs.csv, windows.csv).
    Export {
        /// CSV of the final ETF labels, in the bundled etfs_us_arca.csv columns.
        #[arg(long)]
        etf: Option<String>,
        /// CSV of the telemetry windows not confirmed as anomalies (the train channel).
        #[arg(long)]
        anomaly: Option<String>,
    },
    /// Load JSON lines into the store (backfills, a dump of the DynamoDB outboxes); rows
    /// already present are left as they are.
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

/// Where one export goes.
enum Destination {
    File(PathBuf),
    S3(S3Object),
}

impl Destination {
    fn parse(arg: &str, file_name: &str) -> Result<Destination, String> {
        if arg.starts_with("s3://") {
            S3Object::parse(arg, file_name).map(Destination::S3)
        } else {
            Ok(Destination::File(PathBuf::from(arg)))
        }
    }
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
    // Destinations are read before connecting: a typo fails at once.
    let exports = match &cli.command {
        Command::Export { etf, anomaly } => {
            if etf.is_none() && anomaly.is_none() {
                return Err("export: give --etf DEST, --anomaly DEST or both (a file or s3://bucket/key)".into());
            }
            let etf = etf.as_deref().map(|d| Destination::parse(d, "etfs.csv")).transpose()?;
            let anomaly = anomaly.as_deref().map(|d| Destination::parse(d, "windows.csv")).transpose()?;
            Some((etf, anomaly))
        }
        _ => None,
    };
    let to_s3 = exports.iter().flat_map(|(e, a)| [e, a]).flatten().any(|d| matches!(d, Destination::S3(_)));
    let sdk = match to_s3 || config.auth == AuthMode::Iam {
        true => Some(aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await),
        false => None,
    };
    let target = config.target();
    let password = match (config.auth, &sdk) {
        (AuthMode::Password, _) => None,
        (AuthMode::Iam, Some(sdk)) => {
            let token = IamAuthToken::new(sdk)?.token(&target, SystemTime::now()).await;
            Some(token.map_err(|e| format!("database token: {e}"))?)
        }
        (other, _) => {
            return Err(format!("BALLAST_DB_AUTH={other:?} is not available from the CLI; use password or iam"))
        }
    };
    let mut client = config.connect(password).await.map_err(|e| format!("{}:{}: {e}", target.host, target.port))?;
    match cli.command {
        Command::Migrate => {
            let report = migrate(&mut client).await.map_err(|e| e.to_string())?;
            println!(
                "migrations on {}/{}: applied {:?}, {} already applied",
                target.host, target.dbname, report.applied, report.already_applied
            );
        }
        Command::Export { .. } => {
            let (etf, anomaly) = exports.unwrap_or((None, None));
            let s3 = sdk.as_ref().map(|sdk| s3_client(sdk, std::env::var("BALLAST_AWS_ENDPOINT").ok().as_deref()));
            if let Some(dest) = etf {
                let (s, shown) = export_to(&dest, s3.as_ref(), |f| export_etf_training(&client, f)).await?;
                println!("ETF labels: {} funds -> {shown}", s.rows);
            }
            if let Some(dest) = anomaly {
                let (s, shown) = export_to(&dest, s3.as_ref(), |f| export_anomaly_training(&client, f)).await?;
                println!("telemetry windows: {} rows ({} skipped: incomplete features) -> {shown}", s.rows, s.skipped);
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

/// Runs one export into `dest`: a file directly, or S3 through a staging file uploaded
/// whole and then removed. Returns what it wrote and where, as shown to the user.
async fn export_to<F, Fut>(
    dest: &Destination,
    s3: Option<&ballast_aws::aws_sdk_s3::Client>,
    export: F,
) -> Result<(ExportSummary, String), String>
where
    F: FnOnce(std::io::BufWriter<std::fs::File>) -> Fut,
    Fut: std::future::Future<Output = Result<ExportSummary, ballast_aurora::ExportError>>,
{
    match dest {
        Destination::File(path) => Ok((write_file(path, export).await?, path.display().to_string())),
        Destination::S3(object) => {
            let client = s3.ok_or("no S3 client")?;
            let name = object.key.rsplit('/').next().unwrap_or("export.csv");
            let staging = std::env::temp_dir().join(format!("ballast-aurora-{}-{name}", std::process::id()));
            let uploaded = match write_file(&staging, export).await {
                Ok(summary) => upload_file(client, &staging, object).await.map(|bytes| (summary, bytes)),
                Err(e) => Err(e),
            };
            let _ = std::fs::remove_file(&staging);
            let (summary, bytes) = uploaded?;
            Ok((summary, format!("{} ({bytes} bytes)", object.url())))
        }
    }
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
