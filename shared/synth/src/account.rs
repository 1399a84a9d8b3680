//! Synthetic client accounts: each one a pure function of (seed, index), so a million of
//! them are generated in parallel without holding any of them in memory.

use ballast_core::{
    Account, AccountStatus, AccountType, LotMethod, OffModelPolicy, Position, RecentTrade, Restriction,
    RestrictionKind, Side, TaxLot, TaxSettings,
};
use rust_decimal::Decimal;

use crate::rng::{exp, Rng};
use crate::universe::{SecurityInfo, Universe, MAX_AGE_DAYS};

const ACCOUNT_DOMAIN: u64 = 2;
const HOUSEHOLD_DOMAIN: u64 = 3;

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
    let recent_trades =
        if rng.chance(0.20) { recent_trades(&mut rng, universe, &chosen, &mut positions) } else { Vec::new() };

    Account {
        id: account_id(index),
        household: household_id(seed, index),
        account_type,
        status,
        model: model.id.clone(),
        cash,
        cash_reserve,
        withdrawal,
        allows_fractional: rng.chance(0.65),
        off_model_policy: if rng.chance(0.8) { OffModelPolicy::Sell } else { OffModelPolicy::Hold },
        restrictions,
        tax,
        positions,
        recent_trades,
        profile: Default::default(),
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
                    price: None,
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
                    price: None,
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
}
