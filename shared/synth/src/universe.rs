//! A reference file pre-digested for fast account generation: ids to clone, prices as
//! integers and floats, flattened models, and the securities a legacy holding can be.

use std::collections::{HashMap, HashSet};

use ballast_core::{ModelPortfolio, ReferenceFile, SecurityKind};
use chrono::{Datelike, NaiveDate};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::rng::hash_str;

/// Why a reference file cannot be used to generate accounts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UniverseError {
    #[error("the reference has no usable model (every model is invalid or holds an unpriced security)")]
    NoUsableModel,
}

#[derive(Debug, Clone)]
pub(crate) struct SecurityInfo {
    pub id: String,
    /// Dollars per share, for sizing only.
    pub price: f64,
    /// Decimal places of quantities held: 0 for whole shares, the fraction scale otherwise.
    pub quantity_scale: u32,
    /// Decimal places of cost bases (funds that reinvest dividends carry odd bases).
    pub basis_scale: u32,
    /// Money market funds: a stable $1.00 NAV, so every lot's basis is the price.
    pub stable_value: bool,
    /// Annual drift and volatility of the price, for plausible historical cost bases.
    pub growth: f64,
    pub volatility: f64,
    /// Moves with the equity market (vs. bonds and cash).
    pub equity: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct ModelInfo {
    pub id: String,
    /// (security index, target weight), sorted by security id.
    pub targets: Vec<(u32, f64)>,
    pub cash_weight: f64,
    /// Weight of the holdings that move with the equity market.
    pub equity_weight: f64,
}

/// Everything `account` needs, computed once from a reference file and shared by all threads.
#[derive(Debug, Clone)]
pub struct Universe {
    pub(crate) trade_date: NaiveDate,
    /// Trading days by age: `dates[n]` is `n` calendar days before the trade date, moved
    /// back off weekends (a table, as building dates is a visible cost per lot).
    pub(crate) dates: Vec<NaiveDate>,
    pub(crate) securities: Vec<SecurityInfo>,
    pub(crate) models: Vec<ModelInfo>,
    /// Relative popularity of each model (models used only as sleeves are rarely assigned).
    pub(crate) popularity: Vec<u32>,
    /// Priced securities an account can hold outside its model.
    pub(crate) legacy: Vec<u32>,
    /// Complex products and restricted securities: the awkward legacy holdings.
    pub(crate) legacy_special: Vec<u32>,
}

impl Universe {
    /// Digests a reference file. Unpriced securities and invalid models are left out.
    pub fn new(file: &ReferenceFile) -> Result<Universe, UniverseError> {
        let mut price_of: HashMap<&str, Decimal> = HashMap::with_capacity(file.prices.len());
        for p in &file.prices {
            if p.price > Decimal::ZERO {
                price_of.insert(p.security.as_str(), p.price);
            }
        }
        let mut index: HashMap<&str, u32> = HashMap::with_capacity(file.securities.len());
        let mut securities = Vec::with_capacity(file.securities.len());
        let mut legacy = Vec::new();
        let mut legacy_special = Vec::new();
        for s in &file.securities {
            let Some(price) = price_of.get(s.id.as_str()).and_then(|p| p.to_f64()) else { continue };
            if index.contains_key(s.id.as_str()) {
                continue;
            }
            let i = securities.len() as u32;
            index.insert(s.id.as_str(), i);
            // Per-security traits from a hash of the id, so they do not depend on the seed.
            let h = hash_str(&s.id);
            let jitter = (h >> 11) as f64 / (1u64 << 53) as f64;
            let (growth, volatility) = match s.kind {
                SecurityKind::Equity => (0.02 + 0.14 * jitter, 0.22 + 0.20 * jitter),
                SecurityKind::Etf if s.complex_product => (-0.10 + 0.20 * jitter, 0.45 + 0.30 * jitter),
                SecurityKind::Etf | SecurityKind::MutualFund if is_bond_class(&s.asset_class) => {
                    (0.01 * jitter, 0.05 + 0.04 * jitter)
                }
                SecurityKind::Etf | SecurityKind::MutualFund => (0.04 + 0.08 * jitter, 0.14 + 0.08 * jitter),
                SecurityKind::Bond => (0.0, 0.04 + 0.03 * jitter),
                SecurityKind::CashEquivalent => (0.0, 0.005),
                SecurityKind::Option => (0.0, 0.80 + 0.40 * jitter),
            };
            let stable_value =
                s.kind == SecurityKind::CashEquivalent && price_of.get(s.id.as_str()) == Some(&Decimal::ONE);
            securities.push(SecurityInfo {
                id: s.id.clone(),
                price,
                quantity_scale: if s.fractional { s.fraction_scale.min(6) } else { 0 },
                basis_scale: if s.kind == SecurityKind::MutualFund { 4 } else { 2 },
                stable_value,
                growth,
                volatility,
                equity: s.kind == SecurityKind::Equity || !(is_bond_class(&s.asset_class) || s.asset_class == "cash"),
            });
            if s.restricted || s.complex_product {
                legacy_special.push(i);
            } else {
                legacy.push(i);
            }
        }
        let by_id: HashMap<String, ModelPortfolio> = file.models.iter().map(|m| (m.id.clone(), m.clone())).collect();
        let sleeve_ids: HashSet<&str> =
            file.models.iter().flat_map(|m| m.sleeves.iter().map(|s| s.model.as_str())).collect();
        let mut models = Vec::new();
        let mut popularity = Vec::new();
        for m in &file.models {
            let Ok(flat) = m.flatten(&by_id) else { continue };
            let targets: Option<Vec<(u32, f64)>> = flat
                .targets
                .iter()
                .map(|(sec, w)| index.get(sec.as_str()).map(|&i| (i, w.to_f64().unwrap_or(0.0))))
                .collect();
            let Some(targets) = targets else { continue };
            if targets.is_empty() {
                continue;
            }
            popularity.push(if sleeve_ids.contains(m.id.as_str()) { 1 } else { 3 + (hash_str(&m.id) % 8) as u32 });
            let equity_weight = targets.iter().filter(|t| securities[t.0 as usize].equity).map(|t| t.1).sum();
            models.push(ModelInfo {
                id: m.id.clone(),
                targets,
                cash_weight: flat.cash_weight.to_f64().unwrap_or(0.0),
                equity_weight,
            });
        }
        if models.is_empty() {
            return Err(UniverseError::NoUsableModel);
        }
        Ok(Universe {
            trade_date: file.trade_date,
            dates: (0..=MAX_AGE_DAYS).map(|age| trading_day(file.trade_date, age)).collect(),
            securities,
            models,
            popularity,
            legacy,
            legacy_special,
        })
    }

    pub fn trade_date(&self) -> NaiveDate {
        self.trade_date
    }

    /// The trading day `days` before the trade date (clamped to the generator's window).
    pub(crate) fn day(&self, days: i64) -> NaiveDate {
        self.dates[days.clamp(0, MAX_AGE_DAYS) as usize]
    }

    /// Number of models accounts can be assigned to.
    pub fn model_count(&self) -> usize {
        self.models.len()
    }
}

/// Oldest lot or trade the generator dates, in days before the trade date.
pub(crate) const MAX_AGE_DAYS: i64 = 8 * 365;

/// The date `days` before `trade_date`, moved back to Friday when it falls on a weekend.
fn trading_day(trade_date: NaiveDate, days: i64) -> NaiveDate {
    let d = trade_date - chrono::Days::new(days.max(0) as u64);
    match d.weekday() {
        chrono::Weekday::Sat => d - chrono::Days::new(1),
        chrono::Weekday::Sun => d - chrono::Days::new(2),
        _ => d,
    }
}

fn is_bond_class(class: &str) -> bool {
    class.ends_with("_bond") || class == "us_treasury" || class == "tips"
}
