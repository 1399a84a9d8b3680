#[allow(unused_imports)]
use crate::*;

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "LIST.FIRM_RESTRICTED",
            |_| {},
            |s| s.trade = buy("RST", "10", "30"),
            "RST is on the firm's restricted list",
        ),
        case(
            "LIST.ACCOUNT_DO_NOT_BUY",
            |_| {},
            |s| s.account.restrictions.push(Restriction { security: "BBB".into(), kind: RestrictionKind::DoNotBuy }),
            "account CHK-1 has a do-not-buy restriction on BBB",
        ),
        case(
            "LIST.ACCOUNT_DO_NOT_HOLD",
            |_| {},
            |s| s.account.restrictions.push(Restriction { security: "BBB".into(), kind: RestrictionKind::DoNotHold }),
            "account CHK-1 must not hold BBB",
        ),
        case(
            "LIST.ACCOUNT_DO_NOT_SELL",
            |s| s.trade = sell("BBB", "10", "50"),
            |s| {
                s.account.restrictions.push(Restriction { security: "BBB".into(), kind: RestrictionKind::DoNotSell });
                s.trade = sell("BBB", "10", "50");
            },
            "account CHK-1 has a do-not-sell restriction on BBB",
        ),
    ]
}
