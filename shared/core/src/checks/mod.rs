//! Pre-trade compliance: a catalogue of checks run on every proposed trade before any
//! order leaves the platform (SEC Rule 15c3-5 pre-trade controls and firm policy).
//!
//! A check is a plain function from a trade and its precomputed account context to an
//! optional failure. Passing allocates nothing; a failure carries a sentence naming the
//! numbers involved and the values as structured pairs for the API and reviewer UI.
//! Parameters have firm-level defaults, may be overridden per account type, and are
//! resolved once into a flat table so the hot path is an index, not a lookup.

pub mod calendar;
mod catalogue;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::account::{Account, AccountType};
use crate::book::{Attr, Reference, SecIdx};
use crate::security::SecurityKind;
use crate::trade::{ProposedTrade, Side};

pub use catalogue::catalogue;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The order must not be sent.
    Block,
    /// Sent, but shown to the advisor and the reviewer.
    Warn,
    /// Recorded for the audit trail.
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Block => "block",
            Severity::Warn => "warn",
            Severity::Info => "info",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    DataQuality,
    AccountEligibility,
    ProductSuitability,
    RestrictedLists,
    Concentration,
    CashAndBuyingPower,
    ErroneousOrder,
    Tax,
    Market,
    ModelAdherence,
}

impl Family {
    pub fn title(self) -> &'static str {
        match self {
            Family::DataQuality => "Data quality",
            Family::AccountEligibility => "Account status and eligibility",
            Family::ProductSuitability => "Product suitability",
            Family::RestrictedLists => "Restricted, watch and insider lists",
            Family::Concentration => "Concentration",
            Family::CashAndBuyingPower => "Cash and buying power",
            Family::ErroneousOrder => "Erroneous orders",
            Family::Tax => "Tax",
            Family::Market => "Market",
            Family::ModelAdherence => "Model adherence",
        }
    }
}

/// A tunable number of a check, with its firm default and the range a firm may set.
#[derive(Debug, Clone, Copy)]
pub struct ParamDef {
    pub name: &'static str,
    pub meaning: &'static str,
    pub default: Decimal,
    pub min: Decimal,
    pub max: Decimal,
}

/// One rule of the catalogue.
pub struct CheckDef {
    /// Stable id, `FAMILY.RULE`, e.g. `CASH.NEGATIVE_BALANCE`.
    pub id: &'static str,
    pub family: Family,
    pub severity: Severity,
    /// Why the rule exists, for docs/CHECKS.md and the reviewer.
    pub why: &'static str,
    pub params: &'static [ParamDef],
    /// Which trades the rule can apply to; the engine skips the rest without calling it.
    pub scope: Scope,
    pub run: fn(&CheckInput<'_>, &[Decimal]) -> Option<Failure>,
}

/// The trades a check applies to: sides, kinds of security (or an unknown security) and
/// account types. The engine resolves scopes once into per-(account type, side, kind)
/// lists, so a rule about mutual funds costs nothing on a stock trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    sides: u8,
    kinds: u8,
    accounts: u8,
}

const UNKNOWN_KIND: usize = SecurityKind::ALL.len();

impl Scope {
    /// Every trade, including trades in securities the reference does not know.
    pub const ANY: Scope = Scope { sides: 0b11, kinds: u8::MAX, accounts: 0b11111 };
    /// Every buy.
    pub const BUY: Scope = Scope { sides: 0b01, ..Scope::ANY };
    /// Every sale.
    pub const SELL: Scope = Scope { sides: 0b10, ..Scope::ANY };

    /// Only trades in securities of these kinds (never an unknown security).
    pub const fn kinds(mut self, kinds: &[SecurityKind]) -> Scope {
        let mut mask = 0u8;
        let mut k = 0;
        while k < kinds.len() {
            mask |= 1 << kinds[k] as usize;
            k += 1;
        }
        self.kinds = mask;
        self
    }

    /// Only known securities (any kind).
    pub const fn known(mut self) -> Scope {
        self.kinds &= !(1 << UNKNOWN_KIND);
        self
    }

    /// Only accounts of these types.
    pub const fn accounts(mut self, types: &[AccountType]) -> Scope {
        let mut mask = 0u8;
        let mut k = 0;
        while k < types.len() {
            mask |= 1 << type_index(types[k]);
            k += 1;
        }
        self.accounts = mask;
        self
    }

    /// Only taxable registrations (individual, joint and trust accounts).
    pub const fn taxable(self) -> Scope {
        self.accounts(&[AccountType::Taxable, AccountType::Trust])
    }

    /// Only IRAs and qualified plans.
    pub const fn retirement(self) -> Scope {
        self.accounts(&[AccountType::TraditionalIra, AccountType::RothIra, AccountType::Qualified])
    }

    fn covers(&self, account: usize, side: Side, kind: usize) -> bool {
        let side_bit = if side == Side::Buy { 1 } else { 2 };
        self.sides & side_bit != 0 && self.kinds & (1 << kind) != 0 && self.accounts & (1 << account) != 0
    }
}

/// What a failing check reports, before its id and severity are attached.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub reason: String,
    pub values: Vec<(&'static str, String)>,
}

impl Failure {
    pub fn new(reason: String) -> Self {
        Failure { reason, values: Vec::new() }
    }

    pub fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        self.values.push((name, value.to_string()));
        self
    }
}

/// A check that did not pass, as the API and the reviewer UI show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckOutcome {
    pub id: &'static str,
    pub severity: Severity,
    pub reason: String,
    pub values: Vec<(&'static str, String)>,
}

/// Account facts computed once per account and shared by every trade's checks.
#[derive(Debug, Clone)]
pub struct AccountContext {
    /// Quantity held per security (by reference index), before the proposed trades.
    pub held: Vec<(SecIdx, Decimal)>,
    /// Market value of the account before the trades (cash included).
    pub market_value: Decimal,
    /// Cash after every proposed trade of the batch settles.
    pub cash_after: Decimal,
    /// Model target weight per security, when the account's model is valid.
    pub targets: Vec<(SecIdx, f64)>,
    /// Every trade of the batch as (security, side), sorted: duplicates and crossings.
    pub batch: Vec<(SecIdx, Side)>,
    /// Wash-sale groups the batch sells at a loss.
    pub loss_sale_groups: Vec<u32>,
    /// Why the market is closed on the trade date, if it is (the same for every trade).
    pub market_closed: Option<&'static str>,
    /// The account model's minimum trade, when the model is valid.
    pub min_trade: Option<Decimal>,
    /// `market_value` as a float, for cheap screens before exact decimal comparisons.
    pub market_value_f: f64,
    /// Value of each position after every trade of the batch, at reference prices, sorted
    /// by security (securities bought from nothing included, closed ones at zero).
    pub after: Vec<(SecIdx, f64)>,
    /// Value after the batch per issuer, sector, asset class and country ([`Attr`] order),
    /// each sorted by group id.
    pub exposure_after: [Vec<(u32, f64)>; 4],
    /// Total bought and sold by the batch, in dollars.
    pub bought: Decimal,
    pub sold: Decimal,
    /// The client's age on the trade date, when the birth date is known.
    pub age: Option<u32>,
    /// Loss sales and purchases inside the wash-sale window.
    pub wash: crate::wash::WashActivity,
    /// Net realized gain (short- and long-term, losses netted) of every sale in the batch.
    pub batch_gain: Decimal,
    /// The model's cash weight; `None` when the account's model is unknown or invalid.
    pub model_cash: Option<f64>,
    /// The model's tolerance band: absolute weight points and fraction of the target
    /// (zero without a valid model).
    pub band_absolute: f64,
    pub band_relative: f64,
    /// Securities held or bought by the batch that are not model targets (sorted): legacy
    /// holdings and substitutes standing in for a model security. Empty without a model.
    pub off_model: Vec<SecIdx>,
    /// Value of each position before the batch, at reference prices, in the order of
    /// `after` (zero for securities the batch buys from nothing).
    pub before: Vec<f64>,
    /// Model target weight of each entry of `after` (`None` off the model).
    pub after_targets: Vec<Option<f64>>,
    /// The security of each of the account's positions, in position order, when every
    /// position is in the security master (empty otherwise): a position's tax lots are
    /// found without comparing ids.
    pub position_securities: Vec<SecIdx>,
}

impl AccountContext {
    /// Builds the context from the account and all of its proposed trades.
    pub fn new(reference: &Reference, account: &Account, trades: &[ProposedTrade]) -> Self {
        let securities: Vec<Option<SecIdx>> = trades.iter().map(|t| reference.security_index(&t.security)).collect();
        Self::resolved(reference, account, trades, &securities)
    }

    /// [`AccountContext::new`] with each trade's security already looked up (in trade order).
    pub fn resolved(
        reference: &Reference,
        account: &Account,
        trades: &[ProposedTrade],
        securities: &[Option<SecIdx>],
    ) -> Self {
        debug_assert_eq!(trades.len(), securities.len());
        let mut held: Vec<(SecIdx, Decimal)> = Vec::with_capacity(account.positions.len());
        let mut market_value = account.cash;
        let mut resolved = Vec::with_capacity(account.positions.len());
        for p in &account.positions {
            let Some(i) = reference.security_index(&p.security) else { continue };
            resolved.push(i);
            let q = p.quantity();
            held.push((i, q));
            if let Some(price) = reference.price(i) {
                market_value += q * price;
            }
        }
        let wash = if resolved.len() == account.positions.len() {
            crate::wash::WashActivity::scan(reference, account, &resolved)
        } else {
            // Unknown positions: scan the known ones only (the unknown security blocks anyway).
            let known: Vec<crate::account::Position> =
                account.positions.iter().filter(|p| reference.security_index(&p.security).is_some()).cloned().collect();
            let mut only_known = account.clone();
            only_known.positions = known;
            crate::wash::WashActivity::scan(reference, &only_known, &resolved)
        };
        held.sort_unstable_by_key(|h| h.0);
        let mut cash_after = account.cash;
        for t in trades {
            match t.side {
                Side::Buy => cash_after -= t.amount,
                Side::Sell => cash_after += t.amount,
            }
        }
        let model = reference.valid_model(&account.model);
        let targets = model.map(|m| m.targets.clone()).unwrap_or_default();
        let mut batch: Vec<(SecIdx, Side)> =
            trades.iter().zip(securities).filter_map(|(t, i)| i.map(|i| (i, t.side))).collect();
        batch.sort_unstable_by_key(|b| (b.0, b.1 == Side::Sell));
        let loss_sale_groups = trades
            .iter()
            .zip(securities)
            .filter(|(t, _)| t.side == Side::Sell && t.lots.iter().any(|l| l.gain < Decimal::ZERO))
            .filter_map(|(_, i)| i.map(|i| reference.wash_group(i)))
            .collect();
        let mut after: Vec<(SecIdx, f64)> =
            held.iter().map(|&(i, q)| (i, crate::num::to_f64(q) * reference.price_f64(i))).collect();
        let (mut bought, mut sold, mut batch_gain) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        for t in trades.iter().filter(|t| t.side == Side::Sell) {
            // Tax-deferred accounts carry no gains: skip the decimal arithmetic.
            for g in [t.short_term_gain, t.long_term_gain] {
                if !g.is_zero() {
                    batch_gain = batch_gain.saturating_add(g);
                }
            }
        }
        // `after` starts as the held positions, sorted by security: a binary search finds a
        // traded one; securities bought from nothing go after them (few) and are merged in.
        let n_held = after.len();
        for (t, &i) in trades.iter().zip(securities) {
            let Some(i) = i else { continue };
            let v = crate::num::to_f64(t.quantity) * reference.price_f64(i);
            let signed = if t.side == Side::Buy {
                bought += t.amount;
                v
            } else {
                sold += t.amount;
                -v
            };
            if let Ok(k) = after[..n_held].binary_search_by_key(&i, |a| a.0) {
                after[k].1 += signed;
            } else {
                match after[n_held..].iter_mut().find(|a| a.0 == i) {
                    Some(a) => a.1 += signed,
                    None => after.push((i, signed)),
                }
            }
        }
        if after.len() > n_held {
            after.sort_unstable_by_key(|a| a.0);
        }
        // Per attribute: (group, value) sorted by group, so a lookup is a binary search.
        let exposure_after = [Attr::Issuer, Attr::Sector, Attr::AssetClass, Attr::Country].map(|attr| {
            let mut pairs: Vec<(u32, f64)> = after.iter().map(|&(i, v)| (reference.attr(i, attr), v)).collect();
            pairs.sort_unstable_by_key(|p| p.0);
            let mut groups: Vec<(u32, f64)> = Vec::with_capacity(pairs.len());
            for (g, v) in pairs {
                match groups.last_mut() {
                    Some(last) if last.0 == g => last.1 += v,
                    _ => groups.push((g, v)),
                }
            }
            groups
        });
        let age = account.profile.birth_date.and_then(|b| reference.trade_date.years_since(b));
        // Both lists are sorted by security: one merge walk finds each position's target.
        let mut off_model = Vec::new();
        let mut after_targets = Vec::with_capacity(after.len());
        let mut t = targets.iter().peekable();
        for &(i, _) in &after {
            while t.next_if(|x| x.0 < i).is_some() {}
            let target = t.peek().filter(|x| x.0 == i).map(|x| x.1);
            if target.is_none() && !targets.is_empty() {
                off_model.push(i);
            }
            after_targets.push(target);
        }
        // `held` and `after` are both sorted by security, and `after` holds every held one.
        let mut before = Vec::with_capacity(after.len());
        let mut h = held.iter().peekable();
        for &(i, _) in &after {
            before.push(match h.next_if(|x| x.0 == i) {
                Some(&(_, q)) => crate::num::to_f64(q) * reference.price_f64(i),
                None => 0.0,
            });
        }

        AccountContext {
            after,
            exposure_after,
            bought,
            sold,
            age,
            wash,
            held,
            market_value,
            cash_after,
            targets,
            batch,
            loss_sale_groups,
            market_closed: calendar::closed_because(reference.trade_date),
            min_trade: model.map(|m| m.min_trade),
            market_value_f: crate::num::to_f64(market_value),
            batch_gain,
            model_cash: model.map(|m| m.cash_weight),
            band_absolute: model.map(|m| m.band_absolute).unwrap_or(0.0),
            band_relative: model.map(|m| m.band_relative).unwrap_or(0.0),
            off_model,
            before,
            after_targets,
            position_securities: if resolved.len() == account.positions.len() { resolved } else { Vec::new() },
        }
    }

    /// How many trades of the batch are in `security` on `side`.
    pub fn batch_count(&self, security: SecIdx, side: Side) -> usize {
        self.batch.iter().filter(|b| b.0 == security && b.1 == side).count()
    }

    pub fn held(&self, security: SecIdx) -> Decimal {
        match self.held.binary_search_by_key(&security, |h| h.0) {
            Ok(k) => self.held[k].1,
            Err(_) => Decimal::ZERO,
        }
    }

    /// Value of a position after the batch (zero when not held).
    pub fn after(&self, security: SecIdx) -> f64 {
        match self.after.binary_search_by_key(&security, |a| a.0) {
            Ok(k) => self.after[k].1,
            Err(_) => 0.0,
        }
    }

    /// Value after the batch of the group (issuer, sector, ...) a security belongs to.
    pub fn exposure_after(&self, reference: &Reference, security: SecIdx, attr: Attr) -> f64 {
        let g = reference.attr(security, attr);
        let groups = &self.exposure_after[attr as usize];
        groups.binary_search_by_key(&g, |x| x.0).map(|k| groups[k].1).unwrap_or(0.0)
    }

    pub fn target(&self, security: SecIdx) -> Option<f64> {
        self.targets.binary_search_by_key(&security, |t| t.0).ok().map(|k| self.targets[k].1)
    }
}

/// Everything a check may look at for one trade.
pub struct CheckInput<'a> {
    pub trade: &'a ProposedTrade,
    /// The traded security, when the reference knows it.
    pub security: Option<SecIdx>,
    pub account: &'a Account,
    pub context: &'a AccountContext,
    pub reference: &'a Reference,
}

/// A firm's parameter setting: for every account, or for one account type.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ParamOverride {
    pub check: String,
    pub param: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_type: Option<AccountType>,
    pub value: Decimal,
}

/// The outcome every trade gets while the firm's parameters are rejected.
pub const INVALID_PARAMETERS: &str = "CONFIG.INVALID_PARAMETERS";

/// Why a firm's parameters cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("unknown check {0}")]
    UnknownCheck(String),
    #[error("check {check} has no parameter {param}")]
    UnknownParam { check: String, param: String },
    #[error("{check}.{param} = {value} is outside its allowed range {min}..={max}")]
    OutOfRange { check: String, param: String, value: Decimal, min: Decimal, max: Decimal },
}

const ACCOUNT_TYPES: [AccountType; 5] = [
    AccountType::Taxable,
    AccountType::Trust,
    AccountType::TraditionalIra,
    AccountType::RothIra,
    AccountType::Qualified,
];

const fn type_index(t: AccountType) -> usize {
    match t {
        AccountType::Taxable => 0,
        AccountType::Trust => 1,
        AccountType::TraditionalIra => 2,
        AccountType::RothIra => 3,
        AccountType::Qualified => 4,
    }
}

/// Index of the per-(account type, side, kind) plan list.
fn plan_index(account: usize, side: Side, kind: usize) -> usize {
    (account * 2 + (side == Side::Sell) as usize) * (UNKNOWN_KIND + 1) + kind
}

/// The catalogue with its parameters resolved for every account type.
pub struct CheckEngine {
    checks: Vec<CheckDef>,
    /// Offset of each check's parameters in a per-account-type table.
    offsets: Vec<usize>,
    values: [Vec<Decimal>; 5],
    /// For each (account type, side, kind): the checks in scope, in catalogue order.
    plans: Vec<Vec<u16>>,
    /// Why the firm's parameters were rejected, when they were: every trade is blocked.
    rejected: Option<ParamError>,
}

impl CheckEngine {
    /// The full catalogue with firm defaults and `overrides` applied; a bad override is an
    /// error, never silently ignored.
    pub fn new(overrides: &[ParamOverride]) -> Result<Self, ParamError> {
        Self::with_checks(catalogue(), overrides)
    }

    pub fn with_checks(checks: Vec<CheckDef>, overrides: &[ParamOverride]) -> Result<Self, ParamError> {
        let mut offsets = Vec::with_capacity(checks.len());
        let mut defaults = Vec::new();
        for c in &checks {
            offsets.push(defaults.len());
            defaults.extend(c.params.iter().map(|p| p.default));
        }
        let mut values: [Vec<Decimal>; 5] = std::array::from_fn(|_| defaults.clone());
        // Firm-wide settings first, then per-account-type ones, whatever the input order.
        let mut ordered: Vec<&ParamOverride> = overrides.iter().collect();
        ordered.sort_by_key(|o| o.account_type.is_some());
        for o in ordered {
            let (k, c) = checks
                .iter()
                .enumerate()
                .find(|(_, c)| c.id == o.check)
                .ok_or_else(|| ParamError::UnknownCheck(o.check.clone()))?;
            let (j, p) = c
                .params
                .iter()
                .enumerate()
                .find(|(_, p)| p.name == o.param)
                .ok_or_else(|| ParamError::UnknownParam { check: o.check.clone(), param: o.param.clone() })?;
            if o.value < p.min || o.value > p.max {
                return Err(ParamError::OutOfRange {
                    check: o.check.clone(),
                    param: o.param.clone(),
                    value: o.value,
                    min: p.min,
                    max: p.max,
                });
            }
            match o.account_type {
                Some(t) => values[type_index(t)][offsets[k] + j] = o.value,
                None => values.iter_mut().for_each(|v| v[offsets[k] + j] = o.value),
            }
        }
        let mut plans = vec![Vec::new(); ACCOUNT_TYPES.len() * 2 * (UNKNOWN_KIND + 1)];
        for account in 0..ACCOUNT_TYPES.len() {
            for side in [Side::Buy, Side::Sell] {
                for kind in 0..=UNKNOWN_KIND {
                    plans[plan_index(account, side, kind)] = (0..checks.len())
                        .filter(|&k| checks[k].scope.covers(account, side, kind))
                        .map(|k| k as u16)
                        .collect();
                }
            }
        }
        Ok(CheckEngine { checks, offsets, values, plans, rejected: None })
    }

    /// The engine for a firm's parameters as they come from reference data. Parameters
    /// that cannot be used (unknown check or parameter, value out of range) never fall
    /// back silently to defaults: every trade then gets a blocking
    /// `CONFIG.INVALID_PARAMETERS` outcome naming the problem, until they are fixed.
    pub fn for_firm(overrides: &[ParamOverride]) -> Self {
        match Self::new(overrides) {
            Ok(engine) => engine,
            Err(e) => {
                let mut engine = Self::new(&[]).expect("the catalogue's defaults are within their own ranges");
                engine.rejected = Some(e);
                engine
            }
        }
    }

    /// Why the firm's parameters were rejected, if they were.
    pub fn rejected(&self) -> Option<&ParamError> {
        self.rejected.as_ref()
    }

    pub fn checks(&self) -> &[CheckDef] {
        &self.checks
    }

    /// The checks that run on a trade of this account type, side and kind of security
    /// (`None`: a security the reference does not know).
    pub fn in_scope(
        &self,
        account_type: AccountType,
        side: Side,
        kind: Option<SecurityKind>,
    ) -> impl Iterator<Item = &CheckDef> + '_ {
        let kind = kind.map(SecurityKind::index).unwrap_or(UNKNOWN_KIND);
        self.plans[plan_index(type_index(account_type), side, kind)].iter().map(|&k| &self.checks[k as usize])
    }

    /// Runs every check on one trade; returns the ones that did not pass.
    pub fn check_trade(&self, input: &CheckInput<'_>) -> Vec<CheckOutcome> {
        let account = type_index(input.account.account_type);
        let values = &self.values[account];
        let kind = input.security.map(|s| input.reference.security(s).kind.index()).unwrap_or(UNKNOWN_KIND);
        let mut out = Vec::new();
        if let Some(e) = &self.rejected {
            out.push(CheckOutcome {
                id: INVALID_PARAMETERS,
                severity: Severity::Block,
                reason: format!(
                    "the firm's check parameters are rejected ({e}); no order is sent until they are fixed"
                ),
                values: vec![("error", e.to_string())],
            });
        }
        for &k in &self.plans[plan_index(account, input.trade.side, kind)] {
            let (k, c) = (k as usize, &self.checks[k as usize]);
            let params = &values[self.offsets[k]..self.offsets[k] + c.params.len()];
            if let Some(f) = (c.run)(input, params) {
                out.push(CheckOutcome { id: c.id, severity: c.severity, reason: f.reason, values: f.values });
            }
        }
        out
    }

    /// Checks every trade of one account; outcome lists are in trade order.
    pub fn check_account(
        &self,
        reference: &Reference,
        account: &Account,
        trades: &[ProposedTrade],
    ) -> Vec<Vec<CheckOutcome>> {
        let securities: Vec<Option<SecIdx>> = trades.iter().map(|t| reference.security_index(&t.security)).collect();
        let context = AccountContext::resolved(reference, account, trades, &securities);
        trades
            .iter()
            .zip(&securities)
            .map(|(trade, &security)| {
                let input = CheckInput { trade, security, account, context: &context, reference };
                self.check_trade(&input)
            })
            .collect()
    }
}

/// docs/CHECKS.md, generated from the catalogue (`make checks-doc`).
pub fn catalogue_markdown() -> String {
    use std::fmt::Write;
    let checks = catalogue();
    let mut out = String::new();
    let _ = writeln!(out, "# Pre-trade checks\n");
    let _ = writeln!(
        out,
        "Generated from `shared/core/src/checks/catalogue.rs` by `make checks-doc`; a test fails when this file is stale.\n"
    );
    let _ = writeln!(out, "{} checks.\n", checks.len());
    let _ = writeln!(
        out,
        "Firm parameters come with the reference data (`check_parameters`, see docs/BOOK-FORMAT.md). \
         When they cannot be used (unknown check or parameter, value out of range) every trade gets a \
         blocking `{INVALID_PARAMETERS}` outcome naming the problem: the engine never falls back to \
         defaults silently.\n"
    );
    let mut families: Vec<Family> = checks.iter().map(|c| c.family).collect();
    families.sort();
    families.dedup();
    for family in families {
        let _ = writeln!(out, "## {}\n", family.title());
        let _ = writeln!(out, "| id | severity | parameters (default) | why |");
        let _ = writeln!(out, "|---|---|---|---|");
        for c in checks.iter().filter(|c| c.family == family) {
            let params: Vec<String> = c
                .params
                .iter()
                .map(|p| format!("`{}` = {} ({}; {}–{})", p.name, p.default, p.meaning, p.min, p.max))
                .collect();
            let params = if params.is_empty() { "—".to_string() } else { params.join("<br>") };
            let _ = writeln!(out, "| `{}` | {} | {} | {} |", c.id, c.severity.as_str(), params, c.why);
        }
        let _ = writeln!(out);
    }
    out
}
