//! Integration tests live in tests/tests/. This library holds what they and the examples
//! share.

use std::path::Path;

/// Serves the model in `model_dir` (what the container's `train` wrote) as endpoint `name`
/// with the project's model server, in process on a free local port, as the container's
/// `serve` would. Returns the server's URL, for `ballast_aws::local_sagemaker_runtime`.
pub async fn serve_model(name: &str, model_dir: &Path) -> String {
    let model = ballast_model_server::load_model(model_dir)
        .unwrap_or_else(|e| panic!("the model in {} does not load: {e}", model_dir.display()));
    let registry = ballast_model_server::Registry::new(vec![(name.to_string(), model)]).expect("one model");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free local port");
    let port = listener.local_addr().expect("a bound listener").port();
    tokio::spawn(async move {
        axum::serve(listener, ballast_model_server::router(registry)).await.expect("the model server runs")
    });
    format!("http://127.0.0.1:{port}")
}
