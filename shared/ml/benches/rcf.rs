//! Forest throughput at the platform's default shape: 50 trees, 256 points per tree,
//! shingles of 8 one-dimensional points (8 dimensions per tree point), beside a baseline
//! measured in the same run: the same forest shape with 1 tree. Then the same forest over
//! 9 telemetry features (72 dimensions per tree point). Prints the size of trained models'
//! artifacts.
//!
//!   cargo bench -p ballast-ml --bench rcf

use std::hint::black_box;
use std::time::Duration;

use ballast_ml::anomaly::{train, Detector, DetectorConfig, ForestConfig, RandomCutForest};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// `n` points of `dims` features: noisy daily cycles (288 points a day), each feature with
/// its own phase and level, and a deterministic jitter.
fn stream(n: usize, dims: usize) -> Vec<Vec<f32>> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut jitter = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32
    };
    (0..n)
        .map(|i| {
            (0..dims)
                .map(|d| {
                    let phase = (i as f32 + 17.0 * d as f32) * std::f32::consts::TAU / 288.0;
                    (d + 1) as f32 * (50.0 + 20.0 * phase.sin() + 5.0 * jitter())
                })
                .collect()
        })
        .collect()
}

fn trained_forest(num_trees: usize, points: &[Vec<f32>]) -> RandomCutForest {
    let config = ForestConfig { num_trees, input_dims: points[0].len(), ..ForestConfig::default() };
    let mut forest = RandomCutForest::new(config).unwrap();
    for p in points {
        forest.update(p).unwrap();
    }
    forest
}

fn bench_forest(c: &mut Criterion) {
    let mut group = c.benchmark_group("rcf");
    group.sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    for (dims, trees) in [(1, 50), (1, 1), (9, 50)] {
        let points = stream(6000, dims);
        let (history, probe) = points.split_at(4000);
        let forest = trained_forest(trees, history);
        group.throughput(Throughput::Elements(probe.len() as u64));
        group.bench_function(format!("score/{trees}_trees_{}_dims", dims * 8), |b| {
            b.iter(|| probe.iter().map(|p| forest.score(p).unwrap().unwrap_or(0.0)).sum::<f64>())
        });
        group.bench_function(format!("score_and_update/{trees}_trees_{}_dims", dims * 8), |b| {
            b.iter_batched(
                || forest.clone(),
                |mut f| probe.iter().map(|p| f.update(p).unwrap().unwrap_or(0.0)).sum::<f64>(),
                criterion::BatchSize::LargeInput,
            )
        });
    }
    group.finish();
    for dims in [1, 9] {
        print_artifact_size(&stream(4000, dims));
    }
}

fn print_artifact_size(history: &[Vec<f32>]) {
    let forest = ForestConfig { input_dims: history[0].len(), ..ForestConfig::default() };
    let detector =
        train(DetectorConfig { forest, ..DetectorConfig::default() }, history.iter().map(|p| &p[..])).unwrap();
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
