//! `ballast etf-nightly` on the bundled file: the leveraged funds new tonight are all in
//! the review queue, the counts add up, and the approved fund reaches the security master.

use ballast_embedded::etf_nightly::new_leveraged_funds;
use ballast_embedded::{run_etf_nightly, EtfNightlyConfig};
use ballast_ml::etf::ReviewReason;

#[test]
fn the_night_queues_every_new_leveraged_fund_and_its_counts_add_up() {
    let config = EtfNightlyConfig::default();
    let night = run_etf_nightly(&config).unwrap();
    let r = &night.report;
    assert_eq!(r.etfs, 1_699);
    assert_eq!(r.unchanged + r.classified, r.etfs);
    assert_eq!(r.auto_approved + r.pending_reviews, r.classified);
    // The queue as printed: every pending review, the one approved afterwards included.
    assert_eq!(night.queue.len(), r.pending_reviews);
    assert!(r.classified > 250 && r.classified < 450, "about a fifth is new: {r:?}");

    let leveraged = new_leveraged_funds(config.seed);
    assert!(leveraged.len() >= 10, "{leveraged:?}");
    let (symbol, security) = night.approved.clone().expect("a flagged fund was approved");
    for s in &leveraged {
        if *s == symbol {
            continue;
        }
        let item = night.queue.iter().find(|q| q.symbol == *s).unwrap_or_else(|| panic!("{s} is not queued"));
        assert!(
            matches!(&item.reason, ReviewReason::ComplexProduct { flags } if flags.iter().any(|f| f == "leveraged"))
        );
    }
    // Flagged first.
    let first_plain = night.queue.iter().position(|q| !q.proposal.flags.any()).unwrap_or(night.queue.len());
    assert!(night.queue[first_plain..].iter().all(|q| !q.proposal.flags.any()));
    assert!(security.complex_product && !security.profile.flags.is_plain(), "{security:?}");

    let text = night.to_string();
    assert!(text.contains("... and ") && text.contains("security master now has"), "{text}");
}
