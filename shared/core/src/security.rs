//! The security master: what can be traded, how it trades, and its price.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The broad kind of instrument; it decides how quantities are expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecurityKind {
    Equity,
    Etf,
    MutualFund,
    Bond,
    CashEquivalent,
    /// A listed option contract; its price and quantities are per contract.
    Option,
}

impl SecurityKind {
    pub const ALL: [SecurityKind; 6] = [
        SecurityKind::Equity,
        SecurityKind::Etf,
        SecurityKind::MutualFund,
        SecurityKind::Bond,
        SecurityKind::CashEquivalent,
        SecurityKind::Option,
    ];

    /// Dense index, for per-kind tables.
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SecurityKind::Equity => "equity",
            SecurityKind::Etf => "ETF",
            SecurityKind::MutualFund => "mutual fund",
            SecurityKind::Bond => "bond",
            SecurityKind::CashEquivalent => "cash equivalent",
            SecurityKind::Option => "option",
        }
    }
}

/// One entry of the security master.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Security {
    /// Symbol or CUSIP: the key every position, model and trade refers to.
    pub id: String,
    #[serde(default)]
    pub name: String,
    pub kind: SecurityKind,
    /// Whether fractional quantities may be traded (mutual funds trade in dollar amounts).
    #[serde(default)]
    pub fractional: bool,
    /// Decimal places of a fractional quantity (e.g. 3 for mutual fund shares).
    #[serde(default = "default_fraction_scale")]
    pub fraction_scale: u32,
    /// On the firm's restricted list: never bought by the engine.
    #[serde(default)]
    pub restricted: bool,
    /// Leveraged, inverse or volatility-linked product (FINRA RN 09-31); flagged for checks.
    #[serde(default)]
    pub complex_product: bool,
    /// Securities in the same group are "substantially identical" for the wash-sale rule
    /// (e.g. share classes of one fund). Defaults to the security itself.
    #[serde(default)]
    pub wash_sale_group: Option<String>,
    #[serde(default)]
    pub asset_class: String,
    /// Compliance reference data: issuer, venue, liquidity, product features and terms.
    #[serde(flatten)]
    pub profile: SecurityProfile,
}

/// What the pre-trade checks know about a security beyond what the rebalancer needs.
/// Every field is optional in the book format; the defaults describe a plain, liquid,
/// US-listed security with nothing special about it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SecurityProfile {
    /// Issuer (company) or fund sponsor; concentration and insider lists work per issuer.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub issuer: String,
    /// Sector (GICS-style for equities, category for funds).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sector: String,
    /// ISO country of the issuer's domicile; empty means US.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub country: String,
    /// Market center orders are routed to (primary venue), e.g. `XNYS`, `ARCX`, `OTC`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub venue: String,
    /// Average daily volume over the last 30 sessions, in shares (or contracts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adv: Option<Decimal>,
    /// Typical bid/ask spread as a fraction of the price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spread: Option<Decimal>,
    /// Trading halted by the listing market or the regulator.
    #[serde(skip_serializing_if = "is_false")]
    pub halted: bool,
    /// No longer listed; positions can only be closed.
    #[serde(skip_serializing_if = "is_false")]
    pub delisted: bool,
    /// On the Regulation SHO threshold list (persistent fails to deliver).
    #[serde(skip_serializing_if = "is_false")]
    pub threshold_list: bool,
    /// Hard to sell at a fair price within days (firm liquidity classification).
    #[serde(skip_serializing_if = "is_false")]
    pub illiquid: bool,
    /// Firm risk rating, 1 (lowest) to 5 (highest); 0 means unrated.
    #[serde(skip_serializing_if = "is_zero_u8")]
    pub risk_rating: u8,
    /// Exclusion categories for values-based screens, e.g. `tobacco`, `weapons`, `fossil_fuels`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Complex-product features (FINRA RN 09-31, 12-03).
    #[serde(skip_serializing_if = "ProductFlags::is_plain")]
    pub flags: ProductFlags,
    /// Only for accredited investors (private placements, some interval funds).
    #[serde(skip_serializing_if = "is_false")]
    pub accredited_only: bool,
    /// Rule 144A security: only qualified institutional buyers.
    #[serde(skip_serializing_if = "is_false")]
    pub rule_144a: bool,
    /// American depositary receipt of a foreign issuer.
    #[serde(skip_serializing_if = "is_false")]
    pub adr: bool,
    /// Passive foreign investment company: punitive US tax for US holders.
    #[serde(skip_serializing_if = "is_false")]
    pub pfic: bool,
    /// Partnership issuing a K-1 (e.g. an MLP): unrelated business income in IRAs.
    #[serde(skip_serializing_if = "is_false")]
    pub k1: bool,
    /// Listing date of a recent IPO (FINRA Rule 5130/5131 windows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipo_date: Option<NaiveDate>,
    /// Fund inception date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inception: Option<NaiveDate>,
    /// Fund assets under management, in dollars.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aum: Option<Decimal>,
    /// Annual expense ratio of a fund, as a fraction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expense_ratio: Option<Decimal>,
    /// Mutual-fund terms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fund: Option<FundTerms>,
    /// Bond terms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bond: Option<BondTerms>,
    /// Option contract terms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub option: Option<OptionTerms>,
}

fn is_false(b: &bool) -> bool {
    !*b
}
fn is_zero_u8(v: &u8) -> bool {
    *v == 0
}

/// Features that make a product "complex" for suitability purposes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProductFlags {
    #[serde(skip_serializing_if = "is_false")]
    pub leveraged: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub inverse: bool,
    /// Tracks volatility (VIX futures and the like).
    #[serde(skip_serializing_if = "is_false")]
    pub volatility: bool,
    /// Exchange-traded note: unsecured debt of the issuing bank.
    #[serde(skip_serializing_if = "is_false")]
    pub etn: bool,
    /// Holds commodity futures (roll costs, K-1 in some structures).
    #[serde(skip_serializing_if = "is_false")]
    pub commodity_futures: bool,
    /// Daily multiple of the index it tracks, e.g. 3 or -2; absent for plain products.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leverage_factor: Option<Decimal>,
}

impl ProductFlags {
    pub fn is_plain(&self) -> bool {
        *self == ProductFlags::default()
    }
}

/// Mutual-fund share class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ShareClass {
    /// Front-end load with breakpoints.
    A,
    /// Back-end load (contingent deferred sales charge).
    B,
    /// Level load and higher 12b-1 fee.
    C,
    /// Institutional / advisory class: no load.
    #[default]
    I,
    /// Retirement-plan class.
    R,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FundTerms {
    #[serde(default)]
    pub share_class: ShareClass,
    /// Minimum first purchase, in dollars.
    #[serde(default)]
    pub min_initial: Decimal,
    /// Minimum later purchase, in dollars.
    #[serde(default)]
    pub min_subsequent: Decimal,
    /// Closed to new investors (existing holders may add).
    #[serde(default)]
    pub closed_to_new: bool,
    /// Closed to all purchases.
    #[serde(default)]
    pub closed: bool,
    /// Days after purchase during which a redemption pays a short-term trading fee.
    #[serde(default)]
    pub redemption_fee_days: u32,
    /// That fee, as a fraction of the proceeds.
    #[serde(default)]
    pub redemption_fee: Decimal,
    /// Front-end sales charge, as a fraction (A shares).
    #[serde(default)]
    pub front_load: Decimal,
    /// Purchases at or above this amount pay no front load (the top breakpoint).
    #[serde(default)]
    pub breakpoint: Option<Decimal>,
}

/// Credit quality bucket of a bond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Aaa,
    Aa,
    A,
    Bbb,
    Bb,
    B,
    Ccc,
    Default,
    NotRated,
}

impl Rating {
    /// Rated BBB- or better.
    pub fn investment_grade(self) -> bool {
        matches!(self, Rating::Aaa | Rating::Aa | Rating::A | Rating::Bbb)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BondTerms {
    pub rating: Rating,
    pub maturity: NaiveDate,
    #[serde(default)]
    pub call_date: Option<NaiveDate>,
    /// State of a municipal issuer; interest is tax-exempt federally (and in that state).
    #[serde(default)]
    pub muni_state: Option<String>,
    /// Smallest face amount that can be bought, in dollars.
    #[serde(default)]
    pub min_denomination: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptionRight {
    Call,
    Put,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionTerms {
    pub underlying: String,
    pub right: OptionRight,
    pub strike: Decimal,
    pub expiry: NaiveDate,
    /// Shares per contract.
    #[serde(default = "default_multiplier")]
    pub multiplier: Decimal,
}

fn default_multiplier() -> Decimal {
    Decimal::ONE_HUNDRED
}

fn default_fraction_scale() -> u32 {
    3
}

impl Security {
    /// The key used for the wash-sale "substantially identical" test.
    pub fn wash_group(&self) -> &str {
        self.wash_sale_group.as_deref().unwrap_or(&self.id)
    }

    /// Foreign issuer (domicile outside the US, or an ADR).
    pub fn foreign(&self) -> bool {
        self.profile.adr || !(self.profile.country.is_empty() || self.profile.country == "US")
    }

    /// A US government bond (sector `Government`, US domicile): Treasuries carry no issuer
    /// credit risk, so issuer concentration limits do not apply to them.
    pub fn us_government(&self) -> bool {
        self.kind == SecurityKind::Bond && !self.foreign() && self.profile.sector.eq_ignore_ascii_case("government")
    }

    /// Any complex-product feature, or the summary flag.
    pub fn complex(&self) -> bool {
        self.complex_product || !self.profile.flags.is_plain()
    }

    /// Smallest purchase, in quantity steps, that keeps the position tradable: a bond's
    /// quantity counts $100 of face, and bonds are bought in pieces of their minimum
    /// denomination (usually $1,000 face, i.e. 10 units). Everything else: one step.
    pub fn buy_increment_steps(&self) -> i64 {
        match &self.profile.bond {
            Some(b) if self.kind == SecurityKind::Bond && b.min_denomination > Decimal::ONE_HUNDRED => {
                let steps = (b.min_denomination / Decimal::ONE_HUNDRED).ceil();
                i64::try_from(steps).unwrap_or(1).clamp(1, 1_000_000)
            }
            _ => 1,
        }
    }

    pub fn quantity_scale(&self, account_allows_fractional: bool) -> u32 {
        if self.fractional && account_allows_fractional {
            self.fraction_scale
        } else {
            0
        }
    }
}

/// A price with the time it was observed. Prices are per share (or per unit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Price {
    pub security: String,
    pub price: Decimal,
    pub as_of: DateTime<Utc>,
}
