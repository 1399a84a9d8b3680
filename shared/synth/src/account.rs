//! Synthetic client accounts: each one a pure function of (seed, index), so a million of
//! them are generated in parallel without holding any of them in memory.

use ballast_core::{
    Account, AccountStatus, AccountType, ClientProfile, LotMethod, Objective, OffModelPolicy, PendingOrder, Position,
    RecentTrade, Restriction, RestrictionKind, Side, TaxLot, TaxSettings,
};
use chrono::{Datelike, Days};
use rust_decimal::Decimal;

use crate::rng::{exp, Rng};
use crate::universe::{ModelInfo, SecurityInfo, Universe, MAX_AGE_DAYS};

const ACCOUNT_DOMAIN: u64 = 2;
const HOUSEHOLD_DOMAIN: u64 = 3;
/// Stream domain of the client profiles (4 and 5 are the reference's compliance data).
const CLIENT_DOMAIN: u64 = 6;

/// States of residence (and DC), weighted by population in hundred thousands.
const STATES: [&str; 51] = [
    "CA", "TX", "FL", "NY", "PA", "IL", "OH", "GA", "NC", "MI", "NJ", "VA", "WA", "AZ", "MA", "TN", "IN", "MD", "MO",
    "WI", "CO", "MN", "SC", "AL", "LA", "KY", "OR", "OK", "CT", "UT", "IA", "NV", "AR", "MS", "KS", "NM", "NE", "ID",
    "WV", "HI", "NH", "ME", "RI", "MT", "DE", "SD", "ND", "AK", "DC", "VT", "WY",
];
const STATE_WEIGHTS: [u32; 51] = [
    395, 290, 216, 201, 130, 128, 118, 107, 105, 100, 93, 86, 77, 72, 70, 69, 68, 62, 62, 59, 58, 57, 51, 50, 46, 45,
    42, 40, 36, 33, 32, 31, 30, 30, 29, 21, 20, 18, 18, 14, 14, 14, 11, 11, 10, 9, 8, 7, 7, 6, 6,
];

/// Values screens clients ask for, and how often each is chosen.
const EXCLUSIONS: [&[&str]; 5] =
    [&["tobacco"], &["weapons"], &["fossil_fuels"], &["weapons", "fossil_fuels"], &["alcohol", "tobacco", "gambling"]];
const EXCLUSION_WEIGHTS: [u32; 5] = [25, 20, 25, 20, 10];

/// Households are cut from blocks of this many consecutive accounts.
const HOUSEHOLD_BLOCK: u64 = 4;

/// Ways to cut a block of four accounts into households, and their weights.
const HOUSEHOLD_SPLITS: [&[u64]; 8] =
    [&[1, 1, 1, 1], &[2, 1, 1], &[1, 2, 1], &[1, 1, 2], &[2, 2], &[3, 1], &[1, 3], &[4]];
const HOUSEHOLD_WEIGHTS: [u32; 8] = [15, 10, 10, 10, 15, 8, 8, 6];

/// Lots per position: 1 to 5, mean ~3.1.
const LOT_COUNT_WEIGHTS: [u32; 5] = [12, 20, 30, 22, 16];

/// The account at `index` of the book generated from `seed`.
pub fn account(seed: u64, index: u64, universe: &Universe) -> Account {
    let mut rng = Rng::stream(seed, ACCOUNT_DOMAIN, index);
    let account_type = match rng.weighted(&[55, 8, 20, 10, 7]) {
        0 => AccountType::Taxable,
        1 => AccountType::Trust,
        2 => AccountType::TraditionalIra,
        3 => AccountType::RothIra,
        _ => AccountType::Qualified,
    };
    let status = if rng.chance(0.99) {
        AccountStatus::Active
    } else {
        [
            AccountStatus::Closed,
            AccountStatus::Frozen,
            AccountStatus::Deceased,
            AccountStatus::PendingTransfer,
            AccountStatus::Restricted,
        ][rng.index(5)]
    };
    let model = &universe.models[rng.weighted(&universe.popularity)];
    // Median $220k: ln(220,000) = 12.3014.
    let value = rng.log_normal(12.301_382_825_334_498, 1.0).clamp(25_000.0, 5_000_000.0);

    // Cash: near the model's target for most accounts, well above it for a few new deposits.
    let cash_fraction = if rng.chance(0.03) {
        rng.uniform(0.08, 0.25)
    } else {
        (model.cash_weight + 0.01 * rng.normal()).clamp(0.0, 0.08)
    };

    // How far the account has drifted since its last rebalance: a mix of recently
    // rebalanced, ordinary and long-neglected accounts, plus one equity-market move.
    let sigma = match rng.weighted(&[35, 40, 25]) {
        0 => rng.uniform(0.02, 0.06),
        1 => rng.uniform(0.08, 0.20),
        _ => rng.uniform(0.30, 0.60),
    };
    let equity_move = 0.04 * rng.normal();

    // Which model holdings are held: nearly all, or a subset for a partly invested account.
    let n = model.targets.len();
    let partial = rng.chance(0.08);
    let keep = if partial { rng.range(5.min(n as i64), (n as i64 * 6 / 10).max(5)) as usize } else { n };
    let mut chosen: Vec<(u32, f64)> = Vec::with_capacity(n + 3);
    if partial {
        let mut order: Vec<usize> = (0..n).collect();
        for k in 0..keep.min(n) {
            let j = k + rng.index(n - k);
            order.swap(k, j);
        }
        order.truncate(keep);
        order.sort_unstable();
        chosen.extend(order.into_iter().map(|k| model.targets[k]));
    } else {
        for (k, &(sec, w)) in model.targets.iter().enumerate() {
            // A few holdings sold out or never bought, keeping at least five.
            if chosen.len() + (n - k - 1) >= 5 && rng.chance(0.005) {
                continue;
            }
            chosen.push((sec, w));
        }
    }
    for t in chosen.iter_mut() {
        let shift = if universe.securities[t.0 as usize].equity { equity_move } else { 0.0 };
        t.1 *= exp(sigma * rng.quick_normal() + shift);
    }
    // Legacy holdings: bought before the account joined the model.
    if rng.chance(0.10) {
        let count = rng.range(1, 3);
        for _ in 0..count {
            let pool = if rng.chance(0.15) && !universe.legacy_special.is_empty() {
                &universe.legacy_special
            } else {
                &universe.legacy
            };
            let Some(&sec) = rng.choose(pool) else { continue };
            if chosen.iter().any(|c| c.0 == sec) {
                continue;
            }
            chosen.push((sec, rng.uniform(0.005, 0.04)));
        }
    }
    let total: f64 = chosen.iter().map(|c| c.1).sum();
    let scale = if total > 0.0 { value * (1.0 - cash_fraction) / total } else { 0.0 };

    let mut positions = Vec::with_capacity(chosen.len());
    for &(sec, w) in &chosen {
        let info = &universe.securities[sec as usize];
        let units_per_share = pow10(info.quantity_scale);
        let units = round_positive(w * scale / info.price * units_per_share).max(1);
        positions.push(Position { security: info.id.clone(), lots: lots(&mut rng, universe, info, units) });
    }

    let cash = Decimal::new((value * cash_fraction * 100.0).round() as i64, 2);
    let taxable = account_type.is_taxable();
    let tax = if taxable { tax_settings(&mut rng) } else { TaxSettings::default() };
    let cash_reserve = if rng.chance(0.03) { Decimal::new(rng.range(5, 100) * 100, 0) } else { Decimal::ZERO };
    let withdrawal = if rng.chance(0.10) {
        Decimal::new(((value * rng.uniform(0.01, 0.15)) / 100.0).round().max(1.0) as i64 * 100, 0)
    } else {
        Decimal::ZERO
    };
    let restrictions = if rng.chance(0.05) {
        restrictions(&mut rng, universe, model.targets.as_slice(), &positions)
    } else {
        Vec::new()
    };
    let mut recent_trades =
        if rng.chance(0.20) { recent_trades(&mut rng, universe, &chosen, &mut positions) } else { Vec::new() };
    let allows_fractional = rng.chance(0.65);
    let off_model_policy = if rng.chance(0.8) { OffModelPolicy::Sell } else { OffModelPolicy::Hold };

    // Last, from a stream of its own: everything above is what it was without it.
    let profile = client_profile(
        &mut Rng::stream(seed, CLIENT_DOMAIN, index),
        universe,
        &Client { account_type, model, value, cash, chosen: &chosen, positions: &positions },
        &mut recent_trades,
    );

    Account {
        id: account_id(index),
        household: household_id(seed, index),
        account_type,
        status,
        model: model.id.clone(),
        cash,
        cash_reserve,
        withdrawal,
        allows_fractional,
        off_model_policy,
        restrictions,
        tax,
        positions,
        recent_trades,
        profile,
    }
}

/// What the client profile is drawn from.
struct Client<'a> {
    account_type: AccountType,
    model: &'a ModelInfo,
    /// Sampled account value, in dollars.
    value: f64,
    cash: Decimal,
    chosen: &'a [(u32, f64)],
    positions: &'a [Position],
}

/// Suitability, approvals and operational flags: a handful of draws, and heap allocations
/// only for the state and the rare accounts with exclusions or a working order.
fn client_profile(rng: &mut Rng, universe: &Universe, c: &Client, recent_trades: &mut [RecentTrade]) -> ClientProfile {
    let today = universe.trade_date;
    let days_before = |days: i64| today.checked_sub_days(Days::new(days.max(0) as u64)).unwrap_or(today);
    let individual = c.account_type == AccountType::Taxable;
    // UTMA/UGMA accounts: the owner is a minor until 21.
    let custodial = individual && rng.chance(0.01);
    let age_days = if custodial {
        rng.range(3 * 365, 18 * 365 - 1)
    } else {
        // Triangular between the bounds: IRAs skew older, workplace plans younger.
        let (lo, hi) = match c.account_type {
            AccountType::Taxable | AccountType::Trust => (22.0, 93.0),
            AccountType::TraditionalIra => (35.0, 93.0),
            AccountType::RothIra => (22.0, 86.0),
            AccountType::Qualified => (22.0, 71.0),
        };
        let t = 0.5 * (rng.unit() + rng.unit());
        ((lo + t * (hi - lo)) * 365.25) as i64
    };
    let birth_date = days_before(age_days);
    let age = today.years_since(birth_date).unwrap_or(0);

    let margin = individual && !custodial && rng.chance(0.30);
    let options_level = if custodial { 0 } else { rng.weighted(&[60, 20, 15, 5]) as u8 };
    let complex_approved = !custodial && rng.chance(0.08);
    // Risk tolerance follows the model's equity share, loosely; the objective follows it.
    let score = 1.0 + 4.0 * c.model.equity_weight + rng.uniform(-0.9, 0.9);
    let risk_tolerance = (score + 0.5).clamp(1.0, 5.0) as u8;
    let objective = match risk_tolerance {
        1 => Objective::Preservation,
        2 => Objective::Income,
        3 => Objective::Balanced,
        4 => Objective::Growth,
        _ if rng.chance(0.25) => Objective::Speculation,
        _ => Objective::Growth,
    };
    let horizon_years = rng.range(3, (95 - i64::from(age)).clamp(3, 30)) as u32;
    let state = STATES[rng.weighted(&STATE_WEIGHTS)].to_string();

    // Opened 1-20 years ago (a few this month), never before the owner turned 18.
    let opened_days = if rng.chance(0.01) { rng.range(1, 30) } else { rng.range(365, 20 * 365) };
    let adult_days = if custodial { age_days - 1 } else { age_days - 18 * 365 };
    let opened = days_before(opened_days.min(adult_days.max(1)));
    let kyc_reviewed = days_before(rng.range(0, 3 * 365)).max(opened);

    // Cash accounts: good-faith violations and the 90-day settled-cash restriction.
    let (good_faith_violations_12m, settled_cash_only_until) = if margin {
        (0, None)
    } else {
        let u = rng.unit();
        let gfv = if u < 0.006 {
            2
        } else if u < 0.03 {
            1
        } else {
            0
        };
        if rng.chance(0.0036) {
            (3, today.checked_add_days(Days::new(rng.range(1, 89) as u64)))
        } else {
            (gfv, None)
        }
    };
    let unsettled_cash =
        if rng.chance(0.05) { (c.cash * Decimal::new(rng.range(20, 100), 2)).round_dp(2) } else { Decimal::ZERO };
    let pending_orders =
        if rng.chance(0.02) && !c.positions.is_empty() { vec![pending_order(rng, universe, c)] } else { Vec::new() };
    let max_equity_weight = if rng.chance(0.10) {
        // An IPS cap loosely above the model's equity share, in steps of 5 points.
        let cap = ((c.model.equity_weight + rng.uniform(0.08, 0.20)) * 20.0).ceil().min(20.0) as i64;
        Some(Decimal::new(cap * 5, 2))
    } else {
        None
    };
    let aml_hold = rng.chance(0.001);
    let returned_mail = rng.chance(0.003);
    let tax_certified = !rng.chance(0.01);
    let erisa = c.account_type == AccountType::Qualified && rng.chance(0.5);
    // Required minimum distributions from 73; by late November many have taken theirs.
    let rmd_remaining = if c.account_type == AccountType::TraditionalIra && age >= 73 && rng.chance(0.55) {
        let factor = (26.5 - 0.85 * f64::from(age - 73)).max(10.0);
        Decimal::from((c.value / factor * rng.uniform(0.25, 1.0)).round() as i64)
    } else {
        Decimal::ZERO
    };
    let custodial_until = custodial
        .then(|| birth_date.with_year(birth_date.year() + 21).unwrap_or_else(|| birth_date + Days::new(21 * 365 + 5)));
    let trusted_contact = rng.chance(0.85);
    // FINRA Rule 2165 protects specified adults (65 and over).
    let exploitation_hold = age >= 65 && rng.chance(0.0016);
    let employee = !custodial && rng.chance(0.005);
    let ipo_restricted_person = employee || rng.chance(0.005);
    let accredited = !custodial && c.value >= 1_000_000.0 && rng.chance(0.15);
    let exclusions = if rng.chance(0.05) {
        EXCLUSIONS[rng.weighted(&EXCLUSION_WEIGHTS)].iter().map(|x| x.to_string()).collect()
    } else {
        Vec::new()
    };
    // Cash accounts sometimes buy with proceeds that have not settled yet.
    if individual && !margin {
        for t in recent_trades.iter_mut().filter(|t| t.side == Side::Buy) {
            t.paid_with_unsettled = rng.chance(0.10);
        }
    }
    ClientProfile {
        options_level,
        complex_approved,
        margin,
        risk_tolerance,
        objective,
        horizon_years: Some(horizon_years),
        birth_date: Some(birth_date),
        state,
        accredited,
        ipo_restricted_person,
        employee,
        exclusions,
        kyc_reviewed: Some(kyc_reviewed),
        opened: Some(opened),
        good_faith_violations_12m,
        settled_cash_only_until,
        unsettled_cash,
        pending_orders,
        max_equity_weight,
        aml_hold,
        returned_mail,
        tax_certified,
        erisa,
        rmd_remaining,
        custodial_until,
        trusted_contact,
        exploitation_hold,
        ..ClientProfile::default()
    }
}

/// An order already working in one of the account's holdings: a partial sale or an add.
fn pending_order(rng: &mut Rng, universe: &Universe, c: &Client) -> PendingOrder {
    let p = rng.index(c.positions.len());
    let info = &universe.securities[c.chosen[p].0 as usize];
    let held: i64 = c.positions[p].lots.iter().map(|l| l.quantity.mantissa() as i64).sum();
    let (side, fraction) =
        if rng.chance(0.6) { (Side::Sell, rng.uniform(0.1, 0.5)) } else { (Side::Buy, rng.uniform(0.05, 0.3)) };
    let units = round_positive(held as f64 * fraction).clamp(1, held.max(1));
    let amount = units as f64 / pow10(info.quantity_scale) * info.price;
    PendingOrder {
        security: info.id.clone(),
        side,
        quantity: Decimal::new(units, info.quantity_scale),
        amount: Decimal::new(round_positive(amount * 100.0), 2),
        placed: universe.day(rng.range(0, 3)),
    }
}

/// Rounds a non-negative float half up; a plain cast, as `f64::round` is a libm call on
/// baseline x86-64.
#[inline]
fn round_positive(x: f64) -> i64 {
    (x + 0.5) as i64
}

fn pow10(scale: u32) -> f64 {
    const POW10: [f64; 7] = [1.0, 10.0, 100.0, 1_000.0, 10_000.0, 100_000.0, 1_000_000.0];
    POW10[(scale as usize).min(6)]
}

/// `ACC-0000123`.
pub fn account_id(index: u64) -> String {
    format!("ACC-{index:07}")
}

/// The household of an account: consecutive accounts in groups of one to four, named after
/// the first account of the group (`HH-0000120`).
pub fn household_id(seed: u64, index: u64) -> String {
    let block = index / HOUSEHOLD_BLOCK;
    let mut rng = Rng::stream(seed, HOUSEHOLD_DOMAIN, block);
    let split = HOUSEHOLD_SPLITS[rng.weighted(&HOUSEHOLD_WEIGHTS)];
    let offset = index % HOUSEHOLD_BLOCK;
    let mut start = 0;
    for &size in split {
        if offset < start + size {
            break;
        }
        start += size;
    }
    format!("HH-{:07}", block * HOUSEHOLD_BLOCK + start)
}

/// Splits `units` (whole shares or thousandths) into 1-5 lots with plausible dates and bases.
fn lots(rng: &mut Rng, universe: &Universe, info: &SecurityInfo, units: i64) -> Vec<TaxLot> {
    let k = (rng.weighted(&LOT_COUNT_WEIGHTS) + 1).min(units.max(1) as usize);
    let mut ages = [0i64; 5];
    for age in ages.iter_mut().take(k) {
        *age = if rng.chance(0.06) { rng.range(1, 30) } else { rng.range(31, MAX_AGE_DAYS) };
    }
    // Oldest first, the order brokers list lots in.
    ages[..k].sort_unstable_by(|a, b| b.cmp(a));
    let mut shares = [0f64; 5];
    for s in shares.iter_mut().take(k) {
        *s = rng.uniform(0.2, 1.0);
    }
    let share_total: f64 = shares[..k].iter().sum();
    let mut left = units;
    let mut out = Vec::with_capacity(k);
    for (j, &age) in ages[..k].iter().enumerate() {
        let quantity = if j + 1 == k {
            left
        } else {
            let most = left - (k - 1 - j) as i64;
            let take = round_positive(units as f64 * shares[j] / share_total).clamp(1, most.max(1));
            left -= take;
            take
        };
        out.push(TaxLot {
            // No lot id: feeds identify lots by position and date, and an id String per lot
            // would cost a third of the generation time.
            id: String::new(),
            quantity: Decimal::new(quantity, info.quantity_scale),
            cost_basis: cost_basis(rng, info, age),
            acquired: universe.day(age),
        });
    }
    out
}

/// Cost per share of a lot bought `age` days ago: the price discounted by the security's
/// drift, with noise growing with age, so old lots mostly gain and recent ones may lose.
fn cost_basis(rng: &mut Rng, info: &SecurityInfo, age: i64) -> Decimal {
    let scale = pow10(info.basis_scale);
    if info.stable_value {
        return Decimal::new((info.price * scale).round() as i64, info.basis_scale);
    }
    let years = age as f64 / 365.25;
    let log_ratio = -info.growth * years + info.volatility * years.sqrt() * rng.quick_normal();
    let basis = info.price * exp(log_ratio.clamp(-3.0, 1.0));
    Decimal::new(round_positive(basis * scale).max(1), info.basis_scale)
}

fn tax_settings(rng: &mut Rng) -> TaxSettings {
    let lot_method = match rng.weighted(&[75, 15, 10]) {
        0 => LotMethod::MinTax,
        1 => LotMethod::Hifo,
        _ => LotMethod::Fifo,
    };
    let short_term_rate =
        [Decimal::new(24, 2), Decimal::new(32, 2), Decimal::new(35, 2), Decimal::new(37, 2), Decimal::new(408, 3)]
            [rng.index(5)];
    let long_term_rate =
        [Decimal::new(15, 2), Decimal::new(15, 2), Decimal::new(20, 2), Decimal::new(238, 3)][rng.index(4)];
    let avoid_short_term_gains = rng.chance(0.20);
    let (gain_budget, realized_gains_ytd) = if rng.chance(0.10) {
        let budget = rng.range(5, 50) * 1_000;
        // Some accounts are already over budget.
        let ytd = (budget as f64 * rng.uniform(0.0, 1.2)).round() as i64;
        (Some(Decimal::from(budget)), Decimal::from(ytd))
    } else {
        (None, Decimal::ZERO)
    };
    let tax_aversion = Decimal::from([10, 10, 10, 10, 10, 10, 5, 5, 20, 20][rng.index(10)]);
    TaxSettings {
        lot_method,
        short_term_rate,
        long_term_rate,
        avoid_short_term_gains,
        gain_budget,
        realized_gains_ytd,
        tax_aversion,
    }
}

fn restrictions(
    rng: &mut Rng,
    universe: &Universe,
    targets: &[(u32, f64)],
    positions: &[Position],
) -> Vec<Restriction> {
    let count = if rng.chance(0.8) { 1 } else { 2 };
    let mut out: Vec<Restriction> = Vec::with_capacity(count);
    for _ in 0..count {
        let kind = match rng.weighted(&[40, 35, 25]) {
            0 => RestrictionKind::DoNotBuy,
            1 => RestrictionKind::DoNotSell,
            _ => RestrictionKind::DoNotHold,
        };
        let security = match rng.choose(positions) {
            Some(p) if rng.chance(0.7) => p.security.clone(),
            _ => match rng.choose(targets) {
                Some(&(sec, _)) => universe.securities[sec as usize].id.clone(),
                None => continue,
            },
        };
        if !out.iter().any(|r| r.security == security && r.kind == kind) {
            out.push(Restriction { security, kind });
        }
    }
    out
}

/// Executions of the last 45 days, the input of the wash-sale rule. A recent buy is also
/// the account's newest lot of that security.
fn recent_trades(
    rng: &mut Rng,
    universe: &Universe,
    chosen: &[(u32, f64)],
    positions: &mut [Position],
) -> Vec<RecentTrade> {
    let count = rng.range(1, 3);
    let mut out = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let days = rng.range(1, 45);
        let trade_date = universe.day(days);
        if positions.is_empty() {
            break;
        }
        let p = rng.index(positions.len());
        let info = &universe.securities[chosen[p].0 as usize];
        match rng.weighted(&[30, 55, 15]) {
            0 => {
                let Some(lot) = positions[p].lots.last_mut() else { continue };
                if lot.acquired < trade_date {
                    lot.acquired = trade_date;
                    lot.cost_basis = cost_basis(rng, info, days);
                }
                out.push(RecentTrade {
                    security: positions[p].security.clone(),
                    side: Side::Buy,
                    quantity: lot.quantity,
                    trade_date: lot.acquired,
                    realized_gain: Decimal::ZERO,
                    // The lot's cost per share is what the buy paid.
                    price: Some(lot.cost_basis),
                    paid_with_unsettled: false,
                });
            }
            kind => {
                // A partial sale of a held security, or a full sale of one that is gone.
                let sold_out = rng.chance(0.3);
                let (security, price, scale) = if sold_out {
                    let Some(&sec) = rng.choose(&universe.legacy) else { continue };
                    let s = &universe.securities[sec as usize];
                    (s.id.clone(), s.price, s.quantity_scale)
                } else {
                    (positions[p].security.clone(), info.price, info.quantity_scale)
                };
                let shares = (rng.uniform(1_000.0, 20_000.0) / price).max(1.0);
                let units = round_positive(shares * pow10(scale)).max(1);
                let quantity = Decimal::new(units, scale);
                let notional = units as f64 / pow10(scale) * price;
                let fraction = if kind == 1 { -rng.uniform(0.05, 0.30) } else { rng.uniform(0.02, 0.40) };
                let realized_gain = Decimal::new((notional * fraction * 100.0).round() as i64, 2);
                out.push(RecentTrade {
                    security,
                    side: Side::Sell,
                    quantity,
                    trade_date,
                    realized_gain,
                    // The reference price: the generator keeps no price history.
                    price: Some(Decimal::new(round_positive(price * 100.0), 2)),
                    paid_with_unsettled: false,
                });
            }
        }
    }
    out.sort_by_key(|t| t.trade_date);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::reference;
    use ballast_core::Reference;
    use std::collections::HashMap;

    fn setup(seed: u64) -> (ballast_core::ReferenceFile, Universe) {
        let file = reference(seed);
        let universe = Universe::new(&file).unwrap();
        (file, universe)
    }

    #[test]
    fn an_account_depends_only_on_seed_and_index() {
        let (_, u) = setup(42);
        let a = account(42, 123, &u);
        assert_eq!(a, account(42, 123, &u));
        assert_eq!(a.id, "ACC-0000123");
        assert_ne!(a, account(42, 124, &u));
        assert_ne!(a, account(43, 123, &u));
        // Independent of what was generated before.
        let _ = account(42, 5, &u);
        assert_eq!(a, account(42, 123, &u));
    }

    #[test]
    fn every_generated_account_is_valid() {
        let (file, u) = setup(42);
        let (reference, problems) = Reference::build(file);
        assert!(problems.is_empty(), "{problems:?}");
        for i in 0..3_000 {
            let a = account(42, i, &u);
            let errs = reference.validate_account(&a);
            assert!(errs.is_empty(), "{}: {errs:?}", a.id);
        }
    }

    #[test]
    fn positions_lots_and_quantities_look_like_a_real_book() {
        let (file, u) = setup(42);
        let fractional: HashMap<&str, bool> = file.securities.iter().map(|s| (s.id.as_str(), s.fractional)).collect();
        let n = 4_000u64;
        let (mut positions, mut lots, mut recent_lots, mut lossy, mut total_lots) =
            (0usize, 0usize, 0usize, 0usize, 0usize);
        let prices: HashMap<&str, Decimal> = file.prices.iter().map(|p| (p.security.as_str(), p.price)).collect();
        let mut legacy_accounts = 0;
        let mut min_pos = usize::MAX;
        let mut max_pos = 0;
        for i in 0..n {
            let a = account(42, i, &u);
            let model = file.models.iter().find(|m| m.id == a.model).unwrap();
            let by_id: HashMap<String, ballast_core::ModelPortfolio> =
                file.models.iter().map(|m| (m.id.clone(), m.clone())).collect();
            let targets: Vec<String> = model.flatten(&by_id).unwrap().targets.into_iter().map(|t| t.0).collect();
            if a.positions.iter().any(|p| !targets.contains(&p.security)) {
                legacy_accounts += 1;
            }
            min_pos = min_pos.min(a.positions.len());
            max_pos = max_pos.max(a.positions.len());
            positions += a.positions.len();
            for p in &a.positions {
                assert!((1..=5).contains(&p.lots.len()));
                lots += p.lots.len();
                let price = prices[p.security.as_str()];
                for l in &p.lots {
                    total_lots += 1;
                    if fractional[p.security.as_str()] {
                        assert_eq!(l.quantity.scale(), 3);
                    } else {
                        assert_eq!(l.quantity.scale(), 0);
                    }
                    if (u.trade_date - l.acquired).num_days() <= 30 {
                        recent_lots += 1;
                    }
                    assert!((u.trade_date - l.acquired).num_days() <= 8 * 366);
                    if l.cost_basis * Decimal::new(9, 1) > price {
                        lossy += 1;
                    }
                }
                assert!(p.lots.windows(2).all(|w| w[0].acquired <= w[1].acquired));
            }
        }
        let mean_positions = positions as f64 / n as f64;
        let mean_lots = lots as f64 / positions as f64;
        assert!((5..=80).contains(&min_pos) && max_pos <= 80, "positions {min_pos}..{max_pos}");
        assert!((35.0..=45.0).contains(&mean_positions), "mean positions {mean_positions}");
        assert!((2.7..=3.3).contains(&mean_lots), "mean lots {mean_lots}");
        assert!(
            recent_lots > 0 && lossy > total_lots / 50,
            "recent {recent_lots}, >10% losses {lossy} of {total_lots}"
        );
        let legacy_share = legacy_accounts as f64 / n as f64;
        assert!((0.06..=0.14).contains(&legacy_share), "legacy share {legacy_share}");
    }

    #[test]
    fn the_mix_of_account_settings_is_realistic() {
        let (file, u) = setup(42);
        let n = 10_000u64;
        let accounts: Vec<Account> = (0..n).map(|i| account(42, i, &u)).collect();
        let share = |f: &dyn Fn(&Account) -> bool| accounts.iter().filter(|a| f(a)).count() as f64 / n as f64;
        let taxable = share(&|a| a.account_type == AccountType::Taxable);
        assert!((0.50..=0.60).contains(&taxable), "taxable {taxable}");
        let inactive = share(&|a| a.status != AccountStatus::Active);
        assert!((0.005..=0.02).contains(&inactive), "inactive {inactive}");
        let withdrawal = share(&|a| !a.withdrawal.is_zero());
        assert!((0.07..=0.13).contains(&withdrawal));
        let reserve = share(&|a| !a.cash_reserve.is_zero());
        assert!((0.015..=0.045).contains(&reserve));
        let restricted = share(&|a| !a.restrictions.is_empty());
        assert!((0.03..=0.07).contains(&restricted));
        let recent = share(&|a| !a.recent_trades.is_empty());
        assert!((0.15..=0.25).contains(&recent));
        assert!(accounts
            .iter()
            .any(|a| a.recent_trades.iter().any(|t| t.side == Side::Sell && t.realized_gain < Decimal::ZERO)));
        let budget = share(&|a| a.tax.gain_budget.is_some());
        assert!((0.03..=0.10).contains(&budget), "budget {budget}");
        // Households: consecutive accounts in groups of one to four.
        let mut sizes: HashMap<&str, Vec<u64>> = HashMap::new();
        for (i, a) in accounts.iter().enumerate() {
            sizes.entry(a.household.as_str()).or_default().push(i as u64);
        }
        for members in sizes.values() {
            assert!((1..=4).contains(&members.len()));
            assert!(members.windows(2).all(|w| w[1] == w[0] + 1));
        }
        // Values from ~$25k to ~$5M.
        let prices: HashMap<&str, Decimal> = file.prices.iter().map(|p| (p.security.as_str(), p.price)).collect();
        let values: Vec<Decimal> = accounts
            .iter()
            .map(|a| a.cash + a.positions.iter().map(|p| p.quantity() * prices[p.security.as_str()]).sum::<Decimal>())
            .collect();
        let min = values.iter().min().unwrap();
        let max = values.iter().max().unwrap();
        assert!(*min > Decimal::from(15_000) && *max < Decimal::from(7_000_000), "values {min}..{max}");
        let cash_heavy = accounts.iter().zip(&values).filter(|(a, v)| a.cash > **v * Decimal::new(8, 2)).count();
        assert!(cash_heavy > 0 && cash_heavy < (n / 10) as usize);
    }

    /// The share of accounts with a holding or cash outside its band, by the DOMAIN rule.
    #[test]
    fn a_good_share_of_accounts_is_out_of_tolerance() {
        let (file, u) = setup(42);
        let (reference, _) = Reference::build(file);
        let n = 4_000u64;
        let mut out = 0;
        for i in 0..n {
            let a = account(42, i, &u);
            let Some(Ok(m)) = reference.model(&a.model) else { panic!("model") };
            let mut value = rust_decimal::prelude::ToPrimitive::to_f64(&a.cash).unwrap();
            let mut weights: HashMap<u32, f64> = HashMap::new();
            for p in &a.positions {
                let i = reference.security_index(&p.security).unwrap();
                let v = rust_decimal::prelude::ToPrimitive::to_f64(&p.quantity()).unwrap() * reference.price_f64(i);
                value += v;
                weights.insert(i, v);
            }
            let band = |t: f64| m.band_absolute.max(m.band_relative * t);
            let cash_w = rust_decimal::prelude::ToPrimitive::to_f64(&a.cash).unwrap() / value;
            let mut any = (cash_w - m.cash_weight).abs() > band(m.cash_weight);
            for &(s, t) in &m.targets {
                let w = weights.get(&s).copied().unwrap_or(0.0) / value;
                any |= (w - t).abs() > band(t);
            }
            if any {
                out += 1;
            }
        }
        let share = out as f64 / n as f64;
        assert!((0.30..=0.60).contains(&share), "out of tolerance: {share}");
    }
    #[test]
    fn client_profiles_look_like_a_real_client_base() {
        let (_, u) = setup(42);
        let today = u.trade_date;
        let n = 20_000u64;
        let accounts: Vec<Account> = (0..n).map(|i| account(42, i, &u)).collect();
        let share = |f: &dyn Fn(&Account) -> bool| accounts.iter().filter(|a| f(a)).count() as f64 / n as f64;
        let near = |what: &str, x: f64, lo: f64, hi: f64| assert!((lo..=hi).contains(&x), "{what}: {x}");
        let age = |a: &Account| today.years_since(a.profile.birth_date.unwrap()).unwrap();
        let equity_of = |a: &Account| u.models.iter().find(|m| m.id == a.model).unwrap().equity_weight;
        let ira = |a: &Account| matches!(a.account_type, AccountType::TraditionalIra | AccountType::RothIra);

        for level in 0..=3u8 {
            let want = [0.60, 0.20, 0.15, 0.05][level as usize];
            near("options level", share(&|a| a.profile.options_level == level), want - 0.02, want + 0.02);
        }
        near("complex approved", share(&|a| a.profile.complex_approved), 0.065, 0.095);
        let taxable = share(&|a| a.account_type == AccountType::Taxable);
        near("margin among taxable", share(&|a| a.profile.margin) / taxable, 0.26, 0.33);
        near("one good-faith violation", share(&|a| a.profile.good_faith_violations_12m == 1), 0.015, 0.025);
        near("two good-faith violations", share(&|a| a.profile.good_faith_violations_12m == 2), 0.002, 0.008);
        near("settled cash only", share(&|a| a.profile.settled_cash_only_until.is_some()), 0.001, 0.006);
        near("unsettled cash", share(&|a| !a.profile.unsettled_cash.is_zero()), 0.04, 0.06);
        near("pending orders", share(&|a| !a.profile.pending_orders.is_empty()), 0.015, 0.025);
        near("IPS equity cap", share(&|a| a.profile.max_equity_weight.is_some()), 0.085, 0.115);
        near("AML hold", share(&|a| a.profile.aml_hold), 0.0002, 0.0025);
        near("returned mail", share(&|a| a.profile.returned_mail), 0.0015, 0.005);
        near("tax certified", share(&|a| a.profile.tax_certified), 0.98, 0.995);
        near("trusted contact", share(&|a| a.profile.trusted_contact), 0.83, 0.87);
        near("exploitation hold", share(&|a| a.profile.exploitation_hold), 0.0, 0.0015);
        near("employees", share(&|a| a.profile.employee), 0.003, 0.008);
        near("IPO restricted", share(&|a| a.profile.ipo_restricted_person), 0.007, 0.014);
        near("custodial", share(&|a| a.profile.custodial_until.is_some()), 0.003, 0.009);
        near("exclusions", share(&|a| !a.profile.exclusions.is_empty()), 0.04, 0.06);
        near("opened this month", share(&|a| (today - a.profile.opened.unwrap()).num_days() <= 30), 0.006, 0.015);
        let qualified = share(&|a| a.account_type == AccountType::Qualified);
        near("ERISA among qualified", share(&|a| a.profile.erisa) / qualified, 0.45, 0.55);
        let mean_age = |f: &dyn Fn(&Account) -> bool| {
            let ages: Vec<u32> = accounts.iter().filter(|a| f(a)).map(age).collect();
            ages.iter().sum::<u32>() as f64 / ages.len() as f64
        };
        let (ira_age, taxable_age) = (mean_age(&ira), mean_age(&|a| a.account_type == AccountType::Taxable));
        assert!(ira_age > taxable_age, "IRA owners {ira_age}, taxable {taxable_age}");

        let known_tags = ["tobacco", "weapons", "fossil_fuels", "alcohol", "gambling"];
        let mut rmds = 0;
        let mut paid_unsettled = (0, 0);
        for a in &accounts {
            let p = &a.profile;
            let age = age(a);
            match p.custodial_until {
                Some(until) => {
                    assert!(age < 18 && until > today && a.account_type == AccountType::Taxable, "{}", a.id);
                    assert!(!p.margin && p.options_level == 0 && !p.accredited);
                }
                None => assert!((22..=92).contains(&age), "{}: age {age}", a.id),
            }
            assert!((1..=5).contains(&p.risk_tolerance));
            let objective = match p.risk_tolerance {
                1 => vec![Objective::Preservation],
                2 => vec![Objective::Income],
                3 => vec![Objective::Balanced],
                4 => vec![Objective::Growth],
                _ => vec![Objective::Growth, Objective::Speculation],
            };
            assert!(objective.contains(&p.objective), "{}: {} {:?}", a.id, p.risk_tolerance, p.objective);
            // Loosely the model's equity share: an all-bond model never gets a 5, an
            // all-equity one never a 1.
            let e = equity_of(a);
            assert!((f64::from(p.risk_tolerance) - (1.0 + 4.0 * e)).abs() <= 1.5, "{}", a.id);
            assert!((3..=30).contains(&p.horizon_years.unwrap()));
            assert!(p.state.len() == 2 && p.state.chars().all(|c| c.is_ascii_uppercase()));
            let (opened, kyc) = (p.opened.unwrap(), p.kyc_reviewed.unwrap());
            assert!(opened < today && (today - opened).num_days() <= 20 * 365 && opened > p.birth_date.unwrap());
            assert!(kyc >= opened && kyc <= today && (today - kyc).num_days() <= 3 * 365);
            assert!(!p.margin || a.account_type == AccountType::Taxable, "{}: margin on {:?}", a.id, a.account_type);
            if p.margin {
                assert!(p.good_faith_violations_12m == 0 && p.settled_cash_only_until.is_none());
            }
            if let Some(until) = p.settled_cash_only_until {
                assert!(until > today && (until - today).num_days() <= 90);
            }
            assert!(p.unsettled_cash >= Decimal::ZERO && p.unsettled_cash <= a.cash);
            for o in &p.pending_orders {
                let held = a.positions.iter().find(|x| x.security == o.security).expect("order in a held security");
                assert!(o.quantity > Decimal::ZERO && o.amount > Decimal::ZERO && o.placed <= today);
                if o.side == Side::Sell {
                    assert!(o.quantity <= held.quantity());
                }
            }
            if let Some(cap) = p.max_equity_weight {
                let cap = rust_decimal::prelude::ToPrimitive::to_f64(&cap).unwrap();
                assert!(cap <= 1.0 && (cap >= e + 0.08 - 1e-9 || cap == 1.0), "{}: cap {cap} on {e}", a.id);
            }
            assert!(!p.erisa || a.account_type == AccountType::Qualified);
            if !p.rmd_remaining.is_zero() {
                rmds += 1;
                assert!(a.account_type == AccountType::TraditionalIra && age >= 73, "{}", a.id);
                assert!(p.rmd_remaining > Decimal::from(100) && p.rmd_remaining < Decimal::from(500_000));
            }
            assert!(!p.exploitation_hold || age >= 65);
            assert!(!p.employee || p.ipo_restricted_person);
            assert!(p.exclusions.iter().all(|x| known_tags.contains(&x.as_str())));
            assert!(!p.qualified_institutional && p.discretionary && p.country.is_empty());
            for t in &a.recent_trades {
                assert!(t.price.is_some_and(|x| x > Decimal::ZERO), "{}: {t:?}", a.id);
                if t.side == Side::Buy {
                    let cash_account = a.account_type == AccountType::Taxable && !p.margin;
                    if cash_account {
                        paid_unsettled.0 += 1;
                        paid_unsettled.1 += usize::from(t.paid_with_unsettled);
                    } else {
                        assert!(!t.paid_with_unsettled);
                    }
                } else {
                    assert!(!t.paid_with_unsettled);
                }
            }
        }
        assert!(rmds > 100, "{rmds} RMDs");
        let unsettled_buys = paid_unsettled.1 as f64 / paid_unsettled.0 as f64;
        near("buys paid with unsettled funds", unsettled_buys, 0.06, 0.14);
        let accredited_large = accounts.iter().filter(|a| a.profile.accredited).count();
        assert!(accredited_large > 0);
    }
}
