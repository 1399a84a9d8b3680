//! Deterministic, seeded generator of realistic synthetic books: a security master with
//! prices, model portfolios (some of sleeves) and substitutes, and client accounts with
//! tax lots, each a pure function of (seed, index).
//!
//! ```
//! let file = ballast_synth::reference(42);
//! let universe = ballast_synth::Universe::new(&file).unwrap();
//! let account = ballast_synth::account(42, 0, &universe);
//! assert_eq!(account.id, "ACC-0000000");
//! ```

mod account;
mod book;
mod reference;
pub mod rng;
mod universe;

pub use account::{account, account_id, household_id};
pub use book::write_book;
pub use reference::{default_trade_date, reference, reference_with, ReferenceOptions};
pub use universe::{Universe, UniverseError};
