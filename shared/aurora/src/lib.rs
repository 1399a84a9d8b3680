//! The training store: every model decision, reviewer decision and final outcome written to
//! Aurora PostgreSQL, and read back as training files for the next run.
//!
//! - [`connection`]: settings from the environment ([`DbConfig`]), TLS for every host but
//!   the local one, passwords from a [`PasswordSource`], one lazily (re)connected client
//!   per Lambda container ([`Database`]).
//! - [`migrate()`]: the SQL files of `migrations/`, applied once each, in order, under an
//!   advisory lock, refusing to run when an applied file was edited.
//! - [`WriteBack`]: batched, idempotent inserts (a retried Lambda never duplicates a row).
//! - [`export`]: the approved ETF labels and the telemetry windows not confirmed as
//!   anomalies, as the CSV files the model container's `train` reads.
//!
//! Tables and keys: docs/DATA-MODEL.md, section "Aurora (training store)".

pub mod connection;
pub mod export;
pub mod migrate;
pub mod training;
pub mod write;

pub use connection::{
    connection_lost, AuthMode, ConfigError, ConnectError, Database, DbConfig, PasswordError, PasswordFuture,
    PasswordSource, StaticPassword, Target, TlsMode,
};
pub use export::{
    export_anomaly_training, export_etf_training, write_etf_csv, ExportError, ExportSummary, ETF_COLUMNS,
};
pub use migrate::{apply_migrations, migrate, Migration, MigrationError, MigrationReport, MIGRATIONS};
pub use write::{
    AnomalyLabel, AnomalyOutcome, ClassificationRow, ClassificationStatus, EtfOutcome, OutcomeSource,
    ReviewDecisionRow, ReviewVerdict, WriteBack, WriteError,
};
