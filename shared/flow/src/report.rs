//! Execution reports: validation and the order state machine they drive.

use ballast_core::Decimal;

use crate::model::{ExecutionReport, Order, OrderState, ReportKind};

/// Why a report cannot be applied: it goes to the dead-letter queue with this reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("the message is not an execution report: {0}")]
    Malformed(String),
    #[error("report {seq} for order {order_id}: {why}")]
    Invalid { order_id: String, seq: u64, why: String },
    #[error("no order {0}: the report names an order this platform never sent")]
    UnknownOrder(String),
}

/// Parses one message body: a report, or a list of reports (a venue may batch them).
pub fn parse_reports(body: &str) -> Result<Vec<ExecutionReport>, ReportError> {
    let trimmed = body.trim_start();
    let reports: Vec<ExecutionReport> = if trimmed.starts_with('[') {
        serde_json::from_str(body).map_err(|e| ReportError::Malformed(e.to_string()))?
    } else {
        vec![serde_json::from_str(body).map_err(|e| ReportError::Malformed(e.to_string()))?]
    };
    for r in &reports {
        validate(r)?;
    }
    Ok(reports)
}

/// Checks what a report says on its own (quantities, prices, sequence).
pub fn validate(r: &ExecutionReport) -> Result<(), ReportError> {
    let invalid = |why: String| ReportError::Invalid { order_id: r.order_id.clone(), seq: r.seq, why };
    if r.order_id.is_empty() {
        return Err(ReportError::Malformed("the report has no order_id".into()));
    }
    if r.seq == 0 {
        return Err(invalid("sequence numbers start at 1".into()));
    }
    if matches!(r.kind, ReportKind::Fill | ReportKind::PartialFill) {
        match (r.quantity, r.price) {
            (Some(q), Some(p)) if q > Decimal::ZERO && p > Decimal::ZERO => {}
            (q, p) => return Err(invalid(format!("a fill needs a positive quantity and price, got {q:?} at {p:?}"))),
        }
    }
    Ok(())
}

/// The order after the report, or `None` when the report changes nothing (a redelivery,
/// an older report, or one arriving after the order is final).
pub fn apply_to_order(order: &Order, r: &ExecutionReport) -> Option<Order> {
    if r.seq <= order.last_report || order.state.is_final() {
        return None;
    }
    let mut next = order.clone();
    next.last_report = r.seq;
    match r.kind {
        ReportKind::Ack => {
            if matches!(order.state, OrderState::New | OrderState::Sent) {
                next.state = OrderState::Acknowledged;
            }
        }
        ReportKind::PartialFill | ReportKind::Fill => {
            let (q, p) = (r.quantity.unwrap_or_default(), r.price.unwrap_or_default());
            // Never more than the order: a venue's overfill is capped and noted.
            let q = q.min(order.quantity - order.filled);
            let cost = order.average_price.unwrap_or_default() * order.filled + p * q;
            next.filled = order.filled + q;
            if next.filled > Decimal::ZERO {
                next.average_price = Some((cost / next.filled).round_dp(6));
            }
            next.state = if r.kind == ReportKind::Fill || next.filled >= order.quantity {
                OrderState::Filled
            } else {
                OrderState::PartiallyFilled
            };
        }
        ReportKind::Reject => {
            next.state = OrderState::Rejected;
            next.reason = r.reason.clone().or_else(|| Some("rejected by the market center".into()));
        }
        ReportKind::Cancel => {
            next.state = OrderState::Cancelled;
            next.reason = r.reason.clone();
        }
    }
    Some(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ballast_core::Side;

    fn order() -> Order {
        Order {
            id: "ord-1".into(),
            job_id: "job-1".into(),
            batch: 0,
            account: "A".into(),
            security: "AAA".into(),
            side: Side::Buy,
            quantity: Decimal::from(100),
            price: Decimal::from(10),
            venue: "XNYS".into(),
            state: OrderState::Sent,
            filled: Decimal::ZERO,
            average_price: None,
            last_report: 0,
            reason: None,
            rerouted_from: None,
            held_for: None,
            may_reroute: true,
        }
    }

    fn report(seq: u64, kind: ReportKind, q: Option<i64>, p: Option<i64>) -> ExecutionReport {
        ExecutionReport {
            order_id: "ord-1".into(),
            venue: "XNYS".into(),
            seq,
            kind,
            quantity: q.map(Decimal::from),
            price: p.map(Decimal::from),
            reason: None,
            at: None,
        }
    }

    #[test]
    fn fills_accumulate_and_redeliveries_change_nothing() {
        let o = apply_to_order(&order(), &report(1, ReportKind::Ack, None, None)).unwrap();
        assert_eq!(o.state, OrderState::Acknowledged);
        let o = apply_to_order(&o, &report(2, ReportKind::PartialFill, Some(40), Some(10))).unwrap();
        assert_eq!((o.state, o.filled), (OrderState::PartiallyFilled, Decimal::from(40)));
        assert_eq!(apply_to_order(&o, &report(2, ReportKind::PartialFill, Some(40), Some(10))), None);
        assert_eq!(apply_to_order(&o, &report(1, ReportKind::Ack, None, None)), None);
        let o = apply_to_order(&o, &report(3, ReportKind::PartialFill, Some(60), Some(11))).unwrap();
        assert_eq!((o.state, o.filled), (OrderState::Filled, Decimal::from(100)));
        assert_eq!(o.average_price, Some("10.6".parse().unwrap()));
        // Final: a late report is ignored.
        assert_eq!(apply_to_order(&o, &report(4, ReportKind::Cancel, None, None)), None);
    }

    #[test]
    fn bad_reports_are_refused_with_a_reason() {
        assert!(matches!(parse_reports("{not json"), Err(ReportError::Malformed(_))));
        let r = serde_json::to_string(&report(1, ReportKind::Fill, Some(-5), Some(10))).unwrap();
        let e = parse_reports(&r).unwrap_err();
        assert!(e.to_string().contains("positive quantity"), "{e}");
        let r = serde_json::to_string(&report(0, ReportKind::Ack, None, None)).unwrap();
        assert!(parse_reports(&r).is_err());
        let both = serde_json::to_string(&vec![report(1, ReportKind::Ack, None, None)]).unwrap();
        assert_eq!(parse_reports(&both).unwrap().len(), 1);
    }
}
