//! `ballast etf-nightly`: the nightly ETF classification in process (ARCHITECTURE.md,
//! flows 3 and 4) on the bundled NYSE Arca file. A deterministic share of the file stands
//! for the ETFs reviewed before (the model is fitted on their labels and their approvals
//! are in the store); the whole file is then the night's feed, so only the rest is
//! classified, approved or queued for a reviewer. A simulated reviewer approves one
//! flagged fund and the security master shows the flag.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::time::Instant;

use ballast_core::Security;
use ballast_flow::etf::{
    apply_approvals, await_review, decide, input_hash, unclassified_etf, ApprovalSource, Approved, DecisionRequest,
    EtfStore, FeedRead, InProcessClassifier, NightlyConfig, NightlyReport, ReviewItem, ReviewStatus,
};
use ballast_flow::memory::MemoryEtf;
use ballast_ml::etf::eval::{in_test_split, read_flag_truth, FlagTruth};
use ballast_ml::etf::{detect, read_csv, EtfModel, EtfModelConfig, EtfRecord, Flags, ReviewReason};
use chrono::{DateTime, Utc};

/// The bundled reference file and its reviewed flags.
const BUNDLED_ETFS: &[u8] = include_bytes!("../../ml/data/etfs/etfs_us_arca.csv");
const BUNDLED_FLAGS: &[u8] = include_bytes!("../../ml/data/etfs/flags.csv");
/// Share of the file that is new tonight; the rest was reviewed before.
pub const NEW_SHARE: f64 = 0.2;
const RUN_ID: &str = "etf-nightly-1";
const REVIEWER: &str = "rev-demo";

/// What to run.
#[derive(Debug, Clone)]
pub struct EtfNightlyConfig {
    /// The bytes of a reference CSV; `None`: the bundled file.
    pub csv: Option<Vec<u8>>,
    /// Seed of the split between reviewed and new ETFs.
    pub seed: u64,
    /// Confidence from which an unflagged, clean ETF is approved without a person.
    pub threshold: f64,
}

impl Default for EtfNightlyConfig {
    fn default() -> Self {
        EtfNightlyConfig { csv: None, seed: 42, threshold: NightlyConfig::default().auto_approve_confidence }
    }
}

impl EtfNightlyConfig {
    /// Reads a reference CSV of the user's own.
    pub fn with_file(mut self, path: &Path) -> Result<Self, String> {
        self.csv = Some(std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?);
        Ok(self)
    }
}

/// What the night did.
#[derive(Debug, Clone)]
pub struct EtfNightlyReport {
    pub report: NightlyReport,
    /// ETFs whose labels trained the model (the reviewed part that has labels).
    pub trained: usize,
    pub seed: u64,
    pub threshold: f64,
    /// Pending reviews, flagged first.
    pub queue: Vec<ReviewItem>,
    /// The fund a simulated reviewer approved, and its security-master entry after it.
    pub approved: Option<(String, Security)>,
    pub fit_seconds: f64,
    pub classify_seconds: f64,
}

/// Runs one night on `config`'s file.
pub fn run_etf_nightly(config: &EtfNightlyConfig) -> Result<EtfNightlyReport, String> {
    let (records, row_issues) = read_csv(config.csv.as_deref().unwrap_or(BUNDLED_ETFS));
    if records.is_empty() {
        return Err("the reference file holds no usable ETF row".to_string());
    }
    let truth = read_flag_truth(BUNDLED_FLAGS)?;
    let is_new = |symbol: &str| in_test_split(symbol, config.seed, NEW_SHARE);
    let train: Vec<EtfRecord> =
        records.iter().filter(|r| !is_new(&r.symbol) && r.category_group.is_some()).cloned().collect();
    if train.is_empty() {
        return Err("no labelled ETF in the reviewed part of the file: nothing to fit the model on".to_string());
    }
    let started = Instant::now();
    let model = EtfModel::fit(&train, &EtfModelConfig::default());
    let fit_seconds = started.elapsed().as_secs_f64();

    // The feed carries what a listing feed carries: no reviewed labels.
    let feed: Vec<EtfRecord> =
        records.iter().map(|r| EtfRecord { category_group: None, category: None, ..r.clone() }).collect();
    let issues = row_issues.iter().map(|i| format!("line {}: {}", i.line, i.reason)).collect();
    let now: DateTime<Utc> = "2026-11-27T02:00:00Z".parse().expect("a fixed time");
    let reviewed_before: Vec<Approved> = records
        .iter()
        .zip(&feed)
        .filter(|(r, _)| !is_new(&r.symbol))
        .map(|(r, f)| reviewed_approval(r, input_hash(f), truth.get(&r.symbol), now))
        .collect();

    let store = MemoryEtf::new(FeedRead { etfs: feed, issues });
    let classifier = InProcessClassifier(model);
    let runtime = tokio::runtime::Builder::new_current_thread().build().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        store.put_approvals(&reviewed_before).await.map_err(|e| e.to_string())?;
        let settings = NightlyConfig { auto_approve_confidence: config.threshold, ..NightlyConfig::default() };
        let nightly = store.nightly(&classifier, settings);
        let started = Instant::now();
        let report = nightly.classify(RUN_ID, now).await.map_err(|e| e.to_string())?;
        let classify_seconds = started.elapsed().as_secs_f64();
        await_review(&store, &store, RUN_ID, "task-token-demo", now).await.map_err(|e| e.to_string())?;

        let mut queue = store.reviews(Some(ReviewStatus::Pending)).await.map_err(|e| e.to_string())?;
        queue.sort_by(|a, b| (rank(&a.reason), &a.symbol).cmp(&(rank(&b.reason), &b.symbol)));
        let approved = match example(&queue).map(|r| r.symbol.clone()) {
            Some(symbol) => Some((symbol.clone(), approve_and_overlay(&store, &symbol, now).await?)),
            None => None,
        };
        Ok(EtfNightlyReport {
            report,
            trained: train.len(),
            seed: config.seed,
            threshold: config.threshold,
            queue,
            approved,
            fit_seconds,
            classify_seconds,
        })
    })
}

/// The approval an ETF reviewed before carries: its labels and its reviewed flags (the
/// text's flags where the truth file does not list it).
fn reviewed_approval(r: &EtfRecord, hash: String, truth: Option<&FlagTruth>, now: DateTime<Utc>) -> Approved {
    let flags = match truth {
        Some(t) => Flags {
            leveraged: t.leveraged.unwrap_or(false),
            inverse: t.inverse.unwrap_or(false),
            volatility: t.volatility.unwrap_or(false),
            etn: t.etn.unwrap_or(false),
            ..Flags::default()
        },
        None => detect(r).0,
    };
    Approved {
        symbol: r.symbol.clone(),
        category_group: r.category_group.clone(),
        category: r.category.clone(),
        flags,
        source: ApprovalSource::Reviewer,
        reviewer_id: Some("reviewed-before".to_string()),
        input_hash: hash,
        run_id: "earlier".to_string(),
        model_version: "labels".to_string(),
        decided_at: now,
    }
}

/// A reviewer approves `symbol`'s proposal; the security master (a plain ETF entry until
/// now) is overlaid with the approvals, as the reference cache's next load does.
async fn approve_and_overlay(store: &MemoryEtf, symbol: &str, now: DateTime<Utc>) -> Result<Security, String> {
    let request = DecisionRequest {
        reviewer_id: REVIEWER.to_string(),
        reason: "the prospectus states the daily multiple; the flags stand".to_string(),
        decision: "approve".to_string(),
        run_id: Some(RUN_ID.to_string()),
        category_group: None,
        category: None,
        flags: None,
    };
    decide(store, store, store, symbol, request, now).await.map_err(|e| e.to_string())?;
    let mut master = vec![unclassified_etf(symbol, "")];
    apply_approvals(&mut master, &store.approvals().await.map_err(|e| e.to_string())?);
    Ok(master.remove(0))
}

/// The item shown in full and approved by the simulated reviewer: a leveraged fund when
/// there is one (the case the flags exist for), else the first flagged one.
fn example(queue: &[ReviewItem]) -> Option<&ReviewItem> {
    queue.iter().find(|r| r.proposal.flags.leveraged).or_else(|| queue.iter().find(|r| r.proposal.flags.any()))
}

/// Flagged first, then in [`ReviewReason`]'s order of seriousness.
fn rank(reason: &ReviewReason) -> u8 {
    match reason {
        ReviewReason::ComplexProduct { .. } => 0,
        ReviewReason::ComplexNeighbourhood { .. } => 1,
        ReviewReason::InputIssues { .. } => 2,
        ReviewReason::NoLabel => 3,
        ReviewReason::LowConfidence { .. } => 4,
    }
}

fn reason_label(reason: &ReviewReason) -> &'static str {
    match reason {
        ReviewReason::ComplexProduct { .. } => "complex product",
        ReviewReason::ComplexNeighbourhood { .. } => "complex neighbours",
        ReviewReason::InputIssues { .. } => "input issues",
        ReviewReason::NoLabel => "no label",
        ReviewReason::LowConfidence { .. } => "low confidence",
    }
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut s: String = text.chars().take(width.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// Review-queue rows printed before "... and N more".
const QUEUE_ROWS: usize = 25;

impl fmt::Display for EtfNightlyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.report;
        writeln!(
            f,
            "ETF nightly run {}: model fitted on {} reviewed ETFs ({:.0}% new by symbol hash, seed {}) in {:.1} s; classified in {:.2} s",
            r.run_id,
            self.trained,
            NEW_SHARE * 100.0,
            self.seed,
            self.fit_seconds,
            self.classify_seconds
        )?;
        writeln!(
            f,
            "  {} ETFs: {} unchanged, {} classified -> {} auto-approved (confidence >= {:.2}), {} to review; {} feed issues",
            r.etfs,
            r.unchanged,
            r.classified,
            r.auto_approved,
            self.threshold,
            r.pending_reviews,
            r.issues.len()
        )?;
        let mut by_reason: Vec<(&str, usize)> = Vec::new();
        for item in &self.queue {
            match by_reason.iter_mut().find(|(l, _)| *l == reason_label(&item.reason)) {
                Some((_, n)) => *n += 1,
                None => by_reason.push((reason_label(&item.reason), 1)),
            }
        }
        let reasons: Vec<String> = by_reason.iter().map(|(l, n)| format!("{n} {l}")).collect();
        writeln!(f, "  review queue: {}", reasons.join(", "))?;
        writeln!(f)?;
        writeln!(
            f,
            "  {:<6} {:<32} {:<18} {:<26} {:<36} {:>5}",
            "symbol", "name", "reason", "flags", "proposed group / category", "conf"
        )?;
        for item in self.queue.iter().take(QUEUE_ROWS) {
            let p = &item.proposal;
            let mut flags = p.flags.raised().join(",");
            if let Some(x) = &p.flags.leverage_factor {
                flags.push_str(&format!(" {x}x"));
            }
            let proposed = match (&p.category_group, &p.category) {
                (Some(g), Some(c)) => format!("{g} / {c}"),
                (Some(g), None) => g.clone(),
                _ => "-".to_string(),
            };
            writeln!(
                f,
                "  {:<6} {:<32} {:<18} {:<26} {:<36} {:>5.2}",
                item.symbol,
                clip(&item.etf.name, 32),
                reason_label(&item.reason),
                clip(if flags.is_empty() { "-" } else { &flags }, 26),
                clip(&proposed, 36),
                p.confidence
            )?;
        }
        if self.queue.len() > QUEUE_ROWS {
            writeln!(f, "  ... and {} more", self.queue.len() - QUEUE_ROWS)?;
        }
        if let Some(item) = example(&self.queue) {
            writeln!(f)?;
            writeln!(f, "  rationale for {} ({}):", item.symbol, item.rationale.source)?;
            writeln!(f, "    {}", item.rationale.text)?;
        }
        if let Some((symbol, s)) = &self.approved {
            let flags = &s.profile.flags;
            let raised: Vec<&str> = [
                (flags.leveraged, "leveraged"),
                (flags.inverse, "inverse"),
                (flags.volatility, "volatility"),
                (flags.etn, "etn"),
                (flags.commodity_futures, "commodity_futures"),
            ]
            .into_iter()
            .filter_map(|(on, n)| on.then_some(n))
            .collect();
            writeln!(f)?;
            write!(
                f,
                "  {REVIEWER} approved {symbol}: security master now has {symbol} complex_product={} flags={}{}",
                s.complex_product,
                raised.join(","),
                flags.leverage_factor.map(|x| format!(" leverage_factor={x}")).unwrap_or_default()
            )?;
        }
        Ok(())
    }
}

/// Symbols of the bundled file that the reviewed flags call leveraged and that are new
/// tonight under `seed` (what the review queue must hold).
pub fn new_leveraged_funds(seed: u64) -> Vec<String> {
    let truth: HashMap<String, FlagTruth> = read_flag_truth(BUNDLED_FLAGS).unwrap_or_default();
    let (records, _) = read_csv(BUNDLED_ETFS);
    records
        .into_iter()
        .filter(|r| in_test_split(&r.symbol, seed, NEW_SHARE))
        .filter(|r| truth.get(&r.symbol).is_some_and(|t| t.leveraged == Some(true)))
        .map(|r| r.symbol)
        .collect()
}
