//! The anomaly model behind a SageMaker endpoint (`aws-sdk-sagemakerruntime`), as the
//! flow's [`AnomalyScorer`]. The request and response have the shape of SageMaker's built-in
//! RCF; the project's container also answers the learned `threshold` and the `grade`. For
//! an endpoint that answers the score alone, the configured threshold is used.

use aws_sdk_sagemakerruntime::error::SdkError;
use aws_sdk_sagemakerruntime::operation::invoke_endpoint::InvokeEndpointError;
use aws_sdk_sagemakerruntime::primitives::Blob;
use ballast_flow::anomaly::{AnomalyScorer, Score};
use ballast_flow::ports::{PortError, PortResult};
use serde::Deserialize;

#[derive(Clone, Debug)]
pub struct SageMakerScorer {
    client: aws_sdk_sagemakerruntime::Client,
    endpoint: String,
    shingle_size: usize,
    /// The threshold when the endpoint answers only scores.
    fallback_threshold: f64,
}

#[derive(Deserialize)]
struct Answer {
    scores: Vec<Scored>,
}

#[derive(Deserialize)]
struct Scored {
    score: f64,
    #[serde(default)]
    threshold: Option<f64>,
    #[serde(default)]
    grade: Option<f64>,
}

impl SageMakerScorer {
    pub fn new(
        client: aws_sdk_sagemakerruntime::Client,
        endpoint: impl Into<String>,
        shingle_size: usize,
        fallback_threshold: f64,
    ) -> Self {
        SageMakerScorer { client, endpoint: endpoint.into(), shingle_size, fallback_threshold }
    }
}

/// Sends `body` as JSON to the endpoint and gives back the answer's bytes (empty when it
/// has none); each caller maps the SDK's error to its own port's.
async fn invoke_json(
    client: &aws_sdk_sagemakerruntime::Client,
    endpoint: &str,
    body: &serde_json::Value,
) -> Result<Vec<u8>, SdkError<InvokeEndpointError>> {
    let out = client
        .invoke_endpoint()
        .endpoint_name(endpoint)
        .content_type("application/json")
        .accept("application/json")
        .body(Blob::new(body.to_string()))
        .send()
        .await?;
    Ok(out.body.map(Blob::into_inner).unwrap_or_default())
}

/// 0 at or below the threshold, rising to 1 at twice it.
fn grade_of(score: f64, threshold: f64) -> f64 {
    if score <= threshold || threshold <= 0.0 {
        0.0
    } else {
        ((score - threshold) / threshold).min(1.0)
    }
}

impl AnomalyScorer for SageMakerScorer {
    fn shingle_size(&self) -> usize {
        self.shingle_size
    }

    async fn score(&self, venue: &str, shingle: &[f32]) -> PortResult<Score> {
        let body = serde_json::json!({ "instances": [ { "features": shingle } ] });
        let bytes = invoke_json(&self.client, &self.endpoint, &body).await.map_err(|e| {
            let detail = match &e {
                SdkError::ServiceError(s) => s.err().to_string(),
                other => other.to_string(),
            };
            PortError::new("anomaly endpoint", format!("{venue}: {detail}"))
        })?;
        let answer: Answer = serde_json::from_slice(&bytes)
            .map_err(|e| PortError::new("anomaly endpoint", format!("{venue}: unreadable answer: {e}")))?;
        let s = answer
            .scores
            .first()
            .ok_or_else(|| PortError::new("anomaly endpoint", format!("{venue}: the answer holds no score")))?;
        let threshold = s.threshold.unwrap_or(self.fallback_threshold);
        Ok(Score { score: s.score, threshold, grade: s.grade.unwrap_or_else(|| grade_of(s.score, threshold)) })
    }

    fn model_id(&self) -> String {
        format!("sagemaker:{}", self.endpoint)
    }
}

/// The ETF classifier behind a SageMaker endpoint, as the flow's [`EtfClassifier`]: the
/// ETFs' own text goes in (`{"instances": [{symbol, name, summary, family}]}`), one
/// classification per ETF comes back (`{"predictions": [...]}`). A 4xx from the model (it
/// refused an instance) is a [`ClassifyError::Rejected`], so the flow isolates the row;
/// anything else may be retried.
#[derive(Clone, Debug)]
pub struct SageMakerEtfClassifier {
    client: aws_sdk_sagemakerruntime::Client,
    endpoint: String,
}

impl SageMakerEtfClassifier {
    pub fn new(client: aws_sdk_sagemakerruntime::Client, endpoint: impl Into<String>) -> Self {
        SageMakerEtfClassifier { client, endpoint: endpoint.into() }
    }
}

#[derive(serde::Serialize)]
struct EtfInstance<'a> {
    symbol: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    family: Option<&'a str>,
}

#[derive(Deserialize)]
struct EtfAnswer {
    predictions: Vec<ballast_ml::etf::EtfClassification>,
}

impl ballast_flow::etf::EtfClassifier for SageMakerEtfClassifier {
    async fn classify(
        &self,
        etfs: &[ballast_ml::etf::EtfRecord],
    ) -> Result<Vec<ballast_ml::etf::EtfClassification>, ballast_flow::etf::ClassifyError> {
        use ballast_flow::etf::ClassifyError;
        let instances: Vec<EtfInstance> = etfs
            .iter()
            .map(|e| EtfInstance {
                symbol: &e.symbol,
                name: &e.name,
                summary: e.summary.as_deref(),
                family: e.family.as_deref(),
            })
            .collect();
        let body = serde_json::json!({ "instances": instances });
        let bytes = invoke_json(&self.client, &self.endpoint, &body).await.map_err(|e| match &e {
            SdkError::ServiceError(s) => {
                let status = s.raw().status().as_u16();
                // SageMaker wraps a container's 4xx in a ModelError that keeps the
                // original status; a local container answers the 4xx itself.
                let original = match s.err() {
                    InvokeEndpointError::ModelError(m) => m.original_status_code().map(|c| c as u16),
                    _ => None,
                };
                let code = original.unwrap_or(status);
                let detail = format!("{} (status {code})", s.err());
                if (400..500).contains(&code) && code != 429 && code != 408 {
                    ClassifyError::Rejected(detail)
                } else {
                    ClassifyError::Unavailable(PortError::new("ETF endpoint", detail))
                }
            }
            other => ClassifyError::Unavailable(PortError::new("ETF endpoint", other.to_string())),
        })?;
        let answer: EtfAnswer = serde_json::from_slice(&bytes).map_err(|e| {
            ClassifyError::Unavailable(PortError::new("ETF endpoint", format!("unreadable answer: {e}")))
        })?;
        Ok(answer.predictions)
    }
}

/// A SageMaker runtime client; `BALLAST_SAGEMAKER_ENDPOINT` points it at a local model
/// server.
pub fn sagemaker_runtime(sdk: &aws_config::SdkConfig) -> aws_sdk_sagemakerruntime::Client {
    let url = std::env::var("BALLAST_SAGEMAKER_ENDPOINT").ok().filter(|v| !v.is_empty());
    sagemaker_runtime_at(sdk, url.as_deref())
}

fn sagemaker_runtime_at(sdk: &aws_config::SdkConfig, url: Option<&str>) -> aws_sdk_sagemakerruntime::Client {
    let mut b = aws_sdk_sagemakerruntime::config::Builder::from(sdk);
    if let Some(url) = url {
        b = b.endpoint_url(url);
    }
    aws_sdk_sagemakerruntime::Client::from_conf(b.build())
}

/// A SageMaker runtime client for a local model server at `url` (the project's container,
/// `serve`, which also answers `POST /endpoints/{name}/invocations`): the static test
/// credentials and region of [`crate::Clients::local`].
pub fn local_sagemaker_runtime(url: &str) -> aws_sdk_sagemakerruntime::Client {
    sagemaker_runtime_at(&crate::config::local_sdk_config(), Some(url))
}
