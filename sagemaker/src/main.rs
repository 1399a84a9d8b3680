//! `ballast-model-server train | serve`: the model container's entry point. SageMaker runs
//! the image with `train` for a training job and `serve` for an endpoint.

use std::path::PathBuf;
use std::process::ExitCode;

use ballast_model_server::{load_model, router, train, Registry};

const USAGE: &str = "usage:
  ballast-model-server serve [--port 8080] [--model-dir /opt/ml/model] [--model <endpoint>=<dir>]...
  ballast-model-server train [--input-dir /opt/ml/input] [--model-dir /opt/ml/model]
Environment: SM_MODEL_DIR, SM_INPUT_DIR and SAGEMAKER_BIND_TO_PORT override the defaults.";

fn main() -> ExitCode {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("serve") => serve(&args[1..]),
        Some("train") => train_cmd(&args[1..]),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

/// The value of each `--flag value` pair; an unknown flag or a missing value is an error.
fn flags(args: &[String], known: &[&str]) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if !known.contains(&flag.as_str()) {
            return Err(format!("unknown argument {flag}\n{USAGE}"));
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        out.push((flag.clone(), value.clone()));
    }
    Ok(out)
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_string())
}

fn serve(args: &[String]) -> Result<(), String> {
    let mut port: u16 = env_or("SAGEMAKER_BIND_TO_PORT", "8080").parse().map_err(|_| "the port is not a number")?;
    let mut model_dir = PathBuf::from(env_or("SM_MODEL_DIR", "/opt/ml/model"));
    let mut named = Vec::new();
    for (flag, value) in flags(args, &["--port", "--model-dir", "--model"])? {
        match flag.as_str() {
            "--port" => port = value.parse().map_err(|_| format!("--port {value} is not a port"))?,
            "--model-dir" => model_dir = PathBuf::from(value),
            _ => {
                let (name, dir) =
                    value.split_once('=').ok_or_else(|| format!("--model {value}: use <endpoint>=<dir>"))?;
                named.push((name.to_string(), PathBuf::from(dir)));
            }
        }
    }
    if named.is_empty() {
        named.push(("model".to_string(), model_dir));
    }
    let mut models = Vec::new();
    for (name, dir) in named {
        let model = load_model(&dir).map_err(|e| e.to_string())?;
        tracing::info!(endpoint = %name, kind = model.kind(), dir = %dir.display(), "model loaded");
        models.push((name, model));
    }
    let registry = Registry::new(models).ok_or("no model to serve")?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let listener =
            tokio::net::TcpListener::bind(("0.0.0.0", port)).await.map_err(|e| format!("port {port}: {e}"))?;
        tracing::info!(port, "serving /ping and /invocations");
        axum::serve(listener, router(registry))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| e.to_string())
    })
}

fn train_cmd(args: &[String]) -> Result<(), String> {
    let mut input_dir = PathBuf::from(env_or("SM_INPUT_DIR", "/opt/ml/input"));
    let mut model_dir = PathBuf::from(env_or("SM_MODEL_DIR", "/opt/ml/model"));
    for (flag, value) in flags(args, &["--input-dir", "--model-dir"])? {
        match flag.as_str() {
            "--input-dir" => input_dir = PathBuf::from(value),
            _ => model_dir = PathBuf::from(value),
        }
    }
    let t = train::run(&input_dir, &model_dir).map_err(|e| {
        // SageMaker shows this file as the training job's failure reason.
        let _ = std::fs::write(PathBuf::from(env_or("SM_OUTPUT_DIR", "/opt/ml/output")).join("failure"), e.to_string());
        e.to_string()
    })?;
    if t.kind != ballast_ml::anomaly::MODEL_KIND {
        println!(
            "trained {} on {} rows ({} left out): {} ({} bytes)",
            t.kind,
            t.rows,
            t.skipped,
            t.artifact.display(),
            t.bytes
        );
        return Ok(());
    }
    println!(
        "trained on {} rows: {} ({} bytes, threshold {})",
        t.rows,
        t.artifact.display(),
        t.bytes,
        t.threshold.map_or("not yet learned".to_string(), |v| format!("{v:.4}"))
    );
    Ok(())
}
