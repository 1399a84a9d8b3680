//! The in-process reference cache: warm reads do no I/O, parts expire on their own
//! clocks, explicit invalidation takes effect on the next snapshot, and failures close.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ballast_core::checks::ParamOverride;
use ballast_core::ReferenceFile;
use ballast_refcache::{MemorySource, Part, PartData, ReferenceCache, ReferenceSource, SourceError, Ttls};

fn file() -> ReferenceFile {
    ballast_synth::reference(7)
}

fn long() -> Ttls {
    let hour = Duration::from_secs(3600);
    Ttls { security_master: hour, prices: hour, models: hour, lists: hour, venues: hour, parameters: hour }
}

#[tokio::test]
async fn a_warm_cache_serves_the_same_snapshot_without_loading_anything() {
    let f = file();
    let date = f.trade_date;
    let cache = ReferenceCache::new(MemorySource::new(f), long());
    let first = cache.snapshot(date).await.unwrap();
    assert_eq!(cache.loads(), Part::ALL.len() as u64);
    for _ in 0..100 {
        let again = cache.snapshot(date).await.unwrap();
        assert!(Arc::ptr_eq(&first, &again));
    }
    assert_eq!(cache.loads(), Part::ALL.len() as u64, "no part is loaded twice while fresh");
    assert_eq!(cache.builds(), 1);
    assert!(first.reference.securities().len() > 100);
    assert!(first.checks.rejected().is_none());
}

#[tokio::test]
async fn an_invalidated_list_is_reloaded_and_seen_by_the_next_snapshot() {
    let f = file();
    let date = f.trade_date;
    let target =
        f.securities.iter().find(|s| !f.lists.watch.contains(&s.id)).expect("an unwatched security").id.clone();
    let source = MemorySource::new(f);
    let cache = ReferenceCache::new(source, long());
    let before = cache.snapshot(date).await.unwrap();
    let i = before.reference.security_index(&target).unwrap();
    assert!(!before.reference.on_watch_list(i));

    // Compliance adds the security to the watch list upstream: not seen until invalidated.
    let cache = Arc::new(cache);
    update(&cache, |file| file.lists.watch.push(target.clone()));
    assert!(!cache.snapshot(date).await.unwrap().reference.on_watch_list(i));
    let loads = cache.loads();
    cache.invalidate(Part::Lists).await;
    let after = cache.snapshot(date).await.unwrap();
    assert!(after.reference.on_watch_list(after.reference.security_index(&target).unwrap()));
    assert_eq!(cache.loads(), loads + 1, "only the invalidated part is loaded again");
    assert_eq!(cache.builds(), 2);
}

#[tokio::test]
async fn prices_expire_on_their_own_time_to_live() {
    let f = file();
    let date = f.trade_date;
    let sec = f.prices[0].security.clone();
    let ttls = Ttls { prices: Duration::from_millis(150), ..long() };
    let cache = Arc::new(ReferenceCache::new(MemorySource::new(f), ttls));
    let old = cache.snapshot(date).await.unwrap();
    let i = old.reference.security_index(&sec).unwrap();
    let old_price = old.reference.price(i).unwrap();
    update(&cache, |file| file.prices[0].price = old_price * ballast_core::Decimal::TWO);
    assert_eq!(cache.snapshot(date).await.unwrap().reference.price(i), Some(old_price), "fresh prices are kept");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let loads = cache.loads();
    let new = cache.snapshot(date).await.unwrap();
    assert_eq!(new.reference.price(i), Some(old_price * ballast_core::Decimal::TWO));
    assert_eq!(cache.loads(), loads + 1, "only prices expired");
}

#[tokio::test]
async fn a_new_trade_date_rebuilds_the_snapshot_from_cached_parts() {
    let f = file();
    let date = f.trade_date;
    let cache = ReferenceCache::new(MemorySource::new(f), long());
    cache.snapshot(date).await.unwrap();
    let next = date.succ_opt().unwrap();
    let s = cache.snapshot(next).await.unwrap();
    assert_eq!(s.reference.trade_date, next);
    assert_eq!(cache.loads(), Part::ALL.len() as u64);
    assert_eq!(cache.builds(), 2);
}

#[tokio::test]
async fn rejected_parameters_reach_the_engine_as_a_blocking_state() {
    let mut f = file();
    f.check_parameters.push(ParamOverride {
        check: "ORDER.NOTIONAL_LIMIT".into(),
        param: "max_notional".into(),
        account_type: None,
        value: "1".parse().unwrap(),
    });
    let date = f.trade_date;
    let cache = ReferenceCache::new(MemorySource::new(f), long());
    let s = cache.snapshot(date).await.unwrap();
    assert!(s.checks.rejected().is_some());
    assert!(s.problems.iter().any(|p| p.to_string().contains("check parameters rejected")));
}

/// A source whose venue table can be made to fail, as a DynamoDB outage would.
struct Flaky {
    inner: MemorySource,
    down: AtomicBool,
}

impl ReferenceSource for Flaky {
    async fn load(&self, part: Part) -> Result<PartData, SourceError> {
        if part == Part::Venues && self.down.load(Ordering::SeqCst) {
            return Err(SourceError::Unavailable { part: part.as_str(), message: "connection refused".into() });
        }
        self.inner.load(part).await
    }
}

#[tokio::test]
async fn an_expired_part_that_cannot_be_reloaded_fails_closed() {
    let f = file();
    let date = f.trade_date;
    let ttls = Ttls { venues: Duration::from_millis(100), ..long() };
    let cache = ReferenceCache::new(Flaky { inner: MemorySource::new(f), down: AtomicBool::new(false) }, ttls);
    cache.snapshot(date).await.unwrap();
    set_down(&cache, true);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let err = cache.snapshot(date).await.err().expect("stale venue status is never served");
    assert_eq!(err.to_string(), "reference part venues is unavailable: connection refused");
    set_down(&cache, false);
    assert!(cache.snapshot(date).await.is_ok(), "recovers once the source is back");
}

fn set_down(cache: &ReferenceCache<Flaky>, down: bool) {
    cache.source().down.store(down, Ordering::SeqCst);
}

fn update(cache: &ReferenceCache<MemorySource>, change: impl FnOnce(&mut ReferenceFile)) {
    cache.source().update(change);
}
