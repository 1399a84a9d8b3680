#[allow(unused_imports)]
use crate::*;

pub fn cases() -> Vec<Case> {
    vec![case(
        "SUIT.COMPLEX_PRODUCT_IN_RETIREMENT",
        |s| s.account.account_type = AccountType::RothIra,
        |s| {
            s.account.account_type = AccountType::RothIra;
            s.trade = buy("CPX", "10", "20");
        },
        "CPX is a complex (leveraged/inverse) product and cannot be bought in a retirement account",
    )]
}
