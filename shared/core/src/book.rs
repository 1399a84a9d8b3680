//! A book: reference data (security master, prices, models, substitutes) and accounts,
//! as read from the documented JSON format (docs/BOOK-FORMAT.md), validated and indexed.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::account::Account;
use crate::checks::ParamOverride;
use crate::lists::{ComplianceLists, HouseholdRestriction, Insider, Venue, VenueStatus};
use crate::model::{ModelError, ModelPortfolio};
use crate::num::{to_f64, IdMap};
use crate::security::{Price, Security};

/// The reference file of a book, as written by users and by the generator.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReferenceFile {
    /// The date the proposed trades would execute; drives holding periods and wash windows.
    pub trade_date: NaiveDate,
    pub securities: Vec<Security>,
    pub prices: Vec<Price>,
    pub models: Vec<ModelPortfolio>,
    /// Tax-loss-harvest substitutes per security, in order of preference. A substitute keeps
    /// the exposure but must not be substantially identical (different wash-sale group).
    #[serde(default)]
    pub substitutes: BTreeMap<String, Vec<String>>,
    /// Watch, restricted-issuer, insider, household and sanctions lists.
    #[serde(default)]
    pub lists: ComplianceLists,
    /// Market centers and their routing status.
    #[serde(default)]
    pub venues: Vec<Venue>,
    /// The firm's pre-trade check parameters (defaults apply to anything not listed).
    #[serde(default)]
    pub check_parameters: Vec<ParamOverride>,
}

/// A problem with the input, located precisely enough for a person to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "code", content = "message", rename_all = "snake_case")]
pub enum BookError {
    #[error("line {line}: malformed JSON: {message}")]
    MalformedJson { line: usize, message: String },
    #[error("account {account}: unknown model {model}")]
    UnknownModel { account: String, model: String },
    #[error("account {account}: {reason}")]
    InvalidModel { account: String, reason: String },
    #[error("account {account}: position in unknown security {security}")]
    UnknownSecurity { account: String, security: String },
    #[error("account {account}: no price for {security}")]
    MissingPrice { account: String, security: String },
    #[error("account {account}: {security} lot {lot} has non-positive quantity {quantity}")]
    NonPositiveQuantity { account: String, security: String, lot: usize, quantity: Decimal },
    #[error("account {account}: {security} lot {lot} has negative cost basis {basis}")]
    NegativeBasis { account: String, security: String, lot: usize, basis: Decimal },
    #[error("account {account}: {field} is negative ({value})")]
    NegativeAmount { account: String, field: &'static str, value: Decimal },
    #[error("account {account}: {security} appears in more than one position")]
    DuplicatePosition { account: String, security: String },
    #[error("account {account}: restriction on unknown security {security}")]
    UnknownRestrictedSecurity { account: String, security: String },
    #[error("reference: {0}")]
    Reference(String),
}

impl BookError {
    /// Stable machine-readable code, e.g. `missing_price`.
    pub fn code(&self) -> &'static str {
        match self {
            BookError::MalformedJson { .. } => "malformed_json",
            BookError::UnknownModel { .. } => "unknown_model",
            BookError::InvalidModel { .. } => "invalid_model",
            BookError::UnknownSecurity { .. } => "unknown_security",
            BookError::MissingPrice { .. } => "missing_price",
            BookError::NonPositiveQuantity { .. } => "non_positive_quantity",
            BookError::NegativeBasis { .. } => "negative_basis",
            BookError::NegativeAmount { .. } => "negative_amount",
            BookError::DuplicatePosition { .. } => "duplicate_position",
            BookError::UnknownRestrictedSecurity { .. } => "unknown_restricted_security",
            BookError::Reference(_) => "reference",
        }
    }
}

/// Dense index of a security in [`Reference`].
pub type SecIdx = u32;

/// A model compiled against the security master, ready for the engine.
#[derive(Debug, Clone)]
pub struct CompiledModel {
    pub id: String,
    /// (security, target weight) with weights as optimizer scores.
    pub targets: Vec<(SecIdx, f64)>,
    pub cash_weight: f64,
    pub band_absolute: f64,
    pub band_relative: f64,
    pub min_trade: Decimal,
    pub min_trade_f64: f64,
}

/// Reference data indexed for fast lookups; shared read-only by every worker.
#[derive(Debug, Clone)]
pub struct Reference {
    pub trade_date: NaiveDate,
    securities: Vec<Security>,
    index: IdMap<String, SecIdx>,
    prices: Vec<Option<Decimal>>,
    prices_f64: Vec<f64>,
    price_as_of: Vec<Option<DateTime<Utc>>>,
    wash_groups: Vec<u32>,
    substitutes: Vec<Vec<SecIdx>>,
    models: IdMap<String, Result<Arc<CompiledModel>, String>>,
    /// Interned issuer, sector, asset class and country of each security (see [`Attr`]).
    attrs: [Vec<u32>; 4],
    attr_names: [Vec<String>; 4],
    /// Per security: on the watch list, restricted issuer, sanctioned, not recommended.
    watch: Vec<bool>,
    restricted_issuer: Vec<bool>,
    sanctioned: Vec<bool>,
    not_recommended: Vec<bool>,
    /// Status of the venue each security routes to, and the venue's alternative.
    venue_status: Vec<VenueStatus>,
    venues: IdMap<String, Venue>,
    /// Insider records by issuer.
    insiders: IdMap<String, Vec<Insider>>,
    household_restrictions: IdMap<String, Vec<HouseholdRestriction>>,
    lists: ComplianceLists,
    check_parameters: Vec<ParamOverride>,
}

/// Security attributes interned to dense ids, for concentration limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attr {
    Issuer = 0,
    Sector = 1,
    AssetClass = 2,
    Country = 3,
}

impl Reference {
    /// Indexes a reference file. Problems (bad prices, invalid models, unknown substitutes)
    /// are returned beside it: a bad model only stops the accounts that use it.
    pub fn build(file: ReferenceFile) -> (Reference, Vec<BookError>) {
        let mut problems = Vec::new();
        let mut index = IdMap::with_capacity_and_hasher(file.securities.len(), Default::default());
        let mut securities = Vec::with_capacity(file.securities.len());
        for s in file.securities {
            if index.contains_key(&s.id) {
                problems.push(BookError::Reference(format!("security {} listed twice; first kept", s.id)));
                continue;
            }
            index.insert(s.id.clone(), securities.len() as SecIdx);
            securities.push(s);
        }
        let n = securities.len();
        let mut prices = vec![None; n];
        let mut price_as_of = vec![None; n];
        for p in file.prices {
            match index.get(&p.security) {
                None => problems.push(BookError::Reference(format!("price for unknown security {}", p.security))),
                Some(_) if p.price <= Decimal::ZERO => problems.push(BookError::Reference(format!(
                    "price {} for {} is not positive; security treated as unpriced",
                    p.price, p.security
                ))),
                Some(&i) => {
                    prices[i as usize] = Some(p.price);
                    price_as_of[i as usize] = Some(p.as_of);
                }
            }
        }
        let prices_f64 = prices.iter().map(|p| p.map(to_f64).unwrap_or(0.0)).collect();
        let mut group_ids: HashMap<&str, u32> = HashMap::new();
        let wash_groups = securities
            .iter()
            .map(|s| {
                let next = group_ids.len() as u32;
                *group_ids.entry(s.wash_group()).or_insert(next)
            })
            .collect();
        let mut substitutes = vec![Vec::new(); n];
        for (sec, subs) in &file.substitutes {
            let Some(&i) = index.get(sec) else {
                problems.push(BookError::Reference(format!("substitutes listed for unknown security {sec}")));
                continue;
            };
            for sub in subs {
                match index.get(sub) {
                    Some(&j) => substitutes[i as usize].push(j),
                    None => problems
                        .push(BookError::Reference(format!("substitute {sub} of {sec} is not a known security"))),
                }
            }
        }
        let by_id: HashMap<String, ModelPortfolio> = file.models.iter().map(|m| (m.id.clone(), m.clone())).collect();
        let mut models = IdMap::with_capacity_and_hasher(file.models.len(), Default::default());
        for m in &file.models {
            let compiled = m.flatten(&by_id).and_then(|flat| {
                let mut targets = Vec::with_capacity(flat.targets.len());
                for (sec, w) in &flat.targets {
                    let &i = index
                        .get(sec)
                        .ok_or_else(|| ModelError::UnknownSecurity { model: m.id.clone(), security: sec.clone() })?;
                    targets.push((i, to_f64(*w)));
                }
                // Sorted by index so the engine can binary-search a holding's target.
                targets.sort_unstable_by_key(|t| t.0);
                Ok(Arc::new(CompiledModel {
                    id: m.id.clone(),
                    targets,
                    cash_weight: to_f64(flat.cash_weight),
                    band_absolute: to_f64(flat.bands.absolute),
                    band_relative: to_f64(flat.bands.relative),
                    min_trade: flat.min_trade,
                    min_trade_f64: to_f64(flat.min_trade),
                }))
            });
            if let Err(e) = &compiled {
                problems.push(BookError::Reference(e.to_string()));
            }
            models.insert(m.id.clone(), compiled.map_err(|e| e.to_string()));
        }
        let mut attrs: [Vec<u32>; 4] = Default::default();
        let mut attr_names: [Vec<String>; 4] = Default::default();
        for (a, (ids, names)) in attrs.iter_mut().zip(attr_names.iter_mut()).enumerate() {
            let mut seen: HashMap<String, u32> = HashMap::new();
            for s in &securities {
                let key = match a {
                    0 if s.profile.issuer.is_empty() => s.id.clone(),
                    0 => s.profile.issuer.clone(),
                    1 => s.profile.sector.clone(),
                    2 => s.asset_class.clone(),
                    _ if s.profile.country.is_empty() => "US".to_string(),
                    _ => s.profile.country.clone(),
                };
                let next = seen.len() as u32;
                let id = *seen.entry(key.clone()).or_insert_with(|| {
                    names.push(key);
                    next
                });
                ids.push(id);
            }
        }
        let lists = file.lists;
        let member = |list: &[String]| -> Vec<bool> {
            let mut v = vec![false; n];
            for id in list {
                if let Some(&i) = index.get(id) {
                    v[i as usize] = true;
                }
            }
            v
        };
        let watch = member(&lists.watch);
        let not_recommended = member(&lists.not_recommended);
        let restricted_issuer = securities
            .iter()
            .map(|s| !s.profile.issuer.is_empty() && lists.restricted_issuers.contains(&s.profile.issuer))
            .collect();
        let sanctioned = securities
            .iter()
            .map(|s| !s.profile.country.is_empty() && lists.sanctioned_countries.contains(&s.profile.country))
            .collect();
        let mut venues = IdMap::with_capacity_and_hasher(file.venues.len(), Default::default());
        for v in file.venues {
            venues.insert(v.id.clone(), v);
        }
        let venue_status = securities
            .iter()
            .map(|s| venues.get(&s.profile.venue).map(|v: &Venue| v.status).unwrap_or_default())
            .collect();
        let mut household_restrictions: IdMap<String, Vec<HouseholdRestriction>> = IdMap::default();
        for r in &lists.household_restrictions {
            household_restrictions.entry(r.household.clone()).or_default().push(r.clone());
        }
        let reference = Reference {
            attrs,
            attr_names,
            watch,
            restricted_issuer,
            sanctioned,
            not_recommended,
            venue_status,
            venues,
            insiders: {
                let mut by_issuer: IdMap<String, Vec<Insider>> = IdMap::default();
                for r in &lists.insiders {
                    by_issuer.entry(r.issuer.clone()).or_default().push(r.clone());
                }
                by_issuer
            },
            household_restrictions,
            lists,
            check_parameters: file.check_parameters,
            trade_date: file.trade_date,
            securities,
            index,
            prices,
            prices_f64,
            price_as_of,
            wash_groups,
            substitutes,
            models,
        };
        (reference, problems)
    }

    pub fn security_index(&self, id: &str) -> Option<SecIdx> {
        self.index.get(id).copied()
    }
    pub fn security(&self, i: SecIdx) -> &Security {
        &self.securities[i as usize]
    }
    pub fn securities(&self) -> &[Security] {
        &self.securities
    }
    pub fn price(&self, i: SecIdx) -> Option<Decimal> {
        self.prices[i as usize]
    }
    pub fn price_f64(&self, i: SecIdx) -> f64 {
        self.prices_f64[i as usize]
    }
    pub fn price_as_of(&self, i: SecIdx) -> Option<DateTime<Utc>> {
        self.price_as_of[i as usize]
    }
    pub fn wash_group(&self, i: SecIdx) -> u32 {
        self.wash_groups[i as usize]
    }
    pub fn substitutes(&self, i: SecIdx) -> &[SecIdx] {
        &self.substitutes[i as usize]
    }
    /// Interned id of a security's issuer, sector, asset class or country.
    pub fn attr(&self, i: SecIdx, attr: Attr) -> u32 {
        self.attrs[attr as usize][i as usize]
    }
    /// The name behind an interned attribute id.
    pub fn attr_name(&self, attr: Attr, id: u32) -> &str {
        &self.attr_names[attr as usize][id as usize]
    }
    pub fn on_watch_list(&self, i: SecIdx) -> bool {
        self.watch[i as usize]
    }
    pub fn issuer_restricted(&self, i: SecIdx) -> bool {
        self.restricted_issuer[i as usize]
    }
    pub fn sanctioned(&self, i: SecIdx) -> bool {
        self.sanctioned[i as usize]
    }
    pub fn not_recommended(&self, i: SecIdx) -> bool {
        self.not_recommended[i as usize]
    }
    /// Status of the market center the security routes to (healthy when unknown).
    pub fn venue_status(&self, i: SecIdx) -> VenueStatus {
        self.venue_status[i as usize]
    }
    pub fn venue(&self, id: &str) -> Option<&Venue> {
        self.venues.get(id)
    }
    /// Insider records for one issuer.
    pub fn insiders_of(&self, issuer: &str) -> &[Insider] {
        self.insiders.get(issuer).map(Vec::as_slice).unwrap_or(&[])
    }
    pub fn household_restrictions(&self, household: &str) -> &[HouseholdRestriction] {
        self.household_restrictions.get(household).map(Vec::as_slice).unwrap_or(&[])
    }
    /// The firm's check parameter settings, as given (validated by the check engine).
    pub fn check_parameters(&self) -> &[ParamOverride] {
        &self.check_parameters
    }
    pub fn lists(&self) -> &ComplianceLists {
        &self.lists
    }
    pub fn model(&self, id: &str) -> Option<&Result<Arc<CompiledModel>, String>> {
        self.models.get(id)
    }
    /// The compiled model, when it exists and is valid.
    pub fn valid_model(&self, id: &str) -> Option<&CompiledModel> {
        match self.models.get(id) {
            Some(Ok(m)) => Some(m),
            _ => None,
        }
    }

    /// Checks an account against the reference data; every problem found is returned.
    pub fn validate_account(&self, a: &Account) -> Vec<BookError> {
        self.resolve_account(a).err().unwrap_or_default()
    }

    /// Validates an account and, when it is sound, returns the security index of each of
    /// its positions (in position order), so the engine never looks an id up twice.
    pub fn resolve_account(&self, a: &Account) -> Result<Vec<SecIdx>, Vec<BookError>> {
        let mut errs = Vec::new();
        let acct = || a.id.clone();
        match self.models.get(&a.model) {
            None => errs.push(BookError::UnknownModel { account: acct(), model: a.model.clone() }),
            Some(Err(reason)) => errs.push(BookError::InvalidModel { account: acct(), reason: reason.clone() }),
            Some(Ok(m)) => {
                for &(i, _) in &m.targets {
                    if self.prices[i as usize].is_none() {
                        errs.push(BookError::MissingPrice {
                            account: acct(),
                            security: self.securities[i as usize].id.clone(),
                        });
                    }
                }
            }
        }
        for (field, value) in [("cash", a.cash), ("cash_reserve", a.cash_reserve), ("withdrawal", a.withdrawal)] {
            if value.is_sign_negative() && !value.is_zero() {
                errs.push(BookError::NegativeAmount { account: acct(), field, value });
            }
        }
        let mut indices = Vec::with_capacity(a.positions.len());
        for p in &a.positions {
            match self.index.get(&p.security) {
                None => errs.push(BookError::UnknownSecurity { account: acct(), security: p.security.clone() }),
                Some(&i) => {
                    if self.prices[i as usize].is_none() {
                        errs.push(BookError::MissingPrice { account: acct(), security: p.security.clone() });
                    }
                    indices.push(i);
                }
            }
            for (k, lot) in p.lots.iter().enumerate() {
                if lot.quantity.is_sign_negative() || lot.quantity.is_zero() {
                    errs.push(BookError::NonPositiveQuantity {
                        account: acct(),
                        security: p.security.clone(),
                        lot: k + 1,
                        quantity: lot.quantity,
                    });
                }
                if lot.cost_basis.is_sign_negative() && !lot.cost_basis.is_zero() {
                    errs.push(BookError::NegativeBasis {
                        account: acct(),
                        security: p.security.clone(),
                        lot: k + 1,
                        basis: lot.cost_basis,
                    });
                }
            }
        }
        let mut seen = vec![0u64; self.securities.len().div_ceil(64)];
        for &i in &indices {
            let (word, bit) = (i as usize / 64, 1u64 << (i % 64));
            if seen[word] & bit != 0 {
                errs.push(BookError::DuplicatePosition {
                    account: acct(),
                    security: self.securities[i as usize].id.clone(),
                });
            }
            seen[word] |= bit;
        }
        for r in &a.restrictions {
            if !self.index.contains_key(&r.security) {
                errs.push(BookError::UnknownRestrictedSecurity { account: acct(), security: r.security.clone() });
            }
        }
        if errs.is_empty() {
            Ok(indices)
        } else {
            Err(errs)
        }
    }
}

/// Parses one line of an accounts JSON-lines file (1-based `line` for messages).
pub fn parse_account_line(line: usize, text: &str) -> Result<Account, BookError> {
    serde_json::from_str(text).map_err(|e| BookError::MalformedJson { line, message: e.to_string() })
}
