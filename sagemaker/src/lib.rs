//! Ballast's model container, following the SageMaker container contract:
//!
//! - `train` reads `<input>/config/hyperparameters.json` and the CSV files of the `train`
//!   channel (`<input>/data/train/`), trains the model and writes `<model>/model.json`
//!   (defaults: `/opt/ml/input`, `/opt/ml/model`);
//! - `serve` loads `<model>/model.json` and answers `GET /ping` and `POST /invocations` on
//!   port 8080. For local use it also answers the SageMaker runtime's own path,
//!   `POST /endpoints/{name}/invocations`, so the real `aws-sdk-sagemakerruntime` client can
//!   be pointed at it (`--model name=dir` serves several models under their endpoint names).
//!
//! The anomaly model is a Random Cut Forest over shingled market-center telemetry
//! (`ballast_ml::anomaly`). Requests and responses have the shape of SageMaker's built-in
//! RCF, so either side can be swapped: `{"instances":[{"features":[...]}]}` (or CSV rows) in,
//! `{"scores":[{"score":...}]}` out; each score also carries the model's learned `threshold`
//! and the anomaly `grade`.
//!
//! The ETF classifier (`kind: "etf-som"`, `ballast_ml::etf`) takes JSON documents instead:
//! `{"instances":[{"symbol","name","summary","family"}]}` in, `{"predictions":[...]}` out
//! ([`Model::invoke_json`]).

pub mod models;
pub mod payload;
pub mod server;
pub mod train;

pub use models::{load_model, Model, ModelError};
pub use server::{router, Registry};
