//! The rebalance state machine (infra/statemachine/rebalance.asl.json) has the shape the
//! flow relies on: a bounded Map over batches, each batch rebalance → check → submit with
//! retries on transient errors and a Catch that marks the batch failed, then finalize.

use serde_json::Value;

fn machine() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/statemachine/rebalance.asl.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn every_batch_runs_rebalance_check_submit_with_retries_and_a_catch() {
    let m = machine();
    assert_eq!(m["StartAt"], "Batches");
    let map = &m["States"]["Batches"];
    assert_eq!(map["Type"], "Map");
    assert_eq!(map["ItemsPath"], "$.batches");
    let concurrency = map["MaxConcurrency"].as_u64().unwrap();
    assert!((1..=40).contains(&concurrency), "bounded concurrency, got {concurrency}");
    assert_eq!(map["ToleratedFailurePercentage"], 100, "a failed batch never fails the job");
    assert_eq!(map["Next"], "Finalize");
    let inner = &map["ItemProcessor"];
    assert_eq!(inner["StartAt"], "Rebalance");
    let states = &inner["States"];
    for (state, next, function) in [
        ("Rebalance", Some("Check"), "${RebalanceFunctionArn}"),
        ("Check", Some("Submit"), "${CheckFunctionArn}"),
        ("Submit", None, "${SubmitFunctionArn}"),
    ] {
        let s = &states[state];
        assert_eq!(s["Type"], "Task", "{state}");
        assert_eq!(s["Parameters"]["FunctionName"], function, "{state}");
        match next {
            Some(n) => assert_eq!(s["Next"], n, "{state}"),
            None => assert_eq!(s["End"], true, "{state}"),
        }
        let retry = &s["Retry"][0];
        let errors: Vec<&str> = retry["ErrorEquals"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
        assert!(errors.contains(&"Ballast.Transient") && !errors.contains(&"Ballast.Permanent"), "{state}: {errors:?}");
        assert!(retry["BackoffRate"].as_f64().unwrap() > 1.0 && retry["MaxAttempts"].as_u64().unwrap() >= 2, "{state}");
        let catch = &s["Catch"][0];
        assert_eq!(catch["ErrorEquals"][0], "States.ALL", "{state}");
        assert_eq!(catch["Next"], "MarkBatchFailed", "{state}");
        assert_eq!(catch["ResultPath"], "$.error", "{state}");
    }
    let failed = &states["MarkBatchFailed"]["Parameters"]["Payload"];
    assert_eq!(failed["action"], "fail_batch");
    assert_eq!(failed["error.$"], "$.error");
    assert_eq!(m["States"]["Finalize"]["Parameters"]["Payload"]["action"], "finalize");
}
