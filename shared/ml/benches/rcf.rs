//! Forest throughput at the platform's default shape: 50 trees, 256 points per tree,
//! shingles of 8 one-dimensional points (8 dimensions per tree point), beside a baseline
//! measured in the same run: the same forest shape with 1 tree. Prints the size of a
//! trained model's artifact.
//!
//!   cargo bench -p ballast-ml --bench rcf

use std::hint::black_box;
use std::time::Duration;

use ballast_ml::anomaly::{train, Detector, DetectorConfig, ForestConfig, RandomCutForest};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// A noisy daily cycle, 288 points a day, with a deterministic jitter.
fn stream(n: usize) -> Vec<f32> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..n)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let jitter = (state >> 40) as f32 / (1u64 << 24) as f32;
            50.0 + 20.0 * (i as f32 * std::f32::consts::TAU / 288.0).sin() + 5.0 * jitter
        })
        .collect()
}

fn trained_forest(num_trees: usize, values: &[f32]) -> RandomCutForest {
    let mut forest = RandomCutForest::new(ForestConfig { num_trees, ..ForestConfig::default() }).unwrap();
    for v in values {
        forest.update(&[*v]).unwrap();
    }
    forest
}

fn bench_forest(c: &mut Criterion) {
    let values = stream(6000);
    let (history, probe) = values.split_at(4000);
    let mut group = c.benchmark_group("rcf");
    group.sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(probe.len() as u64));
    for trees in [50, 1] {
        let forest = trained_forest(trees, history);
        group.bench_function(format!("score/{trees}_trees"), |b| {
            b.iter(|| probe.iter().map(|v| forest.score(&[*v]).unwrap().unwrap_or(0.0)).sum::<f64>())
        });
        group.bench_function(format!("score_and_update/{trees}_trees"), |b| {
            b.iter_batched(
                || forest.clone(),
                |mut f| probe.iter().map(|v| f.update(&[*v]).unwrap().unwrap_or(0.0)).sum::<f64>(),
                criterion::BatchSize::LargeInput,
            )
        });
    }
    group.finish();
    print_artifact_size(history);
}

fn print_artifact_size(history: &[f32]) {
    let points: Vec<[f32; 1]> = history.iter().map(|v| [*v]).collect();
    let detector = train(DetectorConfig::default(), points.iter().map(|p| &p[..])).unwrap();
    let json = detector.to_artifact().to_json();
    println!(
        "model artifact: {} bytes ({} trees, sample {}, shingle {}, {} input dims, after {} points)",
        json.len(),
        detector.config().forest.num_trees,
        detector.config().forest.sample_size,
        detector.config().forest.shingle_size,
        detector.input_dims(),
        history.len()
    );
    black_box(json);
}

criterion_group!(benches, bench_forest);
criterion_main!(benches);
