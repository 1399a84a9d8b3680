#[allow(unused_imports)]
use crate::*;

pub fn cases() -> Vec<Case> {
    vec![case(
        "CONC.SINGLE_SECURITY",
        |_| {},
        |s| s.trade = buy("BBB", "100", "50"),
        "BBB would be 30.00% of the account after this buy (limit 25.00%)",
    )]
}
