//! The rebalancing engine: one account in, proposed trades and a report out.
//!
//! Deterministic and allocation-light so a book of a million accounts runs in seconds.
//! See docs/REBALANCING.md for the method (a greedy that is optimal for the linear
//! relaxation of "minimize drift + λ·tax" over per-lot sales) and every rule it applies.

mod plan;

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::account::Account;
use crate::book::Reference;
use crate::trade::ProposedTrade;

/// What the rebalance is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Trade every holding toward its target, as far as tax cost justifies.
    Full,
    /// Trade only holdings (or cash) outside their tolerance band.
    Tolerance,
    /// Invest cash above the cash target; never sell.
    BuyOnly,
    /// Raise the account's pending withdrawal with the cheapest-tax sales; never buy.
    RaiseCash,
    /// Realize losses above a threshold and buy a substitute that keeps the exposure.
    TaxLossHarvest,
}

impl Mode {
    pub const ALL: [Mode; 5] = [Mode::Full, Mode::Tolerance, Mode::BuyOnly, Mode::RaiseCash, Mode::TaxLossHarvest];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::Tolerance => "tolerance",
            Mode::BuyOnly => "buy-only",
            Mode::RaiseCash => "raise-cash",
            Mode::TaxLossHarvest => "tax-loss-harvest",
        }
    }
}

impl FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "full" => Ok(Mode::Full),
            "tolerance" | "band" => Ok(Mode::Tolerance),
            "buy-only" | "buy" => Ok(Mode::BuyOnly),
            "raise-cash" | "raise" => Ok(Mode::RaiseCash),
            "tax-loss-harvest" | "tlh" | "harvest" => Ok(Mode::TaxLossHarvest),
            other => Err(format!(
                "unknown mode {other:?}; expected one of full, tolerance, buy-only, raise-cash, tax-loss-harvest"
            )),
        }
    }
}

/// In tolerance mode, how far an out-of-band holding is traded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum BandTarget {
    #[default]
    Target,
    Edge,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RebalanceOptions {
    pub mode: Mode,
    #[serde(default)]
    pub band_target: BandTarget,
    /// A lot is harvested when its unrealized loss is at least this fraction of its basis…
    #[serde(default = "default_harvest_pct")]
    pub harvest_min_loss_pct: Decimal,
    /// …and at least this many dollars.
    #[serde(default = "default_harvest_min")]
    pub harvest_min_loss: Decimal,
    /// Overrides every account's pending withdrawal in raise-cash mode.
    #[serde(default)]
    pub withdrawal: Option<Decimal>,
}

fn default_harvest_pct() -> Decimal {
    Decimal::new(5, 2)
}
fn default_harvest_min() -> Decimal {
    Decimal::from(250)
}

impl RebalanceOptions {
    pub fn new(mode: Mode) -> Self {
        RebalanceOptions {
            mode,
            band_target: BandTarget::Target,
            harvest_min_loss_pct: default_harvest_pct(),
            harvest_min_loss: default_harvest_min(),
            withdrawal: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountOutcome {
    /// Trades were proposed.
    Rebalanced,
    /// Nothing needed (or nothing worth) trading.
    NoTradesNeeded,
    /// Not rebalanced because of its status; see the exceptions.
    Skipped,
    /// Not rebalanced because its data is wrong; see the exceptions.
    Invalid,
}

/// Something the engine could not do, or did differently, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineException {
    pub code: String,
    pub message: String,
}

impl EngineException {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        EngineException { code: code.to_string(), message: message.into() }
    }
}

/// Drift of an account from its model, as weights of total value (cash included).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct DriftStats {
    /// Σ |weight − target| over every holding and cash.
    pub total: f64,
    /// The largest single |weight − target|.
    pub max: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountResult {
    pub account: String,
    pub outcome: AccountOutcome,
    pub trades: Vec<ProposedTrade>,
    pub market_value: Decimal,
    pub cash_before: Decimal,
    pub cash_after: Decimal,
    pub drift_before: DriftStats,
    pub drift_after: DriftStats,
    pub bought: Decimal,
    pub sold: Decimal,
    /// (bought + sold) / 2 / market value.
    pub turnover: f64,
    pub short_term_gain: Decimal,
    pub long_term_gain: Decimal,
    pub estimated_tax: Decimal,
    pub exceptions: Vec<EngineException>,
}

impl AccountResult {
    pub(crate) fn empty(account: &Account, outcome: AccountOutcome) -> Self {
        AccountResult {
            account: account.id.clone(),
            outcome,
            trades: Vec::new(),
            market_value: Decimal::ZERO,
            cash_before: account.cash,
            cash_after: account.cash,
            drift_before: DriftStats::default(),
            drift_after: DriftStats::default(),
            bought: Decimal::ZERO,
            sold: Decimal::ZERO,
            turnover: 0.0,
            short_term_gain: Decimal::ZERO,
            long_term_gain: Decimal::ZERO,
            estimated_tax: Decimal::ZERO,
            exceptions: Vec::new(),
        }
    }
}

/// Rebalances one account. Never panics on bad data: invalid accounts come back as
/// [`AccountOutcome::Invalid`] with one exception per problem.
pub fn rebalance(reference: &Reference, account: &Account, options: &RebalanceOptions) -> AccountResult {
    let securities = match reference.resolve_account(account) {
        Ok(securities) => securities,
        Err(problems) => {
            let mut r = AccountResult::empty(account, AccountOutcome::Invalid);
            r.exceptions = problems.iter().map(|e| EngineException::new(e.code(), e.to_string())).collect();
            return r;
        }
    };
    if account.status != crate::account::AccountStatus::Active {
        let mut r = AccountResult::empty(account, AccountOutcome::Skipped);
        let status =
            serde_json::to_value(account.status).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        r.exceptions.push(EngineException::new(
            "account_not_active",
            format!("account {} is {status}; only active accounts are rebalanced", account.id),
        ));
        return r;
    }
    plan::run(reference, account, &securities, options)
}
