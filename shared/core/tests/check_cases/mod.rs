//! Pass and fail cases per check family.

pub mod account;
pub mod cash;
pub mod concentration;
pub mod data;
pub mod lists;
pub mod market;
pub mod model;
pub mod orders;
pub mod suitability;
pub mod tax;

/// Every case of every family.
pub fn all() -> Vec<crate::Case> {
    let mut all = Vec::new();
    all.extend(data::cases());
    all.extend(account::cases());
    all.extend(suitability::cases());
    all.extend(lists::cases());
    all.extend(concentration::cases());
    all.extend(cash::cases());
    all.extend(orders::cases());
    all.extend(tax::cases());
    all.extend(model::cases());
    all.extend(market::cases());
    all
}
