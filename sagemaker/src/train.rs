//! `train`: the training side of the SageMaker container contract.
//!
//! Reads `<input>/config/hyperparameters.json` (SageMaker passes every value as a string;
//! numbers are accepted too) and every `.csv` file of the `train` channel
//! (`<input>/data/train/`, in name order, read as one stream: one row per telemetry window,
//! `feature_dim` values, oldest first; a first line that is not numbers is a header). It
//! streams the rows through a new detector and writes `<model>/model.json`.
//!
//! Hyperparameters (all optional): `feature_dim` (default: the rows' length), `shingle_size`
//! (8), `num_trees` (50), `num_samples_per_tree` (256), `time_decay`, `threshold_z` (the
//! threshold is the training scores' mean + z·σ), `threshold_floor` (its lowest value), `seed`.
//!
//! `kind: "etf-som"` trains the ETF classifier instead: the channel's CSV files hold ETF
//! reference rows (`symbol,name,currency,summary,category_group,category,family,...`; bad
//! rows are logged and left out); optional `seed`, `nodes_per_record`, `epochs`.

use std::path::{Path, PathBuf};

use ballast_ml::anomaly::{train as train_detector, DetectorConfig, ForestConfig, MODEL_KIND};
use ballast_ml::etf::{read_csv, EtfModel, EtfModelConfig, ETF_MODEL_KIND};
use serde_json::Value;

use crate::models::ARTIFACT_FILE;

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("{path}: {reason}")]
    Input { path: String, reason: String },
    #[error("hyperparameter {name}: {reason}")]
    Hyperparameter { name: String, reason: String },
    #[error("training failed: {0}")]
    Model(String),
    #[error("cannot write {path}: {reason}")]
    Output { path: String, reason: String },
}

/// What a training run did.
#[derive(Debug, Clone, PartialEq)]
pub struct Trained {
    /// The artifact's `kind`: "rcf" or "etf-som".
    pub kind: String,
    pub rows: usize,
    /// Input rows left out (the ETF model's unreadable or duplicate rows).
    pub skipped: usize,
    pub artifact: PathBuf,
    pub bytes: u64,
    pub threshold: Option<f64>,
}

/// Trains from `input_dir` (SageMaker's `/opt/ml/input`) into `model_dir` (`/opt/ml/model`).
pub fn run(input_dir: &Path, model_dir: &Path) -> Result<Trained, TrainError> {
    let params = hyperparameters(&input_dir.join("config").join("hyperparameters.json"))?;
    match params.get("kind").and_then(Value::as_str).unwrap_or(MODEL_KIND) {
        MODEL_KIND => {}
        ETF_MODEL_KIND | "etf" => return train_etf(&params, input_dir, model_dir),
        other => {
            return Err(TrainError::Hyperparameter {
                name: "kind".into(),
                reason: format!("{other:?} is not a model kind: use {MODEL_KIND:?} or {ETF_MODEL_KIND:?}"),
            })
        }
    }
    let rows = channel_rows(&input_dir.join("data").join("train"))?;
    let feature_dim = match param(&params, "feature_dim")? {
        Some(d) => d as usize,
        None => rows.first().map_or(0, Vec::len),
    };
    if let Some((i, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != feature_dim) {
        return Err(TrainError::Input {
            path: "train channel".into(),
            reason: format!("row {} has {} values, feature_dim is {feature_dim}", i + 1, r.len()),
        });
    }
    let defaults = ForestConfig::default();
    let mut config = DetectorConfig {
        forest: ForestConfig {
            input_dims: feature_dim,
            shingle_size: param(&params, "shingle_size")?.map_or(defaults.shingle_size, |v| v as usize),
            num_trees: param(&params, "num_trees")?.map_or(defaults.num_trees, |v| v as usize),
            sample_size: param(&params, "num_samples_per_tree")?.map_or(defaults.sample_size, |v| v as usize),
            time_decay: param(&params, "time_decay")?.unwrap_or(defaults.time_decay),
            seed: param(&params, "seed")?.map_or(defaults.seed, |v| v as u64),
            ..defaults
        },
        ..DetectorConfig::default()
    };
    if let Some(z) = param(&params, "threshold_z")? {
        config.threshold.z = z;
    }
    if let Some(floor) = param(&params, "threshold_floor")? {
        config.threshold.floor = floor;
    }
    let detector =
        train_detector(config, rows.iter().map(Vec::as_slice)).map_err(|e| TrainError::Model(e.to_string()))?;
    let artifact = detector.to_artifact();
    std::fs::create_dir_all(model_dir).map_err(|e| output(model_dir, e))?;
    let path = model_dir.join(ARTIFACT_FILE);
    let json = artifact.to_json();
    std::fs::write(&path, &json).map_err(|e| output(&path, e))?;
    Ok(Trained {
        kind: MODEL_KIND.to_string(),
        rows: rows.len(),
        skipped: 0,
        artifact: path,
        bytes: json.len() as u64,
        threshold: artifact.threshold,
    })
}

/// The ETF classifier from the channel's CSV files (the bundled file's columns): rows that
/// cannot be read are logged and left out, never fatal; an empty channel is.
fn train_etf(
    params: &serde_json::Map<String, Value>,
    input_dir: &Path,
    model_dir: &Path,
) -> Result<Trained, TrainError> {
    let mut records = Vec::new();
    let mut skipped = 0;
    for file in channel_files(&input_dir.join("data").join("train"))? {
        let bytes = std::fs::read(&file).map_err(|e| input(&file, e.to_string()))?;
        let (mut found, issues) = read_csv(&bytes);
        for issue in issues.iter().filter(|i| !i.kept) {
            tracing::warn!(file = %file.display(), line = issue.line, reason = %issue.reason, "row left out");
            skipped += 1;
        }
        records.append(&mut found);
    }
    if records.is_empty() {
        return Err(input(&input_dir.join("data").join("train"), "no readable ETF row".into()));
    }
    let mut config = EtfModelConfig::default();
    if let Some(seed) = param(params, "seed")? {
        config.som.seed = seed as u64;
    }
    if let Some(n) = param(params, "nodes_per_record")? {
        config.nodes_per_record = n as f32;
    }
    if let Some(epochs) = param(params, "epochs")? {
        config.som.epochs = epochs as usize;
    }
    let model = EtfModel::fit(&records, &config);
    std::fs::create_dir_all(model_dir).map_err(|e| output(model_dir, e))?;
    let path = model_dir.join(ARTIFACT_FILE);
    let json = model.to_json();
    std::fs::write(&path, &json).map_err(|e| output(&path, e))?;
    Ok(Trained {
        kind: ETF_MODEL_KIND.to_string(),
        rows: records.len(),
        skipped,
        artifact: path,
        bytes: json.len() as u64,
        threshold: None,
    })
}

fn input(path: &Path, reason: String) -> TrainError {
    TrainError::Input { path: path.display().to_string(), reason }
}

/// The channel's `.csv` files in name order; none is an error.
fn channel_files(dir: &Path) -> Result<Vec<PathBuf>, TrainError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| input(dir, e.to_string()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(input(dir, "the train channel holds no .csv file".into()));
    }
    Ok(files)
}

fn output(path: &Path, e: std::io::Error) -> TrainError {
    TrainError::Output { path: path.display().to_string(), reason: e.to_string() }
}

fn hyperparameters(path: &Path) -> Result<serde_json::Map<String, Value>, TrainError> {
    match std::fs::read_to_string(path) {
        Ok(text) => match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err(TrainError::Input { path: path.display().to_string(), reason: "not a JSON object".into() }),
            Err(e) => Err(TrainError::Input { path: path.display().to_string(), reason: e.to_string() }),
        },
        // No hyperparameters: every default.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Default::default()),
        Err(e) => Err(TrainError::Input { path: path.display().to_string(), reason: e.to_string() }),
    }
}

/// A numeric hyperparameter given as a number or a string (as SageMaker passes them).
fn param(params: &serde_json::Map<String, Value>, name: &str) -> Result<Option<f64>, TrainError> {
    let bad = |reason: String| TrainError::Hyperparameter { name: name.into(), reason };
    let v = match params.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_f64().ok_or_else(|| bad("not a number".into()))?,
        Some(Value::String(s)) => s.trim().parse().map_err(|_| bad(format!("{s:?} is not a number")))?,
        Some(other) => return Err(bad(format!("{other} is not a number"))),
    };
    if !v.is_finite() || v < 0.0 {
        return Err(bad(format!("{v} must be a finite, non-negative number")));
    }
    Ok(Some(v))
}

/// Every row of the channel's CSV files, in file-name order.
fn channel_rows(dir: &Path) -> Result<Vec<Vec<f32>>, TrainError> {
    let mut rows = Vec::new();
    for file in channel_files(dir)? {
        let text = std::fs::read_to_string(&file).map_err(|e| input(&file, e.to_string()))?;
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let parsed: Result<Vec<f32>, _> = line.split(',').map(|c| c.trim().parse::<f32>()).collect();
            match parsed {
                Ok(row) if row.iter().all(|v| v.is_finite()) => rows.push(row),
                Err(_) if n == 0 => continue,
                _ => return Err(input(&file, format!("line {}: not a row of finite numbers", n + 1))),
            }
        }
    }
    if rows.is_empty() {
        return Err(input(dir, "the train channel holds no rows".into()));
    }
    Ok(rows)
}
