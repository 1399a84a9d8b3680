//! The ETF model is repeatable: the same records and seed give the same artifact and the
//! same confidences, whether the map is trained on one thread or several.

use ballast_ml::etf::{read_csv, EtfModel, EtfModelConfig, EtfRecord};

fn in_pool<T: Send>(threads: usize, work: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(work)
}

#[test]
fn a_seeded_fit_gives_the_same_model_and_confidences_on_one_thread_or_four() {
    let (records, _) = read_csv(include_bytes!("../data/etfs/etfs_us_arca.csv"));
    let (train, unseen) = records.split_at(240);
    let unseen = &unseen[..60];
    let config = EtfModelConfig::default();

    let one = in_pool(1, || EtfModel::fit(train, &config));
    let four = in_pool(4, || EtfModel::fit(train, &config));
    // Not assert_eq!: an artifact is too long to print.
    assert!(one.to_json() == four.to_json(), "the artifact differs between one and four threads");

    // A fresh process would hash in another order: a second fit on the same thread too.
    let again = in_pool(4, || EtfModel::fit(train, &config));
    assert!(again.to_json() == four.to_json(), "the artifact differs between two fits");

    for e in unseen {
        let (a, b) = (one.classify(e), four.classify(e));
        assert_eq!(a, b, "{}: classified differently by the two fits", e.symbol);
        assert_eq!(a, one.classify(e), "{}: classified differently twice by one model", e.symbol);
    }
    let back = EtfModel::from_json(&one.to_json()).unwrap();
    assert!(unseen.iter().all(|e| back.classify(e) == one.classify(e)), "a loaded artifact classifies as its source");
}

#[test]
fn a_tie_between_labels_goes_the_same_way_whatever_the_order_of_the_reviewed_funds() {
    let (records, _) = read_csv(include_bytes!("../data/etfs/etfs_us_arca.csv"));
    let twin = |symbol: &str, group: &str| EtfRecord {
        symbol: symbol.into(),
        name: "Quokka Lantern Zephyr Fund".into(),
        summary: Some("Holds quokka lantern zephyr instruments.".into()),
        family: Some("Quokka".into()),
        category_group: Some(group.into()),
        category: Some(format!("{group} Quokka")),
        ..EtfRecord::default()
    };
    // Two reviewed funds with the same text and different labels: an exact tie.
    let (a, b) = (twin("QLZA", "Wombat Assets"), twin("QLZB", "Koala Assets"));
    let mut first = records[..120].to_vec();
    first.extend([a.clone(), b.clone()]);
    let mut second = records[..120].to_vec();
    second.extend([b, a]);
    let new = EtfRecord { symbol: "QLZN".into(), category_group: None, category: None, ..twin("QLZN", "") };

    let config = EtfModelConfig::default();
    let x = EtfModel::fit(&first, &config).classify(&new);
    let y = EtfModel::fit(&second, &config).classify(&new);
    assert_eq!((&x.category_group, &x.category), (&y.category_group, &y.category));
    assert_eq!((x.confidence, x.category_confidence), (y.confidence, y.category_confidence));
    // The rule, seen where the members' vote alone names the fund: of equal weights, the
    // first name in sort order.
    let vote_only = EtfModelConfig { head_weight: 0.0, ..EtfModelConfig::default() };
    let x = EtfModel::fit(&first, &vote_only).classify(&new);
    let y = EtfModel::fit(&second, &vote_only).classify(&new);
    assert_eq!((&x.category_group, &x.category), (&y.category_group, &y.category));
    assert_eq!(x.category_group.as_deref(), Some("Koala Assets"));
    assert_eq!(x.category.as_deref(), Some("Koala Assets Quokka"));
}
