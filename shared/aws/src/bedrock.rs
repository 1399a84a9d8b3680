//! The reviewer's rationale from a Bedrock model (`aws-sdk-bedrockruntime`, the Converse
//! API), as the flow's [`RationaleWriter`]. The prompt is the flow's
//! [`rationale_prompt`]: the fund's own name and summary, the proposal and the evidence.
//! The answer is advisory: it is shown to the reviewer and changes no flag.

use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, InferenceConfiguration, Message, SystemContentBlock,
};
use ballast_flow::etf::{rationale_prompt, Rationale, RationaleWriter};
use ballast_flow::ports::{PortError, PortResult};
use ballast_ml::etf::{EtfClassification, EtfRecord, ReviewReason};

/// Longest rationale asked for, in tokens.
const MAX_TOKENS: i32 = 300;

#[derive(Clone, Debug)]
pub struct BedrockRationale {
    client: aws_sdk_bedrockruntime::Client,
    model_id: String,
}

impl BedrockRationale {
    pub fn new(client: aws_sdk_bedrockruntime::Client, model_id: impl Into<String>) -> Self {
        BedrockRationale { client, model_id: model_id.into() }
    }
}

impl RationaleWriter for BedrockRationale {
    async fn rationale(
        &self,
        etf: &EtfRecord,
        proposal: &EtfClassification,
        reason: &ReviewReason,
    ) -> PortResult<Rationale> {
        let (system, user) = rationale_prompt(etf, proposal, reason);
        let message = Message::builder()
            .role(ConversationRole::User)
            .content(ContentBlock::Text(user))
            .build()
            .map_err(|e| PortError::new("rationale model", e))?;
        let out = self
            .client
            .converse()
            .model_id(&self.model_id)
            .system(SystemContentBlock::Text(system))
            .messages(message)
            // Temperature 0: the same fund and proposal give the reviewer the same text.
            .inference_config(InferenceConfiguration::builder().max_tokens(MAX_TOKENS).temperature(0.0).build())
            .send()
            .await
            .map_err(|e| {
                let detail = match &e {
                    aws_sdk_bedrockruntime::error::SdkError::ServiceError(s) => s.err().to_string(),
                    other => other.to_string(),
                };
                PortError::new("rationale model", format!("{}: {detail}", etf.symbol))
            })?;
        let text: String = out
            .output()
            .and_then(|o| o.as_message().ok())
            .map(|m| m.content().iter().filter_map(|c| c.as_text().ok()).cloned().collect::<Vec<_>>().join("\n"))
            .unwrap_or_default();
        let text = text.trim();
        if text.is_empty() {
            return Err(PortError::new("rationale model", format!("{}: the answer holds no text", etf.symbol)));
        }
        Ok(Rationale { text: text.to_string(), source: format!("bedrock:{}", self.model_id) })
    }
}

/// Where the reviewer's rationale comes from: a Bedrock model when one is configured,
/// else the deterministic template (locally, and when Bedrock is not enabled).
#[derive(Clone, Debug)]
pub enum RationaleSource {
    Bedrock(BedrockRationale),
    Deterministic,
}

impl RationaleSource {
    /// `BALLAST_BEDROCK_MODEL_ID` (empty or `deterministic`: the template), with the
    /// endpoint override `BALLAST_BEDROCK_ENDPOINT` (a local stub).
    pub fn from_env(sdk: &aws_config::SdkConfig) -> RationaleSource {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        match var("BALLAST_BEDROCK_MODEL_ID") {
            Some(model) if model != "deterministic" => {
                let mut b = aws_sdk_bedrockruntime::config::Builder::from(sdk);
                if let Some(url) = var("BALLAST_BEDROCK_ENDPOINT") {
                    b = b.endpoint_url(url);
                }
                RationaleSource::Bedrock(BedrockRationale::new(
                    aws_sdk_bedrockruntime::Client::from_conf(b.build()),
                    model,
                ))
            }
            _ => RationaleSource::Deterministic,
        }
    }
}

impl RationaleWriter for RationaleSource {
    async fn rationale(
        &self,
        etf: &EtfRecord,
        proposal: &EtfClassification,
        reason: &ReviewReason,
    ) -> PortResult<Rationale> {
        match self {
            RationaleSource::Bedrock(b) => b.rationale(etf, proposal, reason).await,
            RationaleSource::Deterministic => Ok(ballast_flow::etf::template_rationale(etf, proposal, reason)),
        }
    }
}
