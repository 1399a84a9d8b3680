//! The security master: what can be traded, how it trades, and its price.

use chrono::{DateTime, Utc};
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
}

fn default_fraction_scale() -> u32 {
    3
}

impl Security {
    /// The key used for the wash-sale "substantially identical" test.
    pub fn wash_group(&self) -> &str {
        self.wash_sale_group.as_deref().unwrap_or(&self.id)
    }

    /// Smallest tradable quantity step for an account that does or does not allow fractions.
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
