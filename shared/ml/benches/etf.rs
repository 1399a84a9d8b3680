//! ETF classifier speed on the bundled file (1,699 rows): the fit, and a nightly batch of
//! 2,000 ETFs (the bundled rows replicated under new symbols) classified, beside a baseline
//! measured in the same run: featurisation alone (the TF-IDF vectors of the same batch).
//!
//!   cargo bench -p ballast-ml --bench etf

use std::hint::black_box;
use std::time::Duration;

use ballast_ml::etf::{read_csv, EtfModel, EtfModelConfig, EtfRecord, Featurizer};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const DATA: &[u8] = include_bytes!("../data/etfs/etfs_us_arca.csv");
const BATCH: usize = 2000;

fn nightly_batch(records: &[EtfRecord]) -> Vec<EtfRecord> {
    (0..BATCH)
        .map(|i| {
            let mut r = records[i % records.len()].clone();
            r.symbol = format!("N{i:04}");
            r
        })
        .collect()
}

fn bench_etf(c: &mut Criterion) {
    let (records, _) = read_csv(DATA);
    let config = EtfModelConfig::default();
    let model = EtfModel::fit(&records, &config);
    let featurizer = Featurizer::fit(&records, &config.features);
    let batch = nightly_batch(&records);
    println!("artifact: {} bytes, map {:?}", model.to_json().len(), model.map_shape());

    let mut group = c.benchmark_group("etf");
    group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("classify_2000", |b| {
        b.iter(|| batch.iter().map(|r| black_box(model.classify(r)).cluster).sum::<usize>())
    });
    group.bench_function("baseline_featurise_2000", |b| {
        b.iter(|| batch.iter().map(|r| black_box(featurizer.embed(r))[0]).sum::<f32>())
    });
    group.finish();

    let mut fit = c.benchmark_group("etf_fit");
    fit.sample_size(10).warm_up_time(Duration::from_millis(100)).measurement_time(Duration::from_secs(20));
    fit.bench_function("fit_bundled_1699", |b| b.iter(|| EtfModel::fit(black_box(&records), &config).map_shape()));
    fit.bench_function("baseline_featurizer_fit_1699", |b| {
        b.iter(|| Featurizer::fit(black_box(&records), &config.features).documents)
    });
    fit.finish();
}

criterion_group!(benches, bench_etf);
criterion_main!(benches);
