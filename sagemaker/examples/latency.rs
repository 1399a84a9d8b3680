//! Endpoint latency on this machine: the model server in process on a free port, invoked
//! through the real `aws-sdk-sagemakerruntime` client, one request at a time. Reports the
//! p50 and p99 of scoring one shingle beside `GET /ping`-equivalent requests to an unknown
//! endpoint (the same path through HTTP, routing and the SDK, without the model) as the
//! baseline, and the model's artifact size.
//!
//!   cargo run --release -p ballast-model-server --example latency

use std::time::Instant;

use aws_sdk_sagemakerruntime::primitives::Blob;
use ballast_ml::anomaly::{train, DetectorConfig, ForestConfig};

const FEATURES: usize = 10;
const SHINGLE: usize = 8;
const REQUESTS: usize = 3000;

fn window(i: usize) -> Vec<f32> {
    (0..FEATURES).map(|f| 10.0 + ((i * (f + 3)) % 17) as f32 * 0.1 + (i as f32 * 0.05 + f as f32).sin()).collect()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let config = DetectorConfig {
        forest: ForestConfig { input_dims: FEATURES, shingle_size: SHINGLE, ..ForestConfig::default() },
        ..DetectorConfig::default()
    };
    let history: Vec<Vec<f32>> = (0..4000).map(window).collect();
    let detector = train(config, history.iter().map(Vec::as_slice)).unwrap();
    let json = detector.to_artifact().to_json();
    let dir = std::env::temp_dir().join(format!("ballast-latency-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("model.json"), &json).unwrap();
    let model = ballast_model_server::load_model(&dir).unwrap();
    let registry = ballast_model_server::Registry::new(vec![("anomaly".into(), model)]).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, ballast_model_server::router(registry)).await.unwrap() });

    let client = aws_sdk_sagemakerruntime::Client::from_conf(
        aws_sdk_sagemakerruntime::Config::builder()
            .behavior_version(aws_sdk_sagemakerruntime::config::BehaviorVersion::latest())
            .region(aws_sdk_sagemakerruntime::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_sagemakerruntime::config::Credentials::new("t", "t", None, None, "local"))
            .endpoint_url(format!("http://127.0.0.1:{port}"))
            .build(),
    );
    let shingle: Vec<f32> = (4000..4000 + SHINGLE).flat_map(window).collect();
    let body = serde_json::json!({ "instances": [ { "features": shingle } ] }).to_string();
    let measure = |endpoint: &'static str| {
        let client = client.clone();
        let body = body.clone();
        async move {
            let mut times = Vec::with_capacity(REQUESTS);
            for i in 0..REQUESTS + 200 {
                let t = Instant::now();
                let r = client
                    .invoke_endpoint()
                    .endpoint_name(endpoint)
                    .content_type("application/json")
                    .body(Blob::new(body.clone()))
                    .send()
                    .await;
                if endpoint == "anomaly" {
                    r.unwrap();
                }
                if i >= 200 {
                    times.push(t.elapsed().as_secs_f64() * 1e6);
                }
            }
            times.sort_by(f64::total_cmp);
            times
        }
    };
    let baseline = measure("unknown").await;
    let scored = measure("anomaly").await;
    println!("model: {FEATURES} features x shingle {SHINGLE}, 50 trees, sample 256; artifact {} bytes", json.len());
    println!("{REQUESTS} sequential invocations each through aws-sdk-sagemakerruntime over HTTP on loopback");
    for (name, t) in [("baseline (404, no model)", &baseline), ("score one shingle", &scored)] {
        println!("{name:<26} p50 {:>7.0} us   p99 {:>7.0} us", percentile(t, 0.5), percentile(t, 0.99));
    }
    println!(
        "ratio to baseline          p50 {:.2}   p99 {:.2}",
        percentile(&scored, 0.5) / percentile(&baseline, 0.5),
        percentile(&scored, 0.99) / percentile(&baseline, 0.99)
    );
}
