//! Ballast core: the domain of model-based, tax-aware rebalancing and its engines.
//!
//! Pure and synchronous: no I/O, no clocks, no AWS types. Money, prices and quantities are
//! [`rust_decimal::Decimal`]; the optimizer uses `f64` scores internally and converts back
//! to decimals in one place (`engine::round`).

pub mod account;
pub mod book;
pub mod checks;
pub mod engine;
pub mod lists;
pub mod model;
pub mod num;
pub mod security;
pub mod trade;
pub mod wash;

pub use account::{
    Account, AccountStatus, AccountType, ClientProfile, LotMethod, Objective, OffModelPolicy, PendingOrder, Position,
    RecentTrade, Restriction, RestrictionKind, TaxLot, TaxSettings,
};
pub use book::{BookError, Reference, ReferenceFile};
pub use engine::{
    rebalance, AccountOutcome, AccountResult, BandTarget, DriftStats, EngineException, Mode, RebalanceOptions,
};
pub use lists::{ComplianceLists, HouseholdRestriction, Insider, Venue, VenueStatus};
pub use model::{FlatModel, ModelHolding, ModelPortfolio, Sleeve, ToleranceBands};
pub use security::{
    BondTerms, FundTerms, OptionRight, OptionTerms, Price, ProductFlags, Rating, Security, SecurityKind,
    SecurityProfile, ShareClass,
};
pub use trade::{HoldingPeriod, LotRelief, ProposedTrade, Side, Term, TradeReason};

pub use rust_decimal::Decimal;
