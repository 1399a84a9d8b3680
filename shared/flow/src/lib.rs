//! The rebalance flow of the platform (ARCHITECTURE.md, flow 1) as services over ports:
//! a request becomes a job of batches; each batch is rebalanced, checked and submitted;
//! orders reach the market centers exactly once; execution reports move them to a final
//! state; the read side answers status queries. No AWS types here: `ballast-aws` adapts
//! the ports to DynamoDB, SQS and Step Functions, [`memory`] keeps them in process.
//! [`simulator`] answers orders as market centers would, faults included, on simulated
//! time, and turns the reports into telemetry for market-center fault detection.

pub mod anomaly;
pub mod etf;
pub mod faults;
pub mod health;
pub mod memory;
pub mod model;
pub mod orchestrator;
pub mod ports;
pub mod report;
pub mod request;
pub mod service;
pub mod simulator;

pub use model::*;
pub use request::{ApiError, RebalanceRequest};
pub use service::*;
