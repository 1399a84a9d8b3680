//! The nightly ETF run's training log ([`TrainingLog`]) in Aurora: each classification
//! becomes an `etf_classifications` row, each reviewer decision a `review_decisions` row
//! with its outcome.

use ballast_flow::etf::{Classified, ReviewItem, TrainingLog, Verdict};
use ballast_flow::ports::{PortError, PortResult};
use serde_json::json;

use crate::connection::Database;
use crate::write::{ClassificationRow, ClassificationStatus, ReviewDecisionRow, ReviewVerdict, WriteBack};

/// The row of one classification.
pub fn classification_row(c: &Classified) -> ClassificationRow {
    let p = &c.proposal;
    ClassificationRow {
        run_id: c.run_id.clone(),
        symbol: c.etf.symbol.clone(),
        input_hash: c.input_hash.clone(),
        name: c.etf.name.clone(),
        summary: c.etf.summary.clone().unwrap_or_default(),
        family: c.etf.family.clone(),
        category_group: p.category_group.clone().unwrap_or_default(),
        category: p.category.clone().unwrap_or_default(),
        confidence: p.confidence,
        cluster: Some(p.cluster.to_string()),
        flags: serde_json::to_value(&p.flags).unwrap_or_else(|_| json!({})),
        evidence: serde_json::to_value(&p.evidence).unwrap_or_else(|_| json!([])),
        issues: serde_json::to_value(&p.issues).unwrap_or_else(|_| json!([])),
        model_version: p.model_version.clone(),
        status: if c.status == "auto_approved" {
            ClassificationStatus::AutoApproved
        } else {
            ClassificationStatus::PendingReview
        },
        classified_at: c.classified_at,
    }
}

/// The row of a decided review; `None` while it is undecided.
pub fn review_row(item: &ReviewItem) -> Option<ReviewDecisionRow> {
    let d = item.decision.as_ref()?;
    let (decision, group, category, flags) = match &d.verdict {
        Verdict::Approve => (
            ReviewVerdict::Approve,
            item.proposal.category_group.clone(),
            item.proposal.category.clone(),
            &item.proposal.flags,
        ),
        Verdict::Override { category_group, category, flags } => {
            (ReviewVerdict::Override, category_group.clone(), category.clone(), flags)
        }
    };
    Some(ReviewDecisionRow {
        run_id: item.run_id.clone(),
        symbol: item.symbol.clone(),
        reviewer_id: d.reviewer_id.clone(),
        decision,
        category_group: group.unwrap_or_default(),
        category: category.unwrap_or_default(),
        flags: serde_json::to_value(flags).unwrap_or_else(|_| json!({})),
        reason: Some(d.reason.clone()),
        decided_at: d.decided_at,
    })
}

impl TrainingLog for Database {
    async fn record_classifications(&self, rows: &[Classified]) -> PortResult<()> {
        let rows: Vec<ClassificationRow> = rows.iter().map(classification_row).collect();
        self.with_client(|c| {
            let rows = &rows;
            async move { WriteBack::new(&c).record_classifications(rows).await }
        })
        .await
        .map(|_| ())
        .map_err(|e| PortError::new("aurora etf_classifications", e))
    }

    async fn record_review(&self, item: &ReviewItem) -> PortResult<()> {
        let Some(row) = review_row(item) else { return Ok(()) };
        // A different decision already in the training store (the review store accepted
        // this one first) fails the write: a disagreement to look at, never dropped.
        self.with_client(|c| {
            let row = &row;
            async move { WriteBack::new(&c).record_review(row).await }
        })
        .await
        .map(|_| ())
        .map_err(|e| PortError::new("aurora review_decisions", e))
    }
}
