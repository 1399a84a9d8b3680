//! The Bedrock rationale through the real `aws-sdk-bedrockruntime` client, pointed at a
//! local stub of the Converse API that records what it receives: the request a deployment
//! would send to Bedrock (path, model id, system prompt, the fund's own text, inference
//! settings, SigV4 signature) and how the answer and a failure come back.

use std::sync::{Arc, Mutex};

use ballast_aws::aws_sdk_bedrockruntime;
use ballast_aws::BedrockRationale;
use ballast_flow::etf::{with_text_evidence, RationaleWriter};
use ballast_ml::etf::{EtfClassification, EtfRecord, Flags, ReviewReason};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
struct Seen {
    request_line: String,
    headers: Vec<(String, String)>,
    body: serde_json::Value,
}

/// A one-route HTTP/1.1 server: records each request and answers `status` with `answer`.
async fn stub(status: u16, answer: serde_json::Value) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let (log, answer) = (log.clone(), answer.to_string());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                let (head_end, length) = loop {
                    let n = socket.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..i]).to_string();
                        let length = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse().unwrap_or(0))
                            })
                            .unwrap_or(0usize);
                        break (i + 4, length);
                    }
                };
                while buf.len() < head_end + length {
                    let n = socket.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let mut lines = head.lines();
                let request_line = lines.next().unwrap_or_default().to_string();
                let headers = lines
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                    .collect();
                let body = serde_json::from_slice(&buf[head_end..head_end + length]).unwrap_or(serde_json::Value::Null);
                log.lock().unwrap().push(Seen { request_line, headers, body });
                let reason = if status == 200 { "OK" } else { "Bad Request" };
                let mut response = format!(
                    "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
                    answer.len()
                );
                if status != 200 {
                    response.push_str("x-amzn-errortype: ValidationException\r\n");
                }
                response.push_str("\r\n");
                response.push_str(&answer);
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    (url, seen)
}

fn client(url: &str) -> aws_sdk_bedrockruntime::Client {
    let config = aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(aws_sdk_bedrockruntime::config::BehaviorVersion::latest())
        .region(aws_sdk_bedrockruntime::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_bedrockruntime::config::Credentials::new("test", "test", None, None, "stub"))
        .endpoint_url(url)
        .build();
    aws_sdk_bedrockruntime::Client::from_conf(config)
}

fn leveraged_fund() -> (EtfRecord, EtfClassification, ReviewReason) {
    let etf = EtfRecord {
        symbol: "BZQ".into(),
        name: "ProShares UltraShort MSCI Brazil Capped".into(),
        summary: Some("The investment seeks daily investment results that correspond to two times the inverse (-2x) of the daily performance of the MSCI Brazil 25/50 Index.".into()),
        family: Some("ProShares".into()),
        ..Default::default()
    };
    let mut proposal = EtfClassification {
        symbol: "BZQ".into(),
        category_group: Some("Alternatives".into()),
        category: Some("Trading".into()),
        confidence: 0.81,
        category_confidence: 0.7,
        cluster: 12,
        complex_neighbourhood: 0.9,
        flags: Flags::default(),
        evidence: vec![],
        issues: vec![],
        model_version: "etf-som-test".into(),
    };
    with_text_evidence(&etf, &mut proposal);
    let reason = proposal.needs_review(0.7).expect("a flagged fund goes to review");
    (etf, proposal, reason)
}

const MODEL: &str = "anthropic.claude-3-haiku-20240307-v1:0";

#[tokio::test]
async fn the_rationale_request_carries_the_funds_own_text_and_the_answer_is_shown_as_written() {
    let (url, seen) = stub(
        200,
        serde_json::json!({
            "output": {"message": {"role": "assistant", "content": [{"text": "The name and summary state -2x daily inverse exposure: leveraged and inverse are supported."}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": 412, "outputTokens": 23, "totalTokens": 435},
            "metrics": {"latencyMs": 250}
        }),
    )
    .await;
    let (etf, proposal, reason) = leveraged_fund();
    let r = BedrockRationale::new(client(&url), MODEL).rationale(&etf, &proposal, &reason).await.unwrap();
    assert_eq!(r.source, format!("bedrock:{MODEL}"));
    assert!(r.text.starts_with("The name and summary state -2x"), "{}", r.text);

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "one request per rationale");
    let s = &seen[0];
    // POST /model/{modelId}/converse, the model id percent-encoded in the path.
    assert_eq!(s.request_line, "POST /model/anthropic.claude-3-haiku-20240307-v1%3A0/converse HTTP/1.1");
    let header = |k: &str| s.headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    assert!(
        header("authorization").starts_with("AWS4-HMAC-SHA256 Credential=test/"),
        "signed: {}",
        header("authorization")
    );
    assert!(header("authorization").contains("/us-east-1/bedrock/aws4_request"));
    assert_eq!(header("content-type"), "application/json");

    let b = &s.body;
    let system = b["system"][0]["text"].as_str().unwrap();
    assert!(system.contains("compliance reviewer") && system.contains("Do not invent facts"), "{system}");
    assert_eq!(b["messages"].as_array().unwrap().len(), 1);
    assert_eq!(b["messages"][0]["role"], "user");
    let user = b["messages"][0]["content"][0]["text"].as_str().unwrap();
    for part in [
        "Symbol: BZQ",
        "ProShares UltraShort MSCI Brazil Capped",
        "two times the inverse (-2x)",
        "Raised flags: leveraged, inverse",
        "Proposed category group: Alternatives",
    ] {
        assert!(user.contains(part), "{part} missing from the prompt:\n{user}");
    }
    assert_eq!(b["inferenceConfig"]["maxTokens"], 300);
    assert_eq!(b["inferenceConfig"]["temperature"], 0.0);
    // The rationale never touches the flags: they are not an output of this call.
    assert!(proposal.flags.leveraged && proposal.flags.inverse);
}

#[tokio::test]
async fn a_refusal_or_an_empty_answer_is_an_error_the_flow_replaces_with_the_template() {
    let (url, _) = stub(400, serde_json::json!({"message": "The provided model identifier is invalid."})).await;
    let (etf, proposal, reason) = leveraged_fund();
    let e = BedrockRationale::new(client(&url), "no-such-model").rationale(&etf, &proposal, &reason).await.unwrap_err();
    assert!(e.to_string().contains("model identifier is invalid"), "{e}");

    let (url, _) = stub(
        200,
        serde_json::json!({"output": {"message": {"role": "assistant", "content": []}}, "stopReason": "end_turn",
            "usage": {"inputTokens": 1, "outputTokens": 0, "totalTokens": 1}, "metrics": {"latencyMs": 1}}),
    )
    .await;
    let e = BedrockRationale::new(client(&url), MODEL).rationale(&etf, &proposal, &reason).await.unwrap_err();
    assert!(e.to_string().contains("no text"), "{e}");
}
