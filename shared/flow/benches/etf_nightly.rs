//! The nightly ETF batch end to end in memory (issue 7's acceptance): 2,000 ETFs through
//! `Nightly::classify` (selection by input hash, the model, the text rules, review routing
//! with rationales, the store and the training log) against the model alone on the same
//! 2,000, the baseline of what the flow adds.

use std::hint::black_box;

use ballast_flow::etf::{FeedRead, InProcessClassifier, NightlyConfig};
use ballast_flow::memory::MemoryEtf;
use ballast_ml::etf::eval::in_test_split;
use ballast_ml::etf::{read_csv, EtfModel, EtfModelConfig, EtfRecord};
use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

const ETFS: &[u8] = include_bytes!("../../ml/data/etfs/etfs_us_arca.csv");
const NIGHT: usize = 2_000;

/// The bundled rows, without labels, repeated under new symbols and slightly changed names
/// until there are `n`.
fn feed(records: &[EtfRecord], n: usize) -> Vec<EtfRecord> {
    (0..n)
        .map(|i| {
            let r = &records[i % records.len()];
            let round = i / records.len();
            let (symbol, name) = if round == 0 {
                (r.symbol.clone(), r.name.clone())
            } else {
                (format!("{}{round}", r.symbol), format!("{} Series {}", r.name, round + 1))
            };
            EtfRecord { symbol, name, category_group: None, category: None, ..r.clone() }
        })
        .collect()
}

fn nightly_batch(c: &mut Criterion) {
    let (records, _) = read_csv(ETFS);
    let train: Vec<EtfRecord> =
        records.iter().filter(|r| !in_test_split(&r.symbol, 42, 0.2) && r.category_group.is_some()).cloned().collect();
    let model = EtfModel::fit(&train, &EtfModelConfig::default());
    let etfs = feed(&records, NIGHT);
    let classifier = InProcessClassifier(model.clone());
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a runtime");
    let now: DateTime<Utc> = "2026-11-27T02:00:00Z".parse().expect("a fixed time");

    let mut group = c.benchmark_group("etf_nightly");
    group.sample_size(20);
    group.bench_function("classifier_alone_2000", |b| {
        b.iter(|| black_box(etfs.iter().map(|e| model.classify(e)).collect::<Vec<_>>()))
    });
    group.bench_function("nightly_classify_2000", |b| {
        b.iter_batched(
            || MemoryEtf::new(FeedRead { etfs: etfs.clone(), issues: Vec::new() }),
            |store| {
                let nightly = store.nightly(&classifier, NightlyConfig::default());
                let report = runtime.block_on(nightly.classify("bench", now)).expect("an in-memory run");
                assert_eq!(report.classified, NIGHT);
                // The store goes back out so that dropping it is not timed.
                (store, black_box(report))
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, nightly_batch);
criterion_main!(benches);
