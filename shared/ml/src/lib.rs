//! ballast-ml: the platform's models, free of AWS and of the flow.
//!
//! - [`anomaly`]: a Random Cut Forest detector over shingled feature vectors, its learned
//!   threshold and anomaly grade, and versioned model artifacts.
//! - [`etf`]: ETF classification (issue 7): a self-organising map over TF-IDF text features,
//!   named by reviewed ETFs, and complex-product flags with their evidence.
//! - [`nab`]: the Numenta Anomaly Benchmark's data layout and scoring method.
//! - [`telemetry`]: per-market-center features from execution reports over sliding windows.
//!
//! `ballast-eval-nab` (`make eval-nab`) scores the detector on a folder in NAB's layout;
//! `benches/rcf.rs` measures the forest's throughput and artifact size. `ballast-eval-etf`
//! (`make eval-etf`) scores the ETF classifier; `benches/etf.rs` times it.
//!
//! Data shipped with the crate (each with its licence beside it): `data/nab/` (part of
//! the Numenta Anomaly Benchmark) and `data/etfs/` (US ETFs listed on NYSE Arca).

pub mod anomaly;
pub mod etf;
pub mod nab;
pub mod telemetry;
