//! Account status and eligibility checks.

#[allow(unused_imports)]
use super::prelude::*;

use chrono::Months;

use crate::num::{from_f64, Round};
use crate::trade::TradeReason;

const KYC_STALE: &[ParamDef] = &[ParamDef {
    name: "max_months",
    meaning: "months since the last review of the client's profile before it is stale",
    default: dec(36, 0),
    min: dec(6, 0),
    max: dec(60, 0),
}];

const AGE_OF_MAJORITY: &[ParamDef] = &[ParamDef {
    name: "age_of_majority",
    meaning: "age below which a client is a minor",
    default: dec(18, 0),
    min: dec(18, 0),
    max: dec(21, 0),
}];

const CUSTODIAL_ENDING: &[ParamDef] = &[ParamDef {
    name: "notice_days",
    meaning: "days before the custodianship ends from which purchases are flagged",
    default: dec(90, 0),
    min: dec(7, 0),
    max: dec(365, 0),
}];

const NEW_ACCOUNT_LIQUIDATION: &[ParamDef] = &[
    ParamDef {
        name: "new_account_days",
        meaning: "days after opening during which an account counts as new",
        default: dec(30, 0),
        min: dec(1, 0),
        max: dec(365, 0),
    },
    ParamDef {
        name: "max_sold_fraction",
        meaning: "fraction of the account's value the batch may sell while the account is new",
        default: dec(50, 2),
        min: dec(5, 2),
        max: dec(1, 0),
    },
];

const SENIOR_AGE: ParamDef = ParamDef {
    name: "senior_age",
    meaning: "age from which a client is a specified adult (FINRA Rule 2165)",
    default: dec(65, 0),
    min: dec(50, 0),
    max: dec(90, 0),
};

const TRUSTED_CONTACT: &[ParamDef] = &[SENIOR_AGE];

const SENIOR_WITHDRAWAL: &[ParamDef] = &[
    SENIOR_AGE,
    ParamDef {
        name: "max_withdrawal_fraction",
        meaning: "pending withdrawal, as a fraction of the account's value, above which sales are flagged",
        default: dec(25, 2),
        min: dec(1, 2),
        max: dec(1, 0),
    },
];

const ERISA_EMPLOYER: &[ParamDef] = &[ParamDef {
    name: "max_fraction",
    meaning: "largest weight of the sponsor's own securities in the plan account after the batch",
    default: dec(10, 2),
    min: dec(0, 0),
    max: dec(1, 0),
}];

const BACKUP_WITHHOLDING: &[ParamDef] = &[ParamDef {
    name: "rate",
    meaning: "backup withholding rate on gross proceeds",
    default: dec(24, 2),
    min: dec(0, 0),
    max: dec(50, 2),
}];

const NRA_WITHHOLDING: &[ParamDef] = &[ParamDef {
    name: "rate",
    meaning: "withholding rate on US-source dividends without a treaty form",
    default: dec(30, 2),
    min: dec(0, 0),
    max: dec(50, 2),
}];

const IMPLAUSIBLE_AGE: &[ParamDef] = &[ParamDef {
    name: "max_age",
    meaning: "age from which the client's survival is confirmed before trading",
    default: dec(110, 0),
    min: dec(90, 0),
    max: dec(130, 0),
}];

/// UTMA termination ages across the states (18 in a few, 21 in most, up to 25 by election).
const UTMA_MIN_AGE: u32 = 18;
const UTMA_MAX_AGE: u32 = 25;

/// The 50 states, DC, the territories and the military "states" of APO/FPO addresses.
const US_STATES: [&str; 59] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME",
    "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA",
    "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC", "PR", "GU", "VI", "AS", "MP", "AA",
    "AE", "AP",
];

/// Residence in the US: no country, or the US itself.
fn us_resident(country: &str) -> bool {
    country.is_empty() || country.eq_ignore_ascii_case("US") || country.eq_ignore_ascii_case("USA")
}

/// A whole-number parameter (days, months, years).
fn whole(p: Decimal) -> u32 {
    to_f64(p).clamp(0.0, u32::MAX as f64) as u32
}

/// A weight computed in floating point, as a percentage for reasons.
fn pct_f(x: f64) -> String {
    pct(from_f64(x, 4, Round::Nearest))
}

/// `a / b`, zero when it cannot be computed.
fn ratio(a: Decimal, b: Decimal) -> Decimal {
    const LIMIT: Decimal = dec(1_000_000_000, 0);
    a.checked_div(b).unwrap_or_default().clamp(-LIMIT, LIMIT)
}

/// The sale funds a disbursement: it raises cash, or a withdrawal is waiting for its proceeds.
fn funds_disbursement(i: &CheckInput<'_>) -> bool {
    i.trade.side == Side::Sell && (i.trade.reason == TradeReason::CashRaise || i.account.withdrawal > Decimal::ZERO)
}

pub(super) fn checks() -> Vec<CheckDef> {
    vec![
        CheckDef {
            id: "ACCT.TRADE_FOR_ANOTHER_ACCOUNT",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "A trade must be checked against the account it will be booked to.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| {
                (*i.trade.account != *i.account.id).then(|| {
                    Failure::new(format!(
                        "trade is for account {} but was checked against account {}",
                        i.trade.account, i.account.id
                    ))
                    .with("trade_account", &i.trade.account)
                })
            },
        },
        CheckDef {
            id: "ACCT.CLOSED",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "A closed account must not trade.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| status_check(i, AccountStatus::Closed, "closed"),
        },
        CheckDef {
            id: "ACCT.FROZEN",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "A frozen account (legal hold, dispute, 90-day freeze) must not trade.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| status_check(i, AccountStatus::Frozen, "frozen"),
        },
        CheckDef {
            id: "ACCT.DECEASED",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "After the owner's death only the estate's representative may instruct trades.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| status_check(i, AccountStatus::Deceased, "flagged deceased"),
        },
        CheckDef {
            id: "ACCT.PENDING_TRANSFER",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "Assets in an outgoing transfer (ACATS) must not be traded.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| status_check(i, AccountStatus::PendingTransfer, "pending transfer"),
        },
        CheckDef {
            id: "ACCT.RESTRICTED_BUY",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "A restricted account (e.g. after good-faith violations) may only sell.",
            params: &[],
            scope: Scope::BUY,
            run: |i, _| {
                (i.account.status == AccountStatus::Restricted && i.trade.side == Side::Buy).then(|| {
                    Failure::new(format!(
                        "account {} is restricted to closing sales; buy of {} refused",
                        i.account.id, i.trade.security
                    ))
                    .with("status", "restricted")
                })
            },
        },
        CheckDef {
            id: "ACCT.NOT_YET_OPEN",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "FINRA Rules 4512 and 3110: an account trades only once it is opened and approved; an opening date after the trade date means it is not.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| {
                let opened = i.account.profile.opened?;
                let today = i.reference.trade_date;
                (opened > today).then(|| {
                    Failure::new(format!(
                        "account {} opens on {opened}, after the trade date {today}: no orders before it is open",
                        i.account.id
                    ))
                    .with("opened", opened)
                })
            },
        },
        CheckDef {
            id: "ACCT.NON_DISCRETIONARY_UNAPPROVED",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "FINRA Rule 3260(b) and the advisory agreement: without written discretion every trade needs the client's approval before it is placed.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| {
                let p = &i.account.profile;
                (!p.discretionary && !p.client_approved).then(|| {
                    Failure::new(format!(
                        "account {} is non-discretionary and the client has not approved this rebalance: {} of {} refused",
                        i.account.id,
                        i.trade.side.as_str(),
                        i.trade.security
                    ))
                    .with("discretionary", false)
                    .with("client_approved", false)
                })
            },
        },
        CheckDef {
            id: "ACCT.AML_HOLD",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "Bank Secrecy Act and FINRA Rule 3310: while the AML team reviews an account, no new money goes into securities.",
            params: &[],
            scope: Scope::BUY,
            run: |i, _| {
                (i.account.profile.aml_hold && i.trade.side == Side::Buy).then(|| {
                    Failure::new(format!(
                        "account {} is on an anti-money-laundering review hold: buy of {} {} refused",
                        i.account.id, i.trade.amount, i.trade.security
                    ))
                    .with("aml_hold", true)
                    .with("amount", i.trade.amount)
                })
            },
        },
        CheckDef {
            id: "ACCT.RETURNED_MAIL",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "Mail returned undeliverable means the firm cannot send confirmations or statements (SEC Rule 10b-10, FINRA Rule 2231): no new purchases until the address is fixed.",
            params: &[],
            scope: Scope::BUY,
            run: |i, _| {
                (i.account.profile.returned_mail && i.trade.side == Side::Buy).then(|| {
                    Failure::new(format!(
                        "mail to the owner of account {} is returned undeliverable: no new purchases ({} of {}) until the address is updated",
                        i.account.id, i.trade.amount, i.trade.security
                    ))
                    .with("returned_mail", true)
                })
            },
        },
        CheckDef {
            id: "ACCT.RETURNED_MAIL_DISBURSEMENT",
            family: Family::AccountEligibility,
            severity: Severity::Warn,
            why: "A disbursement while the address of record is bad is an identity-theft red flag (Regulation S-ID): sales that fund a withdrawal need the owner confirmed first.",
            params: &[],
            scope: Scope::SELL,
            run: |i, _| {
                let w = i.account.withdrawal;
                (i.account.profile.returned_mail && i.trade.side == Side::Sell && w > Decimal::ZERO).then(|| {
                    Failure::new(format!(
                        "sale of {} funds a withdrawal of {} although mail to the owner is returned undeliverable: confirm the owner and address before paying out",
                        i.trade.security, w
                    ))
                    .with("withdrawal", w)
                })
            },
        },
        CheckDef {
            id: "ACCT.BACKUP_WITHHOLDING",
            family: Family::AccountEligibility,
            severity: Severity::Warn,
            why: "IRC §3406: without a certified taxpayer number (Form W-9) the firm must withhold part of the gross proceeds of every sale in a taxable account.",
            params: BACKUP_WITHHOLDING,
            scope: Scope::SELL.taxable(),
            run: |i, p| {
                let profile = &i.account.profile;
                if profile.tax_certified || !us_resident(&profile.country) || p[0].is_zero() {
                    return None;
                }
                let withheld = (i.trade.amount * p[0]).round_dp(2);
                Some(
                    Failure::new(format!(
                        "no W-9 on file: {} of the {} proceeds of {} ({}) will be withheld as backup withholding",
                        withheld,
                        i.trade.amount,
                        i.trade.security,
                        pct(p[0])
                    ))
                    .with("withheld", withheld)
                    .with("rate", p[0]),
                )
            },
        },
        CheckDef {
            id: "ACCT.FOREIGN_TAX_FORM_MISSING",
            family: Family::AccountEligibility,
            severity: Severity::Warn,
            why: "IRC §§1441-1442: a non-US client without a Form W-8BEN on file pays the full statutory withholding on US-source dividends instead of the treaty rate.",
            params: NRA_WITHHOLDING,
            scope: Scope::BUY.known(),
            run: |i, p| {
                let profile = &i.account.profile;
                if profile.tax_certified || us_resident(&profile.country) {
                    return None;
                }
                let s = security(i)?;
                (!s.foreign()).then(|| {
                    Failure::new(format!(
                        "no W-8BEN on file for a resident of {}: US-source dividends on {} will be withheld at {}",
                        profile.country,
                        s.id,
                        pct(p[0])
                    ))
                    .with("country", &profile.country)
                    .with("rate", p[0])
                })
            },
        },
        CheckDef {
            id: "ACCT.KYC_STALE",
            family: Family::AccountEligibility,
            severity: Severity::Warn,
            why: "FINRA Rules 2090 and 2111 and SEC Rule 17a-3(a)(17): suitability rests on a current client profile, which must be refreshed at least every 36 months.",
            params: KYC_STALE,
            scope: Scope::ANY,
            run: |i, p| {
                let reviewed = i.account.profile.kyc_reviewed?;
                let months = whole(p[0]);
                let cutoff = i.reference.trade_date.checked_sub_months(Months::new(months))?;
                (reviewed < cutoff).then(|| {
                    Failure::new(format!(
                        "the client profile of account {} was last reviewed on {reviewed}, more than {months} months before {}",
                        i.account.id, i.reference.trade_date
                    ))
                    .with("kyc_reviewed", reviewed)
                    .with("max_months", months)
                })
            },
        },
        CheckDef {
            id: "ACCT.TRUSTED_CONTACT_MISSING",
            family: Family::AccountEligibility,
            severity: Severity::Info,
            why: "FINRA Rule 4512(a)(1)(F): firms must try to obtain a trusted contact, the person they call first when they suspect exploitation of an older client (Rule 2165). Raised on sales, where money can leave the account; an account-level gap, so it informs rather than warns on every trade.",
            params: TRUSTED_CONTACT,
            scope: Scope::SELL,
            run: |i, p| {
                if i.account.profile.trusted_contact {
                    return None;
                }
                let age = i.context.age?;
                (Decimal::from(age) >= p[0]).then(|| {
                    Failure::new(format!("the owner of account {} is {age} and has no trusted contact person on file", i.account.id))
                        .with("age", age)
                        .with("senior_age", p[0])
                })
            },
        },
        CheckDef {
            id: "ACCT.SENIOR_LARGE_WITHDRAWAL",
            family: Family::AccountEligibility,
            severity: Severity::Warn,
            why: "FINRA Rule 2165: a sudden large withdrawal by a specified adult (65 or over) is a common sign of financial exploitation, reviewed before the money goes out.",
            params: SENIOR_WITHDRAWAL,
            scope: Scope::SELL,
            run: |i, p| {
                let w = i.account.withdrawal;
                if w <= Decimal::ZERO || i.trade.side != Side::Sell {
                    return None;
                }
                let age = i.context.age?;
                let mv = i.context.market_value;
                (Decimal::from(age) >= p[0] && mv > Decimal::ZERO && w >= p[1] * mv).then(|| {
                    Failure::new(format!(
                        "client aged {age} is withdrawing {w}, {} of the account's {mv} (review above {})",
                        pct(ratio(w, mv)),
                        pct(p[1])
                    ))
                    .with("age", age)
                    .with("withdrawal", w)
                    .with("market_value", mv)
                })
            },
        },
        CheckDef {
            id: "ACCT.EXPLOITATION_HOLD_DISBURSEMENT",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "FINRA Rule 2165: a temporary hold placed on suspected financial exploitation stops disbursements, so sales that raise cash to pay one out must wait.",
            params: &[],
            scope: Scope::SELL,
            run: |i, _| {
                (i.account.profile.exploitation_hold && funds_disbursement(i)).then(|| {
                    Failure::new(format!(
                        "account {} is under a Rule 2165 hold: sale of {} raising cash (pending withdrawal {}) refused",
                        i.account.id, i.trade.security, i.account.withdrawal
                    ))
                    .with("withdrawal", i.account.withdrawal)
                    .with("reason", i.trade.reason.as_str())
                })
            },
        },
        CheckDef {
            id: "ACCT.EXPLOITATION_HOLD",
            family: Family::AccountEligibility,
            severity: Severity::Warn,
            why: "FINRA Rule 2165: while a hold for suspected exploitation is open, every trade in the account is shown to the reviewer handling the case.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| {
                (i.account.profile.exploitation_hold && !funds_disbursement(i)).then(|| {
                    Failure::new(format!(
                        "account {} is under a Rule 2165 exploitation hold: {} of {} {} needs the case reviewer's sign-off",
                        i.account.id,
                        i.trade.side.as_str(),
                        i.trade.amount,
                        i.trade.security
                    ))
                    .with("exploitation_hold", true)
                })
            },
        },
        CheckDef {
            id: "ACCT.MINOR_NOT_CUSTODIAL",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "A minor cannot be bound by a brokerage agreement: a minor's assets are held in a custodial (UTMA/UGMA) or guardianship account.",
            params: AGE_OF_MAJORITY,
            scope: Scope::ANY,
            run: |i, p| {
                let age = i.context.age?;
                (Decimal::from(age) < p[0] && i.account.profile.custodial_until.is_none()).then(|| {
                    Failure::new(format!(
                        "the owner of account {} is {age}, under the age of majority of {}, and the account is not custodial",
                        i.account.id, p[0]
                    ))
                    .with("age", age)
                })
            },
        },
        CheckDef {
            id: "ACCT.CUSTODIAL_MAJORITY_REACHED",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "UTMA/UGMA: the custodian's authority ends when the minor comes of age; the account must be re-registered to the former minor, who alone may then instruct trades.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| {
                let until = i.account.profile.custodial_until?;
                (until <= i.reference.trade_date).then(|| {
                    Failure::new(format!(
                        "the custodianship of account {} ended on {until}: it must be re-registered to the beneficiary before trading",
                        i.account.id
                    ))
                    .with("custodial_until", until)
                })
            },
        },
        CheckDef {
            id: "ACCT.CUSTODIAL_ENDING_SOON",
            family: Family::AccountEligibility,
            severity: Severity::Info,
            why: "Purchases in a custodial account shortly before the beneficiary comes of age pass to them at termination; operations prepares the re-registration.",
            params: CUSTODIAL_ENDING,
            scope: Scope::BUY,
            run: |i, p| {
                let until = i.account.profile.custodial_until?;
                let days = (until - i.reference.trade_date).num_days();
                (days > 0 && days <= whole(p[0]) as i64).then(|| {
                    Failure::new(format!(
                        "the custodianship of account {} ends on {until}, in {days} days: the buy of {} will pass to the beneficiary",
                        i.account.id, i.trade.security
                    ))
                    .with("custodial_until", until)
                    .with("days", days)
                })
            },
        },
        CheckDef {
            id: "ACCT.CUSTODIAL_TERMINATION_AGE",
            family: Family::AccountEligibility,
            severity: Severity::Warn,
            why: "State UTMA acts end custodianship between ages 18 and 25; an end date outside that range from the birth date means the registration is miscoded.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| {
                let p = &i.account.profile;
                let (until, born) = (p.custodial_until?, p.birth_date?);
                let age = until.years_since(born);
                let ok = matches!(age, Some(a) if (UTMA_MIN_AGE..=UTMA_MAX_AGE).contains(&a));
                (!ok).then(|| {
                    let at = age.map(|a| a.to_string()).unwrap_or_else(|| "before birth".into());
                    Failure::new(format!(
                        "custodianship ends on {until}, at age {at} of a beneficiary born {born}: UTMA termination ages are {UTMA_MIN_AGE} to {UTMA_MAX_AGE}"
                    ))
                    .with("custodial_until", until)
                    .with("birth_date", born)
                })
            },
        },
        CheckDef {
            id: "ACCT.CUSTODIAL_MARGIN",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "A custodian must manage the minor's property prudently (UTMA §12) and may not pledge it: custodial accounts cannot trade on margin.",
            params: &[],
            scope: Scope::BUY,
            run: |i, _| {
                let p = &i.account.profile;
                (p.margin && p.custodial_until.is_some() && i.trade.side == Side::Buy).then(|| {
                    Failure::new(format!(
                        "custodial account {} has a margin agreement: buy of {} refused until margin is removed",
                        i.account.id, i.trade.security
                    ))
                    .with("margin", true)
                })
            },
        },
        CheckDef {
            id: "ACCT.CUSTODIAL_WITHDRAWAL",
            family: Family::AccountEligibility,
            severity: Severity::Warn,
            why: "UTMA §14: custodial property may be paid out only for the minor's benefit, so a withdrawal from a custodial account is reviewed.",
            params: &[],
            scope: Scope::SELL,
            run: |i, _| {
                let w = i.account.withdrawal;
                if w <= Decimal::ZERO || i.trade.side != Side::Sell {
                    return None;
                }
                let until = i.account.profile.custodial_until?;
                Some(
                    Failure::new(format!(
                        "sale of {} funds a withdrawal of {} from custodial account {} (custodianship until {until}): it must be for the minor's benefit",
                        i.trade.security, w, i.account.id
                    ))
                    .with("withdrawal", w),
                )
            },
        },
        CheckDef {
            id: "ACCT.MARGIN_IN_RETIREMENT",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "IRC §4975(c)(1)(B) and §408(e)(4): borrowing against an IRA or plan is a prohibited transaction, so a margin agreement on a retirement account must not be used.",
            params: &[],
            scope: Scope::BUY.retirement(),
            run: |i, _| {
                (i.account.profile.margin && !i.account.account_type.is_taxable()).then(|| {
                    Failure::new(format!(
                        "retirement account {} carries a margin agreement: buy of {} refused until it is removed",
                        i.account.id, i.trade.security
                    ))
                    .with("margin", true)
                })
            },
        },
        CheckDef {
            id: "ACCT.ERISA_EMPLOYER_SECURITIES",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "ERISA §407(a): a plan may not acquire securities of the employer that sponsors it once they would exceed 10% of the plan's assets.",
            params: ERISA_EMPLOYER,
            scope: Scope::BUY.known(),
            run: |i, p| {
                let profile = &i.account.profile;
                if !profile.erisa || profile.plan_sponsor.is_empty() {
                    return None;
                }
                let sec = i.security?;
                let s = i.reference.security(sec);
                if s.profile.issuer != profile.plan_sponsor || i.context.market_value_f <= 0.0 {
                    return None;
                }
                let weight = i.context.exposure_after(i.reference, sec, Attr::Issuer) / i.context.market_value_f;
                (weight > to_f64(p[0])).then(|| {
                    Failure::new(format!(
                        "after this batch securities of the plan sponsor {} would be {} of the plan account (limit {})",
                        profile.plan_sponsor,
                        pct_f(weight),
                        pct(p[0])
                    ))
                    .with("sponsor", &profile.plan_sponsor)
                    .with("weight", pct_f(weight))
                })
            },
        },
        CheckDef {
            id: "ACCT.ERISA_TAXABLE_REGISTRATION",
            family: Family::AccountEligibility,
            severity: Severity::Warn,
            why: "ERISA §403(a): plan assets are held in trust; an ERISA flag on an individual taxable registration means the account is miscoded or plan money is held outside the plan.",
            params: &[],
            scope: Scope::ANY.accounts(&[AccountType::Taxable]),
            run: |i, _| {
                (i.account.profile.erisa && i.account.account_type == AccountType::Taxable).then(|| {
                    Failure::new(format!(
                        "account {} is flagged as an ERISA plan but registered as an individual taxable account",
                        i.account.id
                    ))
                    .with("erisa", true)
                })
            },
        },
        CheckDef {
            id: "ACCT.FOREIGN_RESIDENT_US_FUND",
            family: Family::AccountEligibility,
            severity: Severity::Block,
            why: "US mutual funds are registered for sale in the US only; selling them to residents abroad breaches local offering rules (e.g. the EU PRIIPs KID requirement).",
            params: &[],
            scope: Scope::BUY.kinds(&[SecurityKind::MutualFund]),
            run: |i, _| {
                let country = &i.account.profile.country;
                if us_resident(country) {
                    return None;
                }
                let s = security(i)?;
                (!s.foreign()).then(|| {
                    Failure::new(format!(
                        "the owner of account {} resides in {country}: the US mutual fund {} may not be offered there",
                        i.account.id, s.id
                    ))
                    .with("country", country)
                })
            },
        },
        CheckDef {
            id: "ACCT.INVALID_STATE",
            family: Family::AccountEligibility,
            severity: Severity::Warn,
            why: "State securities law (Uniform Securities Act, blue-sky registration) follows the client's state of residence, so an unrecognised state code leaves it unchecked.",
            params: &[],
            scope: Scope::BUY,
            run: |i, _| {
                let p = &i.account.profile;
                if p.state.is_empty() || !us_resident(&p.country) {
                    return None;
                }
                (!US_STATES.iter().any(|s| s.eq_ignore_ascii_case(&p.state))).then(|| {
                    Failure::new(format!(
                        "state of residence {:?} of account {} is not a US state or territory code",
                        p.state, i.account.id
                    ))
                    .with("state", &p.state)
                })
            },
        },
        CheckDef {
            id: "ACCT.RESIDENCE_CONFLICT",
            family: Family::AccountEligibility,
            severity: Severity::Warn,
            why: "Customer identification (31 CFR 1023.220) needs one residential address: a US state together with a foreign country leaves it unclear which jurisdiction's rules apply.",
            params: &[],
            scope: Scope::ANY,
            run: |i, _| {
                let p = &i.account.profile;
                (!p.state.is_empty() && !us_resident(&p.country)).then(|| {
                    Failure::new(format!(
                        "account {} gives the US state {} and the country {} as residence",
                        i.account.id, p.state, p.country
                    ))
                    .with("state", &p.state)
                    .with("country", &p.country)
                })
            },
        },
        CheckDef {
            id: "ACCT.AGE_IMPLAUSIBLE",
            family: Family::AccountEligibility,
            severity: Severity::Warn,
            why: "A birth date implying an extreme age often means an unreported death (the account then belongs to the estate) or a keying error; survival is confirmed before trading.",
            params: IMPLAUSIBLE_AGE,
            scope: Scope::ANY,
            run: |i, p| {
                let age = i.context.age?;
                (Decimal::from(age) >= p[0]).then(|| {
                    Failure::new(format!(
                        "the owner of account {} would be {age} (born {}): confirm the owner is alive and the birth date is right",
                        i.account.id,
                        i.account.profile.birth_date.map(|d| d.to_string()).unwrap_or_default()
                    ))
                    .with("age", age)
                })
            },
        },
        CheckDef {
            id: "ACCT.NEW_ACCOUNT_LIQUIDATION",
            family: Family::AccountEligibility,
            severity: Severity::Warn,
            why: "FINRA RN 19-18: assets deposited and quickly liquidated in a new account are a money-laundering red flag that the AML team reviews.",
            params: NEW_ACCOUNT_LIQUIDATION,
            scope: Scope::SELL,
            run: |i, p| {
                let opened = i.account.profile.opened?;
                let days = (i.reference.trade_date - opened).num_days();
                let mv = i.context.market_value;
                if days < 0 || days >= whole(p[0]) as i64 || mv <= Decimal::ZERO {
                    return None;
                }
                let sold = i.context.sold;
                (sold >= p[1] * mv).then(|| {
                    Failure::new(format!(
                        "account {} opened {days} days ago and this batch sells {sold}, {} of its {mv} (review from {})",
                        i.account.id,
                        pct(ratio(sold, mv)),
                        pct(p[1])
                    ))
                    .with("opened", opened)
                    .with("sold", sold)
                })
            },
        },
    ]
}
