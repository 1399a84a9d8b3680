//! Step Functions task payloads: what each task receives and how its errors are named,
//! so the state machine's Retry (transient) and Catch (permanent) can tell them apart.

use ballast_flow::StepError;
use lambda_runtime::Diagnostic;
use serde::Deserialize;

/// The input of a batch task (`{"job_id", "batch"}`; a previous step's report works too,
/// as it carries both) or of the finalize task (`{"job_id"}`), or of the Catch path
/// (`{"job_id", "batch", "error": {"Error", "Cause"}}`).
#[derive(Debug, Clone, Deserialize)]
pub struct StepInput {
    /// For the finalize function: `finalize` (the default) or `fail_batch` (the Catch).
    #[serde(default)]
    pub action: Option<String>,
    pub job_id: String,
    #[serde(default)]
    pub batch: Option<u32>,
    #[serde(default)]
    pub error: Option<serde_json::Value>,
}

impl StepInput {
    pub fn batch(&self) -> Result<u32, StepFailure> {
        self.batch.ok_or_else(|| {
            StepFailure(StepError::Permanent(format!("the task input for job {} names no batch", self.job_id)))
        })
    }

    /// A sentence for the batch's failure from the error Step Functions caught: its name
    /// and the failed function's message.
    pub fn failure(&self) -> String {
        let Some(e) = &self.error else { return "the batch failed".to_string() };
        let name = e.get("Error").and_then(|v| v.as_str()).unwrap_or("error");
        let cause = e.get("Cause").and_then(|v| v.as_str()).unwrap_or("");
        // A Lambda's cause is its own error object, as JSON text.
        let message = serde_json::from_str::<serde_json::Value>(cause)
            .ok()
            .and_then(|c| c.get("errorMessage").and_then(|m| m.as_str()).map(str::to_string))
            .unwrap_or_else(|| cause.to_string());
        if message.is_empty() {
            name.to_string()
        } else {
            format!("{name}: {message}")
        }
    }
}

/// A step's error as the Lambda runtime reports it: `errorType` is `Ballast.Transient` or
/// `Ballast.Permanent`.
#[derive(Debug)]
pub struct StepFailure(pub StepError);

impl From<StepError> for StepFailure {
    fn from(e: StepError) -> Self {
        StepFailure(e)
    }
}

impl From<StepFailure> for Diagnostic {
    fn from(f: StepFailure) -> Diagnostic {
        match &f.0 {
            StepError::Transient(e) => tracing::warn!(error = %e, "step failed; Step Functions will retry"),
            StepError::Permanent(e) => {
                tracing::error!(error = %e, "step failed for good; the batch will be marked failed")
            }
        }
        Diagnostic { error_type: f.0.name().into(), error_message: f.0.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caught_error_becomes_a_sentence() {
        let input: StepInput = serde_json::from_value(serde_json::json!({
            "job_id": "job-1", "batch": 3,
            "error": {"Error": "Ballast.Permanent", "Cause": "{\"errorType\":\"Ballast.Permanent\",\"errorMessage\":\"no job job-1\"}"}
        }))
        .unwrap();
        assert_eq!(input.batch().unwrap(), 3);
        assert_eq!(input.failure(), "Ballast.Permanent: no job job-1");
        let timeout: StepInput = serde_json::from_value(
            serde_json::json!({"job_id": "j", "batch": 0, "error": {"Error": "States.Timeout", "Cause": ""}}),
        )
        .unwrap();
        assert_eq!(timeout.failure(), "States.Timeout");
        let d: Diagnostic = StepFailure(StepError::Permanent("x".into())).into();
        assert_eq!(d.error_type, "Ballast.Permanent");
    }
}
