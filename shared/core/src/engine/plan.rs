//! The planner: values an account, decides dollars to sell per tax lot and to buy per
//! holding, then turns those dollars into whole-share (or fractional) decimal trades.
//!
//! Planning works in `f64` dollars (scores, never booked); every quantity and amount that
//! leaves this module is a `Decimal` produced by [`to_quantity`], the one place where an
//! `f64` becomes a decimal.

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use super::*;
use crate::account::{LotMethod, OffModelPolicy, RestrictionKind, TaxLot};
use crate::book::{CompiledModel, SecIdx};
use crate::num::{from_f64, to_f64 as f, Round};
use crate::trade::{HoldingPeriod, LotRelief, Side, Term, TradeReason};
use crate::wash::WashActivity;

/// Dollars are compared with this slack so float noise never creates a trade.
const EPS: f64 = 1e-6;
/// Drift weight a sale must recover per dollar, at most: selling an overweight dollar and
/// buying an underweight one removes two dollars of L1 drift.
const DRIFT_PER_DOLLAR_MOVED: f64 = 2.0;

/// A planned quantity as a tradable decimal at `scale` places (down, or up when cash
/// must be raised).
fn to_quantity(q: f64, scale: u32, up: bool) -> Decimal {
    if !q.is_finite() || q <= 0.0 {
        return Decimal::ZERO;
    }
    from_f64(q, scale, if up { Round::Up } else { Round::Down })
}

/// One held security inside a slot.
struct Member {
    sec: SecIdx,
    pos: usize,
    slot: usize,
    price: Decimal,
    price_f: f64,
    value: f64,
    scale: u32,
    can_sell: bool,
    do_not_hold: bool,
    /// Round the sale up rather than down (cash that must be raised).
    round_up: bool,
    /// Some of its lots are planned for sale.
    selling: bool,
    /// Its wash-sale group was bought within the window: its losses may not be sold.
    recently_bought: bool,
}

/// A model target (or an off-model holding): the unit that has a weight and a drift.
struct Slot {
    primary: SecIdx,
    target: f64,
    value: f64,
    members: std::ops::Range<usize>,
    lots: std::ops::Range<usize>,
    /// Security bought for this slot: the primary, or a substitute when it cannot be bought.
    vehicle: Option<SecIdx>,
    forced: Option<TradeReason>,
    out_of_band: bool,
    /// Goal for tolerance mode (target or band edge), in dollars.
    goal: f64,
    buy: f64,
    /// Dollars this slot may absorb in all (its demand); the leftover-cash sweep stays within it.
    buy_cap: f64,
    raised: bool,
    /// Its lots have been valued for selling (done only for slots that may sell).
    lots_built: bool,
}

impl Slot {
    /// A slot for `primary` with a target weight (made a dollar target once the account
    /// is valued); off-model slots come with the reason they must be sold.
    fn new(primary: SecIdx, target_weight: f64, forced: Option<TradeReason>) -> Self {
        Slot {
            primary,
            target: target_weight,
            value: 0.0,
            members: 0..0,
            lots: 0..0,
            vehicle: None,
            forced,
            out_of_band: forced.is_some(),
            goal: 0.0,
            buy: 0.0,
            buy_cap: 0.0,
            raised: false,
            lots_built: false,
        }
    }
}

/// A buy planned in units of the security's quantity step (1 share, or 0.001).
struct PlannedBuy {
    slot: usize,
    sec: SecIdx,
    units: i64,
    scale: u32,
    unit_f: f64,
}

struct Lot {
    member: usize,
    lot: usize,
    dollars: f64,
    /// Estimated tax per dollar of proceeds (negative for a loss in a taxable account).
    tax: f64,
    /// Realized gain per dollar of proceeds.
    gain: f64,
    short_term_gain: bool,
    /// Cost basis per share and acquisition date, for HIFO and FIFO ordering.
    basis: f64,
    acquired: NaiveDate,
    long_term: bool,
    /// May this lot be sold at all (do-not-sell, wash sale on a loss)?
    sellable: bool,
    take: f64,
}

/// A piece of one slot's sell sequence with one marginal cost per dollar.
#[derive(Clone, Copy)]
struct Segment {
    slot: usize,
    start: f64,
    end: f64,
    key: f64,
    /// 0: trim to the tolerance goal, 1: toward target, 2: past target.
    class: u8,
    gain: f64,
}

struct Ctx<'a> {
    r: &'a Reference,
    a: &'a Account,
    o: &'a RebalanceOptions,
    taxable: bool,
    lambda: f64,
    min_trade: Decimal,
    min_trade_f: f64,
    members: Vec<Member>,
    slots: Vec<Slot>,
    lots: Vec<Lot>,
    cash_f: f64,
    /// Total value in the model base (cash + model slots + off-model holdings sold by policy).
    total: f64,
    /// Cash that must stay uninvested: cash weight of the investable base + reserve + withdrawal.
    cash_target: f64,
    cash_band: f64,
    /// Wash groups with a loss sale / a purchase within the window before the trade date.
    loss_sold_groups: Vec<u32>,
    bought_groups: Vec<u32>,
    exceptions: Vec<EngineException>,
    account_id: std::sync::Arc<str>,
    period: HoldingPeriod,
    short_term_rate: f64,
    long_term_rate: f64,
}

pub(super) fn run(r: &Reference, a: &Account, securities: &[SecIdx], o: &RebalanceOptions) -> AccountResult {
    let Some(model) = r.valid_model(&a.model) else {
        // validate_account has already rejected unknown or invalid models.
        return AccountResult::empty(a, AccountOutcome::Invalid);
    };
    let mut ctx = Ctx::new(r, a, securities, o, model);
    let values: Vec<f64> = ctx.slots.iter().map(|s| s.value).collect();
    let before = ctx.drift(&values, ctx.cash_f);
    match o.mode {
        Mode::Full => ctx.plan_full(),
        Mode::Tolerance => ctx.plan_tolerance(),
        Mode::BuyOnly => ctx.plan_buys(),
        Mode::RaiseCash => ctx.plan_raise_cash(),
        Mode::TaxLossHarvest => return ctx.harvest(before),
    }
    let (trades, trade_slots) = ctx.realize();
    ctx.finish(trades, trade_slots, before)
}

impl<'a> Ctx<'a> {
    fn new(
        r: &'a Reference,
        a: &'a Account,
        securities: &[SecIdx],
        o: &'a RebalanceOptions,
        model: &'a CompiledModel,
    ) -> Self {
        let taxable = a.account_type.is_taxable();
        let trade_date = r.trade_date;
        let (mut loss_sold_groups, mut bought_groups) = (Vec::new(), Vec::new());
        if taxable {
            let activity = WashActivity::scan(r, a, securities);
            loss_sold_groups = activity.loss_sales.iter().map(|s| s.0).collect();
            bought_groups = activity.purchases.iter().map(|p| p.0).collect();
        }

        // Slots: one per model target, then one per held security that is neither a model
        // security nor a held substitute of one.
        let mut slots: Vec<Slot> = model.targets.iter().map(|&(sec, w)| Slot::new(sec, w, None)).collect();
        let mut held: Vec<(usize, SecIdx, usize)> = Vec::with_capacity(a.positions.len());
        for (pos, &sec) in securities.iter().enumerate() {
            let slot = match model.targets.binary_search_by_key(&sec, |t| t.0) {
                Ok(k) => Some(k),
                Err(_) => model.targets.iter().position(|&(m, _)| r.substitutes(m).contains(&sec)),
            };
            held.push((slot.unwrap_or(usize::MAX), sec, pos));
        }
        let mut held_off = Vec::new();
        for h in held.iter_mut().filter(|h| h.0 == usize::MAX) {
            let policy = a.off_model_policy;
            let restricted = a.restricted(&r.security(h.1).id, RestrictionKind::DoNotHold);
            if policy == OffModelPolicy::Hold && !restricted {
                held_off.push(h.2);
                h.0 = usize::MAX - 1; // held away from the model: outside the base
                continue;
            }
            h.0 = slots.len();
            let reason = if restricted { TradeReason::Restricted } else { TradeReason::OffModel };
            slots.push(Slot::new(h.1, 0.0, Some(reason)));
        }
        // Members grouped by slot, in position order within a slot: a counting sort.
        let mut next = vec![0usize; slots.len() + 1];
        for h in held.iter().filter(|h| h.0 < slots.len()) {
            next[h.0 + 1] += 1;
        }
        for i in 0..slots.len() {
            next[i + 1] += next[i];
        }
        let mut grouped = vec![(0usize, 0 as SecIdx, 0usize); next[slots.len()]];
        for &h in held.iter().filter(|h| h.0 < slots.len()) {
            grouped[next[h.0]] = h;
            next[h.0] += 1;
        }

        let mut members = Vec::with_capacity(grouped.len());
        for &(slot, sec, pos) in &grouped {
            let security = r.security(sec);
            let price_f = r.price_f64(sec);
            let do_not_sell = a.restricted(&security.id, RestrictionKind::DoNotSell);
            let value = a.positions[pos].lots.iter().map(|l| f(l.quantity) * price_f).sum();
            members.push(Member {
                sec,
                pos,
                slot,
                price: r.price(sec).unwrap_or(Decimal::ZERO),
                price_f,
                value,
                scale: security.quantity_scale(a.allows_fractional),
                can_sell: !do_not_sell,
                do_not_hold: a.restricted(&security.id, RestrictionKind::DoNotHold),
                round_up: false,
                selling: false,
                recently_bought: bought_groups.contains(&r.wash_group(sec)),
            });
        }
        // Range of members per slot (members are sorted by slot).
        let mut mi = 0;
        for (s, slot) in slots.iter_mut().enumerate() {
            let m0 = mi;
            while mi < members.len() && members[mi].slot == s {
                slot.value += members[mi].value;
                mi += 1;
            }
            slot.members = m0..mi;
        }

        let cash_f = f(a.cash);
        let total = cash_f + slots.iter().map(|s| s.value).sum::<f64>();
        // A pending withdrawal is never invested, whatever the mode; raise-cash mode may
        // be given another amount to raise.
        let withdrawal = f(if o.mode == Mode::RaiseCash { o.withdrawal.unwrap_or(a.withdrawal) } else { a.withdrawal });
        let reserve = f(a.cash_reserve);
        let investable = (total - reserve - withdrawal).max(0.0);
        for s in slots.iter_mut() {
            s.target *= investable;
            s.goal = s.target;
        }
        let cash_target = model.cash_weight * investable + reserve + withdrawal;
        let cash_band = band(model, model.cash_weight) * total;

        let mut ctx = Ctx {
            r,
            a,
            o,
            taxable,
            lambda: if taxable { f(a.tax.tax_aversion).max(0.0) } else { 0.0 },
            min_trade: model.min_trade,
            min_trade_f: model.min_trade_f64,
            lots: Vec::with_capacity(members.len() * 3),
            members,
            slots,
            cash_f,
            total,
            cash_target,
            cash_band,
            loss_sold_groups,
            bought_groups,
            exceptions: Vec::new(),
            account_id: std::sync::Arc::from(a.id.as_str()),
            period: HoldingPeriod::new(trade_date),
            short_term_rate: f(a.tax.short_term_rate),
            long_term_rate: f(a.tax.long_term_rate),
        };
        for s in 0..ctx.slots.len() {
            ctx.slots[s].vehicle = ctx.buy_vehicle(s);
            if ctx.total > 0.0 {
                let w = ctx.slots[s].target / ctx.total;
                let width = band(model, w) * ctx.total;
                // A do-not-hold security must go whatever the band says.
                let must_sell = ctx.members[ctx.slots[s].members.clone()].iter().any(|m| m.do_not_hold);
                let slot = &mut ctx.slots[s];
                slot.out_of_band = slot.forced.is_some() || must_sell || (slot.value - slot.target).abs() > width + EPS;
                if o.band_target == BandTarget::Edge && slot.forced.is_none() {
                    slot.goal = if slot.value > slot.target { slot.target + width } else { slot.target - width };
                }
            }
        }
        if !held_off.is_empty() {
            let names: Vec<&str> = held_off.iter().map(|&p| a.positions[p].security.as_str()).collect();
            ctx.exceptions.push(EngineException::new(
                "off_model_held",
                format!("off-model holdings kept outside the model base by policy: {}", names.join(", ")),
            ));
        }
        ctx
    }

    fn is_buy_blocked(&self, sec: SecIdx) -> bool {
        let security = self.r.security(sec);
        security.restricted
            || self.r.price(sec).is_none()
            || self.a.restricted(&security.id, RestrictionKind::DoNotBuy)
            || self.a.restricted(&security.id, RestrictionKind::DoNotHold)
            || self.loss_sold_groups.contains(&self.r.wash_group(sec))
    }

    /// The security to buy for a slot: its own, or the first eligible substitute.
    fn buy_vehicle(&mut self, s: usize) -> Option<SecIdx> {
        let slot = &self.slots[s];
        if slot.forced.is_some() || slot.target <= 0.0 {
            return None;
        }
        let primary = slot.primary;
        if !self.is_buy_blocked(primary) {
            return Some(primary);
        }
        let primary_group = self.r.wash_group(primary);
        let sub = self.r.substitutes(primary).iter().copied().find(|&c| {
            // Never another slot's own security or an earlier slot's substitute: one
            // security, one order, and no slot bought on another's behalf.
            self.r.wash_group(c) != primary_group
                && !self.is_buy_blocked(c)
                && !self.slots.iter().any(|x| x.primary == c)
                && !self.slots[..s].iter().any(|x| x.vehicle == Some(c))
        });
        if sub.is_none() && slot.value < slot.target - self.min_trade_f {
            let id = &self.r.security(primary).id;
            let why = if self.loss_sold_groups.contains(&primary_group) {
                "it was sold at a loss within 30 days (wash sale)"
            } else {
                "it is restricted for this account or the firm"
            };
            self.exceptions.push(EngineException::new(
                "buy_blocked",
                format!("{id} is under target but cannot be bought: {why}, and no eligible substitute exists"),
            ));
        }
        sub
    }

    // ---------------------------------------------------------------- planning stages

    fn free_cash(&self) -> f64 {
        self.cash_f + self.sold_dollars() - self.cash_target
    }

    fn sold_dollars(&self) -> f64 {
        self.lots.iter().map(|l| l.take).sum()
    }

    /// Sells every sellable lot of off-model slots (policy: sell) and of do-not-hold
    /// securities. A model slot that loses a do-not-hold security stays open to buying
    /// (through a substitute), so its exposure can be replaced.
    fn sell_forced(&mut self) {
        for s in 0..self.slots.len() {
            let slot_forced = self.slots[s].forced.is_some();
            if !slot_forced && !self.members[self.slots[s].members.clone()].iter().any(|m| m.do_not_hold) {
                continue;
            }
            self.ensure_lots(s);
            let mut blocked = false;
            let mut sold = false;
            for k in self.slots[s].lots.clone() {
                if !slot_forced && !self.members[self.lots[k].member].do_not_hold {
                    continue;
                }
                if self.lots[k].sellable {
                    self.take(k, self.lots[k].dollars);
                    // Already sold in full: keep it out of the optional sell sequences.
                    self.lots[k].sellable = false;
                    sold = true;
                } else {
                    blocked = true;
                }
            }
            if sold && !slot_forced {
                self.slots[s].out_of_band = true;
            }
            if blocked {
                let id = &self.r.security(self.slots[s].primary).id;
                self.exceptions.push(EngineException::new(
                    "forced_sale_incomplete",
                    format!("{id} must be sold but some lots cannot be: do-not-sell, or a loss within 30 days of a purchase (wash sale)"),
                ));
            }
        }
    }

    /// Values the lots of slot `s` for selling (tax per dollar, term, whether they may be
    /// sold), once. Slots that never sell are never valued lot by lot.
    fn ensure_lots(&mut self, s: usize) {
        if self.slots[s].lots_built {
            return;
        }
        let first = self.lots.len();
        for m in self.slots[s].members.clone() {
            let member = &self.members[m];
            for (k, l) in self.a.positions[member.pos].lots.iter().enumerate() {
                let dollars = f(l.quantity) * member.price_f;
                let basis = f(l.cost_basis);
                let gain = if member.price_f > 0.0 { (member.price_f - basis) / member.price_f } else { 0.0 };
                let long_term = self.period.term(l.acquired) == Term::LongTerm;
                let rate = if long_term { self.long_term_rate } else { self.short_term_rate };
                let tax = if self.taxable { gain * rate } else { 0.0 };
                let loss = self.taxable && gain < 0.0;
                self.lots.push(Lot {
                    member: m,
                    lot: k,
                    dollars,
                    tax,
                    gain,
                    short_term_gain: self.taxable && !long_term && gain > 0.0,
                    basis,
                    acquired: l.acquired,
                    long_term,
                    sellable: member.can_sell && (!loss || !member.recently_bought),
                    take: 0.0,
                });
            }
        }
        let slot = &mut self.slots[s];
        slot.lots = first..self.lots.len();
        slot.lots_built = true;
    }

    fn ensure_all_lots(&mut self) {
        for s in 0..self.slots.len() {
            self.ensure_lots(s);
        }
    }

    fn take(&mut self, k: usize, dollars: f64) {
        let lot = &mut self.lots[k];
        lot.take = (lot.take + dollars).min(lot.dollars);
        self.members[lot.member].selling = true;
    }

    /// Builds each slot's sell sequence (lots in relief order, without lots that may not be
    /// sold) and cuts it into segments of non-decreasing cost, pooling where the lot-relief
    /// method forces a costlier lot before a cheaper one. Segments come in slot and
    /// sequence order. Past-target segments (selling a slot below its target) are only
    /// built when `past_target`: they serve nothing but raising required cash.
    fn segments(&mut self, skip_short_term: bool, with_trim: bool, past_target: bool) -> Vec<Segment> {
        let mut segs: Vec<Segment> = Vec::with_capacity(self.slots.len() * 4);
        let method = self.a.tax.lot_method;
        let lambda = self.lambda;
        for s in 0..self.slots.len() {
            let slot = &self.slots[s];
            if slot.forced.is_some() || slot.value <= EPS || slot.buy > 0.0 {
                continue;
            }
            let trim_end = if with_trim && slot.out_of_band { (slot.value - slot.goal).max(0.0) } else { 0.0 };
            let toward_end = (slot.value - slot.target).max(trim_end);
            if !past_target && toward_end <= EPS {
                continue;
            }
            let sequence_end = if past_target { f64::INFINITY } else { toward_end };
            self.ensure_lots(s);
            let range = self.slots[s].lots.clone();
            if range.len() > 1 {
                let lots = &mut self.lots[range.clone()];
                let tie = |x: &Lot, y: &Lot| x.member.cmp(&y.member).then(x.lot.cmp(&y.lot));
                match method {
                    LotMethod::MinTax => lots.sort_unstable_by(|x, y| {
                        x.tax.total_cmp(&y.tax).then(x.gain.total_cmp(&y.gain)).then(tie(x, y))
                    }),
                    LotMethod::Hifo => lots.sort_unstable_by(|x, y| {
                        y.basis.total_cmp(&x.basis).then(x.acquired.cmp(&y.acquired)).then(tie(x, y))
                    }),
                    LotMethod::Fifo => lots.sort_unstable_by(|x, y| {
                        x.acquired.cmp(&y.acquired).then(y.basis.total_cmp(&x.basis)).then(tie(x, y))
                    }),
                }
            }
            // Trims are pooled apart from the rest: they are taken whatever they cost.
            let mut first = segs.len();
            let mut at = 0.0;
            for k in range {
                if at >= sequence_end {
                    break;
                }
                let lot = &self.lots[k];
                let avail = lot.dollars;
                if !lot.sellable || avail <= EPS || (skip_short_term && lot.short_term_gain) {
                    continue;
                }
                let base = lambda * lot.tax;
                // Split the lot where it crosses the trim and target boundaries.
                let mut piece_start = at;
                let end = at + avail;
                for (boundary, class) in [(trim_end, 0u8), (toward_end, 1u8), (sequence_end, 2u8)] {
                    if piece_start >= end {
                        break;
                    }
                    let piece_end = end.min(boundary);
                    if piece_end > piece_start + EPS {
                        if class > 0 && segs.len() > first && segs.last().is_some_and(|g| g.class == 0) {
                            first = segs.len();
                        }
                        let key = if class == 2 { base + DRIFT_PER_DOLLAR_MOVED } else { base };
                        push_pooled(
                            &mut segs,
                            first,
                            Segment { slot: s, start: piece_start, end: piece_end, key, class, gain: lot.gain },
                        );
                    }
                    piece_start = piece_start.max(piece_end);
                }
                at = end;
            }
        }
        segs
    }

    /// Marks `dollars` of slot `s`'s sell sequence, from offset `from`, as sold.
    fn take_along(&mut self, s: usize, from: f64, dollars: f64, skip_short_term: bool) {
        let mut at = 0.0;
        let mut left = dollars;
        for k in self.slots[s].lots.clone() {
            let lot = &self.lots[k];
            let avail = lot.dollars;
            if !lot.sellable || avail <= EPS || (skip_short_term && lot.short_term_gain) {
                continue;
            }
            let (lo, hi) = (at, at + avail);
            at = hi;
            if hi <= from + EPS {
                continue;
            }
            let amount = (hi - lo.max(from)).min(left);
            self.take(k, amount);
            left -= amount;
            if left <= EPS {
                break;
            }
        }
    }

    /// Sells lot segments, cheapest first. Trims (class 0) first, when `with_trim`; then
    /// `need`: dollars that must be raised (any class, cheapest first); then enough
    /// toward-target dollars to fund `demand` beyond free cash, while their cost is below
    /// the drift they remove. The realized-gain budget cuts back optional sales.
    fn sell_plan(&mut self, mut need: f64, demand: f64, with_trim: bool) {
        let skip_st = self.taxable && self.a.tax.avoid_short_term_gains;
        let mut budget = self.gain_budget_left();
        let mut segs = self.segments(skip_st, with_trim, need > EPS);
        // Dollars taken so far per slot along its sequence, and slots a cut-back closed.
        let mut taken = vec![0.0f64; self.slots.len()];
        let mut closed = vec![false; self.slots.len()];
        // Under a gain budget the order of sales matters (each one spends budget): sort.
        if budget.is_some() {
            sort_by_cost(&mut segs);
        }
        // Trims first: they are the rebalance in tolerance mode.
        for seg in segs.iter().filter(|g| g.class == 0) {
            let amount = self.budgeted(seg, seg.end - seg.start, &mut budget, &mut closed);
            self.take_along(seg.slot, taken[seg.slot], amount, skip_st);
            taken[seg.slot] += amount;
            need -= amount;
        }
        let mut want = (demand - self.free_cash().max(0.0)).max(0.0);
        let worth = |g: &Segment| g.class == 1 && g.key < DRIFT_PER_DOLLAR_MOVED;
        if budget.is_none() {
            // No budget: only which dollars are cheapest matters, not the order they are
            // taken in, so a linear-time selection replaces the sort.
            if need > EPS {
                need -= self.take_cheapest(&segs, |g| g.class != 0, need, &mut taken, skip_st, true);
            }
            if need <= EPS {
                self.take_cheapest(&segs, worth, want, &mut taken, skip_st, false);
            }
            self.report_shortfall(need, skip_st);
            return;
        }
        for seg in segs.iter().filter(|g| g.class != 0) {
            if need <= EPS && want <= EPS {
                break;
            }
            // Each slot's sequence is consumed as a prefix.
            if closed[seg.slot] || taken[seg.slot] < seg.start - EPS {
                continue;
            }
            let len = (seg.end - taken[seg.slot].max(seg.start)).max(0.0);
            let mut amount = 0.0;
            if need > EPS {
                amount = len.min(need);
                self.slots[seg.slot].raised = true;
                if let Some(b) = budget.as_mut() {
                    *b -= amount * seg.gain;
                }
                need -= amount;
            }
            if need <= EPS && want > EPS && worth(seg) {
                let a = self.budgeted(seg, (len - amount).min(want), &mut budget, &mut closed);
                want -= a;
                amount += a;
            }
            if amount > EPS {
                self.take_along(seg.slot, taken[seg.slot], amount, skip_st);
                taken[seg.slot] += amount;
            }
        }
        self.report_shortfall(need, skip_st);
    }

    /// Cash still to raise after the sell plan: short-term lots as a last resort, or an exception.
    fn report_shortfall(&mut self, need: f64, skip_st: bool) {
        if need > EPS && skip_st {
            self.raise_short_term(need);
        } else if need > self.min_trade_f {
            self.exceptions.push(EngineException::new(
                "cash_shortfall",
                format!("could not raise ${need:.2} of required cash: not enough sellable holdings"),
            ));
        }
    }

    /// Sells the cheapest `amount` dollars of the segments `keep` accepts, beyond what is
    /// already `taken`: everything below the marginal cost (found by weighted selection)
    /// and, in sequence order, enough at it. Each slot stays a prefix of its sequence
    /// because costs never fall along it. Returns the dollars sold.
    fn take_cheapest(
        &mut self,
        segs: &[Segment],
        keep: impl Fn(&Segment) -> bool,
        amount: f64,
        taken: &mut [f64],
        skip_st: bool,
        raise: bool,
    ) -> f64 {
        if amount <= EPS {
            return 0.0;
        }
        let left = |g: &Segment, taken: &[f64]| (g.end - taken[g.slot].max(g.start)).max(0.0);
        let mut items: Vec<(u64, f64)> = segs
            .iter()
            .filter(|g| keep(g))
            .map(|g| (order_bits(g.key), left(g, taken)))
            .filter(|c| c.1 > EPS)
            .collect();
        let marginal = weighted_threshold(&mut items, amount);
        let mut at_margin = amount - items.iter().filter(|c| c.0 < marginal).map(|c| c.1).sum::<f64>();
        let mut sold = 0.0;
        for seg in segs.iter().filter(|g| keep(g)) {
            let rest = left(seg, taken);
            let key = order_bits(seg.key);
            let a = if rest <= EPS {
                continue;
            } else if key < marginal {
                rest
            } else if key == marginal && at_margin > EPS {
                let a = rest.min(at_margin);
                at_margin -= a;
                a
            } else {
                continue;
            };
            self.take_along(seg.slot, taken[seg.slot], a, skip_st);
            taken[seg.slot] += a;
            sold += a;
            if raise {
                self.slots[seg.slot].raised = true;
            }
        }
        sold
    }

    /// Cuts an optional sale back to what the realized-gain budget still allows.
    fn budgeted(&mut self, seg: &Segment, amount: f64, budget: &mut Option<f64>, closed: &mut [bool]) -> f64 {
        let Some(b) = budget.as_mut() else { return amount };
        if seg.gain <= 0.0 {
            *b -= amount * seg.gain;
            return amount;
        }
        let allowed = (*b / seg.gain).clamp(0.0, amount);
        *b -= allowed * seg.gain;
        if allowed < amount - EPS {
            closed[seg.slot] = true;
            if !self.exceptions.iter().any(|e| e.code == "gain_budget") {
                self.exceptions.push(EngineException::new(
                    "gain_budget",
                    format!(
                        "sales cut back to stay within the realized-gain budget of ${}",
                        self.a.tax.gain_budget.unwrap_or_default()
                    ),
                ));
            }
        }
        allowed
    }

    fn gain_budget_left(&self) -> Option<f64> {
        if !self.taxable {
            return None;
        }
        self.a.tax.gain_budget.map(|b| f(b - self.a.tax.realized_gains_ytd).max(0.0) + self.realized_so_far_losses())
    }

    /// Losses already planned (forced sales) widen the budget; gains narrow it.
    fn realized_so_far_losses(&self) -> f64 {
        -self.lots.iter().map(|l| l.take * l.gain).sum::<f64>()
    }

    /// Last resort when cash must be raised: short-term gain lots, smallest tax first.
    fn raise_short_term(&mut self, mut need: f64) {
        self.ensure_all_lots();
        let mut order: Vec<usize> = (0..self.lots.len())
            .filter(|&k| {
                let l = &self.lots[k];
                l.short_term_gain
                    && l.sellable
                    && l.dollars - l.take > EPS
                    && self.slots[self.members[l.member].slot].buy <= 0.0
            })
            .collect();
        order.sort_by(|&x, &y| self.lots[x].tax.total_cmp(&self.lots[y].tax));
        for k in order {
            if need <= EPS {
                break;
            }
            let amount = (self.lots[k].dollars - self.lots[k].take).min(need);
            self.take(k, amount);
            self.slots[self.members[self.lots[k].member].slot].raised = true;
            need -= amount;
        }
        self.exceptions.push(EngineException::new(
            "short_term_gains_realized",
            "short-term gains realized despite the avoid-short-term setting: cash had to be raised".to_string(),
        ));
        if need > self.min_trade_f {
            self.exceptions.push(EngineException::new(
                "cash_shortfall",
                format!("could not raise ${need:.2} of required cash: not enough sellable holdings"),
            ));
        }
    }

    /// Dollars each slot could absorb: its (goal or target) minus its value.
    fn demand(&self, s: usize, to_goal: bool) -> f64 {
        let slot = &self.slots[s];
        if slot.vehicle.is_none() || slot.forced.is_some() {
            return 0.0;
        }
        // A slot is a buyer or a seller, never both; selling a do-not-hold security out of
        // it does not count: that exposure is to be replaced.
        let (mut sold, mut replaced) = (0.0, 0.0);
        for l in &self.lots[slot.lots.clone()] {
            sold += l.take;
            if self.members[l.member].do_not_hold {
                replaced += l.take;
            }
        }
        if sold - replaced > EPS {
            return 0.0;
        }
        let d = if to_goal { slot.goal } else { slot.target } - (slot.value - sold);
        if d < self.min_trade_f {
            0.0
        } else {
            d
        }
    }

    fn plan_full(&mut self) {
        self.sell_forced();
        let need = (-self.free_cash()).max(0.0);
        let demand: f64 = (0..self.slots.len()).map(|s| self.demand(s, false)).sum();
        self.sell_plan(need, demand, false);
        self.plan_buys();
    }

    fn plan_tolerance(&mut self) {
        let cash_out = (self.cash_f - self.cash_target).abs() > self.cash_band + EPS;
        if !cash_out && !self.slots.iter().any(|s| s.out_of_band) {
            return;
        }
        self.sell_forced();
        // Cash is raised only when it must be: below the reserve and withdrawal, or out of band low.
        let hard = (f(self.a.cash_reserve) + f(self.a.withdrawal) - self.cash_f - self.sold_dollars()).max(0.0);
        let low_band = if self.cash_f < self.cash_target - self.cash_band { -self.free_cash() } else { 0.0 };
        let need = hard.max(low_band).max(0.0);
        let out_demand: f64 = (0..self.slots.len())
            .filter(|&s| self.slots[s].out_of_band && self.slots[s].value < self.slots[s].target)
            .map(|s| self.demand(s, true))
            .sum();
        self.sell_plan(need, out_demand, true);
        // Cash beyond its band after the trims is invested across every underweight holding;
        // otherwise only the out-of-band ones are bought.
        let cash_high = self.free_cash() - out_demand > self.cash_band + EPS;
        self.allocate_buys(|ctx, s| {
            let slot = &ctx.slots[s];
            if slot.out_of_band && slot.value < slot.target {
                ctx.demand(s, true)
            } else if cash_high {
                ctx.demand(s, false)
            } else {
                0.0
            }
        });
    }

    fn plan_buys(&mut self) {
        self.allocate_buys(|ctx, s| ctx.demand(s, false));
    }

    fn plan_raise_cash(&mut self) {
        let need = (-self.free_cash()).max(0.0);
        if need <= EPS {
            return;
        }
        for m in self.members.iter_mut() {
            m.round_up = true;
        }
        self.sell_plan(need, 0.0, false);
    }

    /// Spreads free cash over the slots' demands, filling the largest shortfalls first
    /// (water-filling), and drops allocations below the minimum trade.
    fn allocate_buys(&mut self, demand_of: impl Fn(&Self, usize) -> f64) {
        let mut demand: Vec<f64> = (0..self.slots.len()).map(|s| demand_of(self, s)).collect();
        let free = self.free_cash() - EPS;
        if free < self.min_trade_f {
            return;
        }
        // Each round drops at least one allocation below the minimum, so this ends.
        loop {
            let total: f64 = demand.iter().sum();
            if total <= EPS {
                return;
            }
            let alloc: Vec<f64> = if total <= free {
                demand.clone()
            } else {
                let level = water_level(&demand, free);
                demand.iter().map(|&d| (d - level).max(0.0)).collect()
            };
            let mut dropped = false;
            for (s, &b) in alloc.iter().enumerate() {
                if b > 0.0 && b < self.min_trade_f {
                    demand[s] = 0.0;
                    dropped = true;
                }
            }
            if !dropped {
                for (s, b) in alloc.into_iter().enumerate() {
                    self.slots[s].buy = b;
                    self.slots[s].buy_cap = demand[s];
                }
                return;
            }
        }
    }

    // ---------------------------------------------------------------- tax-loss harvest

    fn harvest(mut self, before: DriftStats) -> AccountResult {
        if !self.taxable {
            return self.finish(Vec::new(), Vec::new(), before);
        }
        self.ensure_all_lots();
        let pct = f(self.o.harvest_min_loss_pct);
        let min_loss = f(self.o.harvest_min_loss);
        let (mut trades, mut trade_slots) = (Vec::new(), Vec::new());
        let mut cash = self.a.cash;
        for m in 0..self.members.len() {
            let (sec, slot, pos, price_f, can_sell) = {
                let x = &self.members[m];
                (x.sec, x.slot, x.pos, x.price_f, x.can_sell)
            };
            let lots: Vec<usize> = self.slots[slot]
                .lots
                .clone()
                .filter(|&k| {
                    let l = &self.lots[k];
                    if l.member != m {
                        return false;
                    }
                    let basis = f(self.a.positions[pos].lots[l.lot].cost_basis);
                    basis > 0.0 && (basis - price_f) / basis >= pct
                })
                .collect();
            let loss: f64 = lots.iter().map(|&k| -self.lots[k].gain * self.lots[k].dollars).sum();
            if lots.is_empty() || loss < min_loss {
                continue;
            }
            let id = self.r.security(sec).id.clone();
            if !can_sell {
                self.exceptions.push(EngineException::new(
                    "harvest_blocked",
                    format!("{id}: loss not harvested: do-not-sell restriction"),
                ));
                continue;
            }
            let bought_today = self.bought_groups.contains(&self.r.wash_group(sec));
            if bought_today || lots.iter().any(|&k| !self.lots[k].sellable) {
                self.exceptions.push(EngineException::new(
                    "harvest_deferred_wash_sale",
                    format!("{id}: loss of ${loss:.2} not harvested: bought within the last 30 days (wash sale)"),
                ));
                continue;
            }
            let Some(sub) = self.harvest_substitute(sec, slot) else {
                self.exceptions.push(EngineException::new(
                    "harvest_no_substitute",
                    format!("{id}: loss of ${loss:.2} not harvested: no eligible substitute that is not substantially identical"),
                ));
                continue;
            };
            for &k in &lots {
                let d = self.lots[k].dollars;
                self.take(k, d);
            }
            let Some(sell) = self.realize_sell(m, TradeReason::TaxLossHarvest) else { continue };
            let sub_price = self.r.price(sub).unwrap_or(Decimal::ONE);
            let sub_security = self.r.security(sub);
            let scale = sub_security.quantity_scale(self.a.allows_fractional);
            let mut qty = to_quantity(f(sell.amount) / self.r.price_f64(sub), scale, false);
            // Bonds: whole pieces of the minimum denomination (quantity steps at scale 0).
            let increment = Decimal::from(sub_security.buy_increment_steps());
            if increment > Decimal::ONE {
                qty = (qty / increment).floor() * increment;
            }
            let amount = qty * sub_price;
            if amount < self.min_trade || qty.is_zero() {
                // Keep the exposure or do nothing: a harvest without its replacement is not wanted.
                for &k in &lots {
                    self.lots[k].take = 0.0;
                }
                continue;
            }
            cash += sell.amount;
            let buy = self.buy_trade(sub, qty, sub_price, amount, TradeReason::HarvestReplacement);
            cash -= buy.amount;
            // Only one harvest per wash group per run: the substitute is now bought.
            self.bought_groups.push(self.r.wash_group(sub));
            self.loss_sold_groups.push(self.r.wash_group(sec));
            trades.push(sell);
            trades.push(buy);
            trade_slots.extend([slot, slot]);
        }
        debug_assert!(cash >= Decimal::ZERO);
        self.finish(trades, trade_slots, before)
    }

    fn harvest_substitute(&self, sec: SecIdx, slot: usize) -> Option<SecIdx> {
        let group = self.r.wash_group(sec);
        let primary = self.slots[slot].primary;
        // The model security itself (when a held substitute is harvested) or one of its
        // substitutes; never another slot's security, which would move that slot instead.
        std::iter::once(primary).chain(self.r.substitutes(primary).iter().copied()).find(|&c| {
            c != sec
                && !self.slots.iter().enumerate().any(|(i, s)| i != slot && s.primary == c)
                && self.r.wash_group(c) != group
                && !self.is_buy_blocked(c)
                && !self.bought_groups.contains(&self.r.wash_group(c))
        })
    }

    // ---------------------------------------------------------------- realization

    /// Turns planned dollars into decimal trades, in a fixed order: sells, then buys.
    /// Each trade comes with the slot whose value it changes.
    fn realize(&mut self) -> (Vec<ProposedTrade>, Vec<usize>) {
        let mut trades = Vec::with_capacity(self.members.len() + self.slots.len());
        let mut trade_slots = Vec::with_capacity(self.members.len() + self.slots.len());
        let mut cash = self.a.cash;
        let mut sold_at_loss: Vec<u32> = Vec::new();
        for m in 0..self.members.len() {
            if !self.members[m].selling {
                continue;
            }
            let s = self.members[m].slot;
            let slot = &self.slots[s];
            let reason = match slot.forced {
                Some(r) => r,
                None if self.members[m].do_not_hold => TradeReason::Restricted,
                None if slot.raised || self.o.mode == Mode::RaiseCash => TradeReason::CashRaise,
                None => TradeReason::Drift,
            };
            if let Some(t) = self.realize_sell(m, reason) {
                cash += t.amount;
                // A loss sold today blocks buying anything substantially identical today.
                if t.lots.iter().any(|l| l.gain < Decimal::ZERO) {
                    sold_at_loss.push(self.r.wash_group(self.members[m].sec));
                }
                trades.push(t);
                trade_slots.push(s);
            }
        }
        // Buys are planned in units of each security's quantity step and in float dollars;
        // decimals are made once per trade, where the final cash check is exact.
        let mut free_f = f(cash) - self.cash_target - EPS;
        let reason = if self.o.mode == Mode::BuyOnly { TradeReason::CashDeploy } else { TradeReason::Drift };
        let mut planned: Vec<PlannedBuy> = Vec::new();
        for s in 0..self.slots.len() {
            let (buy, vehicle) = (self.slots[s].buy, self.slots[s].vehicle);
            let Some(sec) = vehicle else { continue };
            if buy <= 0.0 || sold_at_loss.contains(&self.r.wash_group(sec)) {
                continue;
            }
            let security = self.r.security(sec);
            let scale = security.quantity_scale(self.a.allows_fractional);
            let step = 10f64.powi(-(scale as i32));
            let price_f = self.r.price_f64(sec);
            // As `to_quantity`: shares rounded down at the scale, with the same float nudge;
            // bonds in whole pieces of their minimum denomination.
            let increment = security.buy_increment_steps() as f64;
            let units = ((buy.min(free_f) / price_f + 1e-7) / step / increment).floor() * increment;
            let unit_f = step * price_f;
            if units < 1.0 || units * unit_f < self.min_trade_f - EPS {
                continue;
            }
            free_f -= units * unit_f;
            planned.push(PlannedBuy { slot: s, sec, units: units as i64, scale, unit_f });
        }
        // Sweep: leftover cash buys one more unit each for the largest remaining shortfalls.
        if !planned.is_empty() || self.slots.iter().any(|s| s.buy > 0.0) {
            let mut shortfall: Vec<f64> = self.slots.iter().map(|s| s.buy_cap).collect();
            for p in &planned {
                shortfall[p.slot] -= p.units as f64 * p.unit_f;
            }
            let mut order: Vec<usize> = (0..self.slots.len()).filter(|&s| self.slots[s].buy > 0.0).collect();
            order.sort_unstable_by(|&x, &y| shortfall[y].total_cmp(&shortfall[x]).then(x.cmp(&y)));
            for s in order {
                let Some(sec) = self.slots[s].vehicle else { continue };
                let security = self.r.security(sec);
                let scale = security.quantity_scale(self.a.allows_fractional);
                let unit_f = 10f64.powi(-(scale as i32)) * self.r.price_f64(sec);
                let increment = security.buy_increment_steps();
                let piece_f = increment as f64 * unit_f;
                if shortfall[s] <= EPS || free_f < piece_f || sold_at_loss.contains(&self.r.wash_group(sec)) {
                    continue;
                }
                // One piece over the shortfall is allowed for a share, not for a $1,000 bond.
                if increment > 1 && piece_f > shortfall[s] + unit_f {
                    continue;
                }
                let existing = planned.iter().position(|p| p.slot == s);
                let units = existing.map(|i| planned[i].units).unwrap_or(0) + increment;
                if units as f64 * unit_f < self.min_trade_f - EPS {
                    continue;
                }
                free_f -= piece_f;
                match existing {
                    Some(i) => planned[i].units = units,
                    None => planned.push(PlannedBuy { slot: s, sec, units, scale, unit_f }),
                }
            }
        }
        for p in planned {
            let qty = Decimal::new(p.units, p.scale);
            let price = self.r.price(p.sec).unwrap_or_default();
            let amount = qty * price;
            // The exact checks that keep the invariants: minimum trade, never negative cash.
            if amount < self.min_trade || cash - amount < Decimal::ZERO {
                continue;
            }
            cash -= amount;
            trades.push(self.buy_trade(p.sec, qty, price, amount, reason));
            trade_slots.push(p.slot);
        }
        (trades, trade_slots)
    }

    fn buy_trade(
        &self,
        sec: SecIdx,
        qty: Decimal,
        price: Decimal,
        amount: Decimal,
        reason: TradeReason,
    ) -> ProposedTrade {
        ProposedTrade {
            account: self.account_id.clone(),
            security: self.r.security(sec).id.clone(),
            side: Side::Buy,
            quantity: qty,
            price,
            amount,
            reason,
            lots: Vec::new(),
            short_term_gain: Decimal::ZERO,
            long_term_gain: Decimal::ZERO,
        }
    }

    /// The sale of one member: planned dollars to a rounded quantity, relieved from the
    /// planned lots in plan order.
    fn realize_sell(&mut self, m: usize, reason: TradeReason) -> Option<ProposedTrade> {
        let member = &self.members[m];
        let range = self.slots[member.slot].lots.clone();
        // A sale that must happen (a forced slot, or a do-not-hold holding) and is too small
        // to propose is reported, never dropped silently.
        let forced = self.slots[member.slot].forced.is_some() || member.do_not_hold;
        let position = &self.a.positions[member.pos];
        let (mut planned_q, mut any, mut all_whole, mut whole_qty) = (0.0, false, true, Decimal::ZERO);
        for l in &self.lots[range.clone()] {
            if l.member != m || l.take <= EPS {
                continue;
            }
            any = true;
            planned_q += l.take / member.price_f;
            if l.take >= l.dollars - EPS {
                whole_qty += position.lots[l.lot].quantity;
            } else {
                all_whole = false;
            }
        }
        if !any {
            return None;
        }
        // Whole lots taken entirely keep their exact quantity.
        let mut qty = if all_whole { whole_qty } else { to_quantity(planned_q, member.scale, member.round_up) };
        if member.round_up && qty * member.price < self.min_trade {
            qty = (self.min_trade / member.price).round_dp_with_strategy(member.scale, RoundingStrategy::AwayFromZero);
        }
        // When exactly the planned whole lots are sold, each is relieved in full; otherwise
        // the quantity is capped at what may be sold, and a whole-share account sells a
        // fraction (whole lots may hold reinvested fractions) only when it closes the position.
        let allowed =
            |q: Decimal| q.scale() <= member.scale || q.round_dp(member.scale) == q || q == position.quantity();
        let exact_lots = all_whole && qty == whole_qty && allowed(qty);
        if !exact_lots {
            // Only a quantity rounded up can exceed what the planned lots hold.
            if member.round_up {
                let sellable: Decimal = self.lots[range.clone()]
                    .iter()
                    .filter(|l| l.member == m && (l.sellable || l.take > EPS))
                    .map(|l| position.lots[l.lot].quantity)
                    .sum();
                qty = qty.min(sellable);
            }
            if !allowed(qty) {
                qty = qty.round_dp_with_strategy(member.scale, RoundingStrategy::ToZero);
            }
        }
        let mut reliefs = Vec::with_capacity(4);
        let mut left = qty;
        let (mut st, mut lt) = (Decimal::ZERO, Decimal::ZERO);
        // Planned lots first, in sequence order (cheapest first); then, for a quantity
        // rounded up, other sellable lots of the same security.
        let planned = range.clone().filter(|&k| self.lots[k].member == m && self.lots[k].take > EPS);
        let extra = range.filter(|&k| self.lots[k].member == m && self.lots[k].take <= EPS && self.lots[k].sellable);
        for k in planned.chain(extra) {
            if left.is_zero() {
                break;
            }
            let lot: &TaxLot = &position.lots[self.lots[k].lot];
            let q = if exact_lots {
                if self.lots[k].take <= EPS {
                    break;
                }
                lot.quantity
            } else {
                // Never more than what is left, so `left` never goes negative.
                let q = if lot.quantity < left { lot.quantity } else { left };
                left -= q;
                q
            };
            let proceeds = q * member.price;
            let gain = if self.taxable {
                let g = q * (member.price - lot.cost_basis);
                // Rounding to cents only does something for fractional quantities or prices.
                if g.scale() > 2 {
                    g.round_dp(2)
                } else {
                    g
                }
            } else {
                Decimal::ZERO
            };
            let term = if self.lots[k].long_term { Term::LongTerm } else { Term::ShortTerm };
            match term {
                Term::ShortTerm => st += gain,
                Term::LongTerm => lt += gain,
            }
            reliefs.push(LotRelief {
                lot_id: lot.id.clone(),
                acquired: lot.acquired,
                quantity: q,
                cost_basis: lot.cost_basis,
                proceeds,
                gain,
                term,
            });
        }
        let qty = if exact_lots { qty } else { qty - left };
        let amount = qty * member.price;
        // A float screen spares the decimal comparison for trades well above the minimum.
        let clearly_large = f(qty) * member.price_f > self.min_trade_f + 1.0;
        if qty.is_zero() || (!clearly_large && amount < self.min_trade) {
            if forced && !qty.is_zero() {
                let id = &self.r.security(member.sec).id;
                self.exceptions.push(EngineException::new(
                    "below_min_trade",
                    format!("{id}: sale of ${amount:.2} is below the ${} minimum trade; not proposed", self.min_trade),
                ));
            }
            return None;
        }
        Some(ProposedTrade {
            account: self.account_id.clone(),
            security: self.r.security(member.sec).id.clone(),
            side: Side::Sell,
            quantity: qty,
            price: member.price,
            amount,
            reason,
            lots: reliefs,
            short_term_gain: st,
            long_term_gain: lt,
        })
    }

    // ---------------------------------------------------------------- report

    /// Drift with slot values given by `value` and the given cash, as weights of the total.
    fn drift(&self, values: &[f64], cash: f64) -> DriftStats {
        if self.total <= 0.0 {
            return DriftStats::default();
        }
        let mut total = ((cash - self.cash_target) / self.total).abs();
        let mut max = total;
        for (s, v) in self.slots.iter().zip(values) {
            let d = ((v - s.target) / self.total).abs();
            total += d;
            max = max.max(d);
        }
        DriftStats { total, max }
    }

    /// `trade_slots[i]` is the slot whose value `trades[i]` changes.
    fn finish(mut self, trades: Vec<ProposedTrade>, trade_slots: Vec<usize>, before: DriftStats) -> AccountResult {
        let mut after_value: Vec<f64> = self.slots.iter().map(|s| s.value).collect();
        let (mut bought, mut sold, mut st, mut lt) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        for (t, &slot) in trades.iter().zip(&trade_slots) {
            after_value[slot] += if t.side == Side::Buy { f(t.amount) } else { -f(t.amount) };
            match t.side {
                Side::Buy => bought += t.amount,
                Side::Sell => {
                    sold += t.amount;
                    st += t.short_term_gain;
                    lt += t.long_term_gain;
                }
            }
        }
        let cash = self.a.cash + sold - bought;
        let after = self.drift(&after_value, f(cash));
        // Full mode promises never to leave an account further from its model, except where a
        // do-not-hold security has to be sold and nothing can replace it: compliance first.
        let compliance_sale = trades.iter().any(|t| t.reason == TradeReason::Restricted);
        if self.o.mode == Mode::Full && after.total > before.total + 1e-9 && !trades.is_empty() && !compliance_sale {
            self.exceptions.push(EngineException::new(
                "no_improvement",
                "no set of trades reduced drift under the constraints; nothing proposed",
            ));
            return self.finish(Vec::new(), Vec::new(), before);
        }
        let tax = if self.taxable {
            (st * self.a.tax.short_term_rate + lt * self.a.tax.long_term_rate).round_dp(2)
        } else {
            Decimal::ZERO
        };
        let market_value = from_f64(self.total, 2, Round::Nearest);
        AccountResult {
            account: self.a.id.clone(),
            outcome: if trades.is_empty() { AccountOutcome::NoTradesNeeded } else { AccountOutcome::Rebalanced },
            market_value,
            cash_before: self.a.cash,
            cash_after: cash,
            drift_before: before,
            drift_after: if trades.is_empty() { before } else { after },
            turnover: if self.total > 0.0 { (f(bought) + f(sold)) / 2.0 / self.total } else { 0.0 },
            bought,
            sold,
            short_term_gain: st,
            long_term_gain: lt,
            estimated_tax: tax,
            exceptions: std::mem::take(&mut self.exceptions),
            trades,
        }
    }
}

fn band(model: &CompiledModel, target_weight: f64) -> f64 {
    model.band_absolute.max(model.band_relative * target_weight)
}

/// Appends a segment and pools it with its predecessors (same slot, from `first` on) while
/// they cost more per dollar: the convex hull of the slot's cumulative cost, so that a
/// greedy over all segments sorted by cost takes each slot's sequence as a prefix.
fn push_pooled(segs: &mut Vec<Segment>, first: usize, mut seg: Segment) {
    while segs.len() > first {
        let prev = *segs.last().expect("len > first");
        if prev.key <= seg.key {
            break;
        }
        segs.pop();
        let (lp, ls) = (prev.end - prev.start, seg.end - seg.start);
        let w = lp + ls;
        seg = Segment {
            slot: seg.slot,
            start: prev.start,
            end: seg.end,
            key: (prev.key * lp + seg.key * ls) / w,
            class: prev.class.max(seg.class),
            gain: (prev.gain * lp + seg.gain * ls) / w,
        };
    }
    segs.push(seg);
}

/// An f64 as a u64 with the same order, so sorts and selections compare plain integers.
fn order_bits(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

/// Sorts segments by cost per dollar; ties keep slot and sequence order (the push order).
fn sort_by_cost(segs: &mut [Segment]) {
    segs.sort_unstable_by_key(|g| (order_bits(g.key), g.slot, order_bits(g.start)));
}

/// For `(cost, dollars)` items, the cost of the item that brings the cheapest-first total
/// to `want`; `u64::MAX` when everything together is not enough. Reorders `items`.
fn weighted_threshold(items: &mut [(u64, f64)], want: f64) -> u64 {
    if items.iter().map(|c| c.1).sum::<f64>() <= want {
        return u64::MAX;
    }
    let (mut lo, mut hi, mut before) = (0, items.len(), 0.0);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        items[lo..hi].select_nth_unstable_by_key(mid - lo, |c| c.0);
        let left: f64 = items[lo..mid].iter().map(|c| c.1).sum();
        if before + left >= want {
            hi = mid;
        } else {
            before += left;
            lo = mid;
        }
    }
    items[lo].0
}

/// The level L such that Σ max(0, d − L) = budget (for budget < Σ d).
fn water_level(demand: &[f64], budget: f64) -> f64 {
    let mut sorted: Vec<f64> = demand.iter().copied().filter(|&d| d > 0.0).collect();
    sorted.sort_unstable_by(|a, b| b.total_cmp(a));
    let mut cum = 0.0;
    for (i, &d) in sorted.iter().enumerate() {
        cum += d;
        let level = (cum - budget) / (i + 1) as f64;
        let next = sorted.get(i + 1).copied().unwrap_or(0.0);
        if level >= next {
            return level.max(0.0);
        }
    }
    0.0
}
