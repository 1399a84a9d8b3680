//! Placeholder while the planner is written.
use super::*;
pub(super) fn run(_reference: &Reference, account: &Account, _options: &RebalanceOptions) -> AccountResult {
    AccountResult::empty(account, AccountOutcome::NoTradesNeeded)
}
