//! The models the container serves, behind one small trait.

use std::path::Path;

use ballast_ml::anomaly::{Detector, ModelArtifact, RcfDetector, MODEL_KIND};
use ballast_ml::etf::{EtfModel, EtfRecord, ETF_MODEL_KIND};
use serde::Deserialize;
use serde_json::{json, Value};

/// The artifact file `train` writes and `serve` loads, in the model directory.
pub const ARTIFACT_FILE: &str = "model.json";

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The request does not fit the model (answered with 400).
    #[error("{0}")]
    BadInput(String),
    /// The model could not be loaded.
    #[error("cannot load the model from {path}: {reason}")]
    Load { path: String, reason: String },
}

/// A served model: rows in, one JSON result per row out.
pub trait Model: Send + Sync {
    /// What it is (the artifact's `kind`).
    fn kind(&self) -> &str;
    /// The length every row must have.
    fn row_len(&self) -> usize;
    /// One result per row, in order.
    fn invoke(&self, rows: &[Vec<f32>]) -> Result<Vec<Value>, ModelError>;
    /// Whether requests are JSON documents answered by [`invoke_json`](Model::invoke_json)
    /// rather than numeric rows (the default).
    fn takes_documents(&self) -> bool {
        false
    }
    /// The whole answer to a JSON request body, for models that take documents.
    fn invoke_json(&self, _body: &Value) -> Result<Value, ModelError> {
        Err(ModelError::BadInput(format!("the {} model takes numeric rows, not JSON documents", self.kind())))
    }
}

/// One ETF to classify, as a request sends it: `symbol` and `name` at least.
#[derive(Debug, Deserialize)]
struct EtfInstance {
    symbol: String,
    name: String,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    family: Option<String>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    exchange: Option<String>,
    #[serde(default)]
    mic: Option<String>,
    #[serde(default)]
    isin: Option<String>,
}

/// The ETF classifier: `{"instances":[{"symbol","name","summary","family"}, ...]}` in,
/// `{"predictions":[EtfClassification, ...]}` out, in order.
pub struct EtfClassifier {
    model: EtfModel,
}

impl EtfClassifier {
    pub fn new(model: EtfModel) -> Self {
        EtfClassifier { model }
    }
}

impl Model for EtfClassifier {
    fn kind(&self) -> &str {
        ETF_MODEL_KIND
    }

    fn row_len(&self) -> usize {
        0
    }

    fn invoke(&self, _rows: &[Vec<f32>]) -> Result<Vec<Value>, ModelError> {
        Err(ModelError::BadInput("the ETF model takes {\"instances\":[{\"symbol\",\"name\",...}]}".into()))
    }

    fn takes_documents(&self) -> bool {
        true
    }

    fn invoke_json(&self, body: &Value) -> Result<Value, ModelError> {
        let instances = body.get("instances").and_then(Value::as_array).ok_or_else(|| {
            ModelError::BadInput("the body must be {\"instances\": [{\"symbol\": ..., \"name\": ...}, ...]}".into())
        })?;
        if instances.is_empty() {
            return Err(ModelError::BadInput("the request holds no instances".into()));
        }
        let mut predictions = Vec::with_capacity(instances.len());
        for (i, raw) in instances.iter().enumerate() {
            let label = raw.get("symbol").and_then(Value::as_str).map_or(String::new(), |s| format!(" ({s})"));
            let bad = |why: String| ModelError::BadInput(format!("instance {i}{label}: {why}"));
            let instance: EtfInstance = serde_json::from_value(raw.clone()).map_err(|e| bad(e.to_string()))?;
            if instance.symbol.trim().is_empty() {
                return Err(bad("the symbol is empty".into()));
            }
            if instance.name.trim().is_empty() && instance.summary.as_deref().is_none_or(|s| s.trim().is_empty()) {
                return Err(bad("neither a name nor a summary to classify from".into()));
            }
            let record = EtfRecord {
                symbol: instance.symbol.trim().to_string(),
                name: instance.name,
                summary: instance.summary.filter(|s| !s.trim().is_empty()),
                family: instance.family.filter(|s| !s.trim().is_empty()),
                currency: instance.currency,
                exchange: instance.exchange,
                mic: instance.mic,
                isin: instance.isin,
                ..EtfRecord::default()
            };
            predictions.push(self.model.classify(&record));
        }
        Ok(json!({ "predictions": predictions }))
    }
}

/// The market-center anomaly model: each row is one shingle (the last `shingle_size`
/// telemetry windows of a venue, oldest first, `input_dims` features each), scored against
/// the trained forest without changing it, like SageMaker's built-in RCF.
pub struct AnomalyModel {
    detector: RcfDetector,
}

impl AnomalyModel {
    pub fn new(detector: RcfDetector) -> Self {
        AnomalyModel { detector }
    }
}

impl Model for AnomalyModel {
    fn kind(&self) -> &str {
        MODEL_KIND
    }

    fn row_len(&self) -> usize {
        let f = &self.detector.config().forest;
        f.input_dims * f.shingle_size
    }

    fn invoke(&self, rows: &[Vec<f32>]) -> Result<Vec<Value>, ModelError> {
        rows.iter()
            .enumerate()
            .map(|(i, row)| {
                if row.len() != self.row_len() {
                    return Err(ModelError::BadInput(format!(
                        "instance {i} has {} values; the model expects {} ({} windows of {} features)",
                        row.len(),
                        self.row_len(),
                        self.detector.config().forest.shingle_size,
                        self.detector.input_dims()
                    )));
                }
                let s =
                    self.detector.score_shingle(row).map_err(|e| ModelError::BadInput(format!("instance {i}: {e}")))?;
                Ok(json!({ "score": s.score, "threshold": finite(s.threshold), "grade": s.grade }))
            })
            .collect()
    }
}

fn finite(v: f64) -> Value {
    if v.is_finite() {
        json!(v)
    } else {
        Value::Null
    }
}

/// Loads the model in `dir` (its `model.json`), whatever its kind.
pub fn load_model(dir: &Path) -> Result<Box<dyn Model>, ModelError> {
    let path = dir.join(ARTIFACT_FILE);
    let load = |reason: String| ModelError::Load { path: path.display().to_string(), reason };
    let text = std::fs::read_to_string(&path).map_err(|e| load(e.to_string()))?;
    let kind = serde_json::from_str::<Value>(&text)
        .map_err(|e| load(format!("not JSON: {e}")))?
        .get("kind")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| load("no \"kind\"".into()))?;
    match kind.as_str() {
        MODEL_KIND => {
            let artifact = ModelArtifact::from_json(&text).map_err(|e| load(e.to_string()))?;
            let detector = RcfDetector::from_artifact(artifact).map_err(|e| load(e.to_string()))?;
            Ok(Box::new(AnomalyModel::new(detector)))
        }
        ETF_MODEL_KIND => {
            let model = EtfModel::from_json(&text).map_err(|e| load(e.to_string()))?;
            Ok(Box::new(EtfClassifier::new(model)))
        }
        other => Err(load(format!("unknown model kind {other:?}"))),
    }
}
