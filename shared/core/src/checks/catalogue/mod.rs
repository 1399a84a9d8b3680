//! The catalogue of pre-trade checks, one file per family. Each entry says why it exists;
//! docs/CHECKS.md is generated from here (`make checks-doc`).

mod account;
mod cash;
mod concentration;
mod data;
mod lists;
mod market;
mod model;
mod orders;
mod suitability;
mod tax;

use rust_decimal::Decimal;

use super::{CheckDef, CheckInput, Failure};
use crate::account::AccountStatus;

/// What every family file needs in scope.
#[allow(unused_imports)]
mod prelude {
    pub use chrono::{Datelike, Days, NaiveDate};
    pub use rust_decimal::Decimal;

    pub use super::super::{CheckDef, CheckInput, Failure, Family, ParamDef, Scope, Severity};
    pub use super::{dec, pct, security, status_check, CENT};
    pub use crate::account::{AccountStatus, AccountType, Objective, RestrictionKind};
    pub use crate::book::Attr;
    pub use crate::lists::VenueStatus;
    pub use crate::num::to_f64;
    pub use crate::security::{Rating, Security, SecurityKind, ShareClass};
    pub use crate::trade::{Side, Term};
}

/// The full catalogue, in documentation order.
pub fn catalogue() -> Vec<CheckDef> {
    let mut all = Vec::with_capacity(256);
    all.extend(data::checks());
    all.extend(account::checks());
    all.extend(suitability::checks());
    all.extend(lists::checks());
    all.extend(concentration::checks());
    all.extend(cash::checks());
    all.extend(orders::checks());
    all.extend(tax::checks());
    all.extend(market::checks());
    all.extend(model::checks());
    all
}

/// A decimal literal usable in `const` parameter tables: `dec(5, 2)` is 0.05.
pub const fn dec(mantissa: i64, scale: u32) -> Decimal {
    Decimal::from_parts(mantissa as u32, (mantissa >> 32) as u32, 0, false, scale)
}

pub const CENT: Decimal = dec(1, 2);

/// A fraction as a percentage for reasons: 0.0525 -> "5.25%".
pub fn pct(fraction: Decimal) -> String {
    format!("{}%", (fraction * Decimal::ONE_HUNDRED).round_dp(2).normalize())
}

pub fn status_check(input: &CheckInput<'_>, status: AccountStatus, word: &str) -> Option<Failure> {
    (input.account.status == status).then(|| {
        Failure::new(format!("account {} is {word}: no orders may be placed", input.account.id)).with("status", word)
    })
}

/// The traded security's reference entry, when known.
pub fn security<'a>(input: &'a CheckInput<'_>) -> Option<&'a crate::security::Security> {
    input.security.map(|i| input.reference.security(i))
}
