//! Ballast core: the domain of model-based, tax-aware rebalancing and its engines.
//!
//! Pure and synchronous: no I/O, no clocks, no AWS types. Money, prices and quantities are
//! [`rust_decimal::Decimal`]; the optimizer uses `f64` scores internally and converts back
//! to decimals in one place (`engine::round`).

pub mod account;
pub mod book;
pub mod checks;
pub mod engine;
pub mod model;
pub mod num;
pub mod security;
pub mod trade;

pub use account::{
    Account, AccountStatus, AccountType, LotMethod, OffModelPolicy, Position, RecentTrade, Restriction,
    RestrictionKind, TaxLot, TaxSettings,
};
pub use book::{BookError, Reference, ReferenceFile};
pub use engine::{
    rebalance, AccountOutcome, AccountResult, BandTarget, DriftStats, EngineException, Mode, RebalanceOptions,
};
pub use model::{FlatModel, ModelHolding, ModelPortfolio, Sleeve, ToleranceBands};
pub use security::{Price, Security, SecurityKind};
pub use trade::{HoldingPeriod, LotRelief, ProposedTrade, Side, Term, TradeReason};

pub use rust_decimal::Decimal;
