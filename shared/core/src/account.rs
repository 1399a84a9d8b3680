//! Client accounts: type, status, cash, restrictions, tax settings and tax-lot positions.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::trade::Side;

/// Registration type; it decides whether sales realize taxable gains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountType {
    Taxable,
    Trust,
    TraditionalIra,
    RothIra,
    /// 401(k) and other qualified plans.
    Qualified,
}

impl AccountType {
    /// Taxable registrations realize gains on sale; IRAs and qualified plans are tax-deferred.
    pub fn is_taxable(self) -> bool {
        matches!(self, AccountType::Taxable | AccountType::Trust)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    Closed,
    Frozen,
    Restricted,
    PendingTransfer,
    Deceased,
}

/// Per-account, per-security trading restriction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestrictionKind {
    DoNotBuy,
    DoNotSell,
    /// Must not be held: any position is sold and it is never bought.
    DoNotHold,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restriction {
    pub security: String,
    pub kind: RestrictionKind,
}

/// Lot-relief method used when a sale does not pick lots for tax reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LotMethod {
    /// Lowest estimated tax per dollar of proceeds first: losses, then the smallest gains.
    MinTax,
    /// Highest cost basis first.
    Hifo,
    /// Oldest lot first.
    Fifo,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaxSettings {
    #[serde(default = "default_lot_method")]
    pub lot_method: LotMethod,
    /// Marginal rate on short-term gains (ordinary income).
    #[serde(default = "default_st_rate")]
    pub short_term_rate: Decimal,
    #[serde(default = "default_lt_rate")]
    pub long_term_rate: Decimal,
    /// Do not realize short-term gains unless cash must be raised.
    #[serde(default)]
    pub avoid_short_term_gains: bool,
    /// Cap on net realized gains for the calendar year; `None` means no cap.
    #[serde(default)]
    pub gain_budget: Option<Decimal>,
    /// Net gains already realized this year, counted against the budget.
    #[serde(default)]
    pub realized_gains_ytd: Decimal,
    /// Dollars of drift the client accepts to save one dollar of tax (the optimizer's λ).
    #[serde(default = "default_tax_aversion")]
    pub tax_aversion: Decimal,
}

fn default_lot_method() -> LotMethod {
    LotMethod::MinTax
}
fn default_st_rate() -> Decimal {
    Decimal::new(37, 2)
}
fn default_lt_rate() -> Decimal {
    Decimal::new(20, 2)
}
fn default_tax_aversion() -> Decimal {
    Decimal::from(10)
}

impl Default for TaxSettings {
    fn default() -> Self {
        TaxSettings {
            lot_method: default_lot_method(),
            short_term_rate: default_st_rate(),
            long_term_rate: default_lt_rate(),
            avoid_short_term_gains: false,
            gain_budget: None,
            realized_gains_ytd: Decimal::ZERO,
            tax_aversion: default_tax_aversion(),
        }
    }
}

/// What to do with a holding that is not in the account's model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OffModelPolicy {
    /// Sell it and invest the proceeds in the model.
    Sell,
    /// Keep it and leave it out of the model's base value.
    Hold,
}

/// One purchase of a security: quantity still held, cost per share and trade date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaxLot {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    pub quantity: Decimal,
    /// Cost basis per share, including any wash-sale adjustment.
    pub cost_basis: Decimal,
    pub acquired: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub security: String,
    pub lots: Vec<TaxLot>,
}

impl Position {
    pub fn quantity(&self) -> Decimal {
        self.lots.iter().map(|l| l.quantity).sum()
    }
}

/// A recent execution, used for the wash-sale windows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecentTrade {
    pub security: String,
    pub side: Side,
    pub quantity: Decimal,
    pub trade_date: NaiveDate,
    /// Net realized gain of a sale (negative for a loss); zero for buys.
    #[serde(default)]
    pub realized_gain: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    #[serde(default)]
    pub household: String,
    pub account_type: AccountType,
    #[serde(default = "default_status")]
    pub status: AccountStatus,
    /// The assigned model portfolio.
    pub model: String,
    pub cash: Decimal,
    /// Cash that must stay uninvested on top of the model's cash weight (fees, standing needs).
    #[serde(default)]
    pub cash_reserve: Decimal,
    /// A pending withdrawal the raise-cash mode must fund.
    #[serde(default)]
    pub withdrawal: Decimal,
    #[serde(default)]
    pub allows_fractional: bool,
    #[serde(default = "default_off_model")]
    pub off_model_policy: OffModelPolicy,
    #[serde(default)]
    pub restrictions: Vec<Restriction>,
    #[serde(default)]
    pub tax: TaxSettings,
    #[serde(default)]
    pub positions: Vec<Position>,
    #[serde(default)]
    pub recent_trades: Vec<RecentTrade>,
}

fn default_status() -> AccountStatus {
    AccountStatus::Active
}
fn default_off_model() -> OffModelPolicy {
    OffModelPolicy::Sell
}

impl Account {
    pub fn restricted(&self, security: &str, kind: RestrictionKind) -> bool {
        self.restrictions.iter().any(|r| r.kind == kind && r.security == security)
    }
}
