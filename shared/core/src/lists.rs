//! Firm compliance lists and market-center status: reference data the pre-trade checks
//! read beside the security master.

use serde::{Deserialize, Serialize};

/// Lists maintained by the firm's compliance department.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ComplianceLists {
    /// Securities under surveillance: trades are allowed but reviewed.
    pub watch: Vec<String>,
    /// Issuers on the restricted list (every security of the issuer is restricted).
    pub restricted_issuers: Vec<String>,
    /// Clients who are insiders (officers, directors, 10% holders) of an issuer.
    pub insiders: Vec<Insider>,
    /// Restrictions that apply to every account of a household.
    pub household_restrictions: Vec<HouseholdRestriction>,
    /// Countries under sanctions: securities of issuers domiciled there are not bought.
    pub sanctioned_countries: Vec<String>,
    /// Securities the firm has stopped recommending; buys need a reason.
    pub not_recommended: Vec<String>,
}

/// An insider relationship, recorded for an account or for a whole household.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Insider {
    #[serde(default)]
    pub account: Option<String>,
    #[serde(default)]
    pub household: Option<String>,
    pub issuer: String,
    /// Officer, director, 10% holder, ...
    #[serde(default)]
    pub role: String,
    /// The issuer's trading window is open (insiders may trade only then).
    #[serde(default)]
    pub window_open: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseholdRestriction {
    pub household: String,
    /// A security, or (when `issuer` is set) every security of an issuer.
    #[serde(default)]
    pub security: Option<String>,
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub reason: String,
}

/// Routing status of a market center, as set by the anomaly detector or an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum VenueStatus {
    #[default]
    Healthy,
    Degraded,
    Halted,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Venue {
    pub id: String,
    #[serde(default)]
    pub status: VenueStatus,
    /// Venue to route to while this one is not healthy.
    #[serde(default)]
    pub alternative: Option<String>,
}
