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
    /// Price of the execution, when known.
    #[serde(default)]
    pub price: Option<Decimal>,
    /// A buy paid for with sale proceeds that had not settled yet (cash accounts).
    #[serde(default)]
    pub paid_with_unsettled: bool,
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
    /// A pending withdrawal: never invested in any mode, and raised by sales in
    /// raise-cash mode (and in the others when cash falls short of it).
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
    /// Suitability, approvals and operational flags the pre-trade checks use.
    #[serde(default)]
    pub profile: ClientProfile,
}

/// Investment objective on the account's suitability profile, from most to least cautious.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    Preservation,
    Income,
    #[default]
    Balanced,
    Growth,
    Speculation,
}

/// An order already working at a market center for this account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingOrder {
    pub security: String,
    pub side: Side,
    pub quantity: Decimal,
    /// Estimated value of the order.
    pub amount: Decimal,
    pub placed: NaiveDate,
}

/// What the firm knows about the client and the account beyond the rebalancing settings.
/// Every field is optional in the book format; the defaults describe an ordinary,
/// discretionary, fully documented account with no special approvals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientProfile {
    /// Options approval level, 0 (none) to 4.
    pub options_level: u8,
    /// Approved for complex products (leveraged, inverse, volatility, ETNs).
    pub complex_approved: bool,
    /// Has a margin agreement.
    pub margin: bool,
    /// Risk tolerance, 1 (lowest) to 5 (highest).
    pub risk_tolerance: u8,
    pub objective: Objective,
    /// Years until the money is needed.
    pub horizon_years: Option<u32>,
    pub birth_date: Option<NaiveDate>,
    /// US state of residence (two letters).
    pub state: String,
    /// ISO country of residence; empty means US.
    pub country: String,
    pub accredited: bool,
    /// Qualified institutional buyer (Rule 144A).
    pub qualified_institutional: bool,
    /// A restricted person under FINRA Rule 5130 (broker-dealer personnel and their family).
    pub ipo_restricted_person: bool,
    /// Account of a firm employee: trades need pre-clearance.
    pub employee: bool,
    /// Pre-cleared securities for an employee account.
    pub precleared: Vec<String>,
    /// The client directs where its orders execute: they are never rerouted to another
    /// market center (they wait when their venue is halted).
    pub directed_routing: bool,
    /// Categories the client excludes (values-based screens), matched against security tags.
    pub exclusions: Vec<String>,
    /// The advisor may trade without asking the client each time.
    pub discretionary: bool,
    /// The client approved this rebalance (needed when the account is not discretionary).
    pub client_approved: bool,
    /// Date the suitability profile was last reviewed.
    pub kyc_reviewed: Option<NaiveDate>,
    pub opened: Option<NaiveDate>,
    /// Good-faith violations in the last 12 months (cash accounts).
    pub good_faith_violations_12m: u32,
    /// Regulation T / good-faith restriction: only settled cash may be used until this date.
    pub settled_cash_only_until: Option<NaiveDate>,
    /// Part of `cash` that is proceeds of sales not yet settled.
    pub unsettled_cash: Decimal,
    /// Orders already working for this account.
    pub pending_orders: Vec<PendingOrder>,
    /// Day trades in the last five business days.
    pub day_trades_5d: u32,
    /// Investment policy statement: largest equity weight the client allows.
    pub max_equity_weight: Option<Decimal>,
    /// Investment policy statement: smallest fixed-income weight the client requires.
    pub min_fixed_income_weight: Option<Decimal>,
    /// Anti-money-laundering review hold: no purchases.
    pub aml_hold: bool,
    /// Mail returned undeliverable: the firm cannot reach the client.
    pub returned_mail: bool,
    /// Taxpayer certification (W-9, or W-8BEN for non-US persons) on file.
    pub tax_certified: bool,
    /// An ERISA plan account (prohibited-transaction rules apply).
    pub erisa: bool,
    /// Required minimum distribution still to be taken this year.
    pub rmd_remaining: Decimal,
    /// Custodial (UTMA/UGMA) account: the date the minor comes of age.
    pub custodial_until: Option<NaiveDate>,
    /// A trusted contact person is on file (FINRA Rule 4512).
    pub trusted_contact: bool,
    /// A temporary hold on disbursements under FINRA Rule 2165 (suspected exploitation).
    pub exploitation_hold: bool,
    /// ERISA plan accounts: the issuer name (as in the security master) of the employer that
    /// sponsors the plan, whose securities are "employer securities" (ERISA §407); empty
    /// when unknown or not a plan.
    pub plan_sponsor: String,
}

impl Default for ClientProfile {
    fn default() -> Self {
        ClientProfile {
            options_level: 0,
            complex_approved: false,
            margin: false,
            risk_tolerance: 3,
            objective: Objective::Balanced,
            horizon_years: None,
            birth_date: None,
            state: String::new(),
            country: String::new(),
            accredited: false,
            qualified_institutional: false,
            ipo_restricted_person: false,
            employee: false,
            directed_routing: false,
            precleared: Vec::new(),
            exclusions: Vec::new(),
            discretionary: true,
            client_approved: false,
            kyc_reviewed: None,
            opened: None,
            good_faith_violations_12m: 0,
            settled_cash_only_until: None,
            unsettled_cash: Decimal::ZERO,
            pending_orders: Vec::new(),
            day_trades_5d: 0,
            max_equity_weight: None,
            min_fixed_income_weight: None,
            aml_hold: false,
            returned_mail: false,
            tax_certified: true,
            erisa: false,
            rmd_remaining: Decimal::ZERO,
            custodial_until: None,
            trusted_contact: true,
            exploitation_hold: false,
            plan_sponsor: String::new(),
        }
    }
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
