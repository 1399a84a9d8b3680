//! Nightly ETF classification (issue 7): each new ETF gets a category group and category
//! from an unsupervised self-organising map named by already-reviewed ETFs (their vote
//! blended with a linear label head learned from the same reviews), and
//! complex-product flags (leveraged, inverse, volatility-linked, ETN, commodity futures;
//! FINRA RN 09-31) from explicit words in its name and summary, with the evidence.
//!
//! - [`read_csv`]: the reference file, tolerant of bad rows ([`RowIssue`]).
//! - [`Featurizer`]: TF-IDF of name, summary and family, projected to a dense vector.
//! - [`Som`]: the map, trained without labels.
//! - [`LabelHead`]: a softmax over the same features, fitted on the reviewed labels.
//! - [`detect`]: the text rules behind [`Flags`] and [`Evidence`].
//! - [`EtfModel`]: fit, classify, versioned JSON artifact (`kind` [`ETF_MODEL_KIND`]).
//! - [`eval`]: accuracy, ARI, NMI, flag precision and recall, a deterministic split.

pub mod eval;
mod features;
mod flags;
mod head;
mod model;
mod record;
mod som;

pub use features::{FeatureConfig, Featurizer};
pub use flags::{detect, Evidence, Field, Flag, Flags};
pub use head::{HeadConfig, LabelHead};
pub use model::{
    EtfClassification, EtfError, EtfModel, EtfModelConfig, ReviewReason, ETF_FORMAT_VERSION, ETF_MODEL_KIND,
};
pub use record::{read_csv, EtfRecord, RowIssue};
pub use som::{Som, SomConfig};
