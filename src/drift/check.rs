//! The check itself: counts, halving, listing, fetching again.

use std::collections::{BTreeMap, BTreeSet};

use super::{repo, Differs, DriftCheck, CHECK_EVERY_SECS};
use crate::{
    db::{self, Pool},
    error::AppError,
    platforms::{Listed, Platforms, StoreRef, Window},
    records::{repo as records, CensusRule},
    stores::StoreDto,
};

/// Checks the store's count against the platform's, repairs what differs, and keeps the outcome.
pub async fn check(pool: &Pool, platforms: &Platforms, store: &StoreDto) -> Result<DriftCheck, AppError> {
    let platform = store.platform;
    let rule = Platforms::census_rule(platform);
    let now = db::now();
    // Every order ever created, up to a day ahead of this server's clock.
    let all = Window { from: 0, to: now + 86_400 };
    let theirs = platforms.awaiting_count(platform, store.id, all).await?;
    let ours = records::census_count(pool, store.id, rule, all.from, all.to).await?;
    let mut checked = DriftCheck {
        store_id: store.id,
        checked_at: now,
        platform_count: theirs,
        storelink_count: ours,
        fetched_again: 0,
        unresolved: Vec::new(),
    };
    if theirs != ours {
        let (listed, only_ours) = differing(pool, platforms, store, rule, all, theirs, ours).await?;
        let ids: Vec<i64> = listed.keys().chain(only_ours.iter()).copied().collect();
        let store_ref = StoreRef { id: store.id, org: store.org, address: &store.shop_domain, name: &store.name };
        let unread: BTreeSet<i64> = platforms.fetch_orders(platform, store_ref, &ids).await?.into_iter().collect();
        checked.fetched_again = ids.len() as i64;
        checked.storelink_count = records::census_count(pool, store.id, rule, all.from, all.to).await?;
        // Each order as it stands now: listed by the platform but not counted here, or the
        // other way round.
        let counted: BTreeSet<i64> = records::census_ids_among(pool, store.id, rule, &ids).await?.into_iter().collect();
        for (id, name) in &listed {
            if !counted.contains(id) {
                let why = if unread.contains(id) {
                    "The store lists it as awaiting shipment, but storelink could not read it from the store."
                } else {
                    "The store lists it as awaiting shipment, but storelink's copy of it says otherwise."
                };
                checked.unresolved.push(Differs { order_id: *id, name: name.clone(), why: why.into() });
            }
        }
        for id in &only_ours {
            if counted.contains(id) {
                checked.unresolved.push(Differs {
                    order_id: *id,
                    name: records::order_name(pool, store.id, *id).await?.unwrap_or_else(|| format!("#{id}")),
                    why: "storelink has it awaiting shipment, but the store does not list it so.".into(),
                });
            }
        }
    }
    repo::save(pool, &checked).await?;
    if checked.drift() > 0 {
        tracing::warn!(store = %store.id, drift = checked.drift(), "the store's orders awaiting shipment differ from storelink's");
    }
    Ok(checked)
}

/// The orders that differ within `window`, where the platform counts `theirs` and storelink
/// `ours`: those the platform lists (with their names) that storelink does not count, and those
/// storelink counts that the platform does not list. A part whose counts agree is taken to hold
/// the same orders; one the platform can list in one request is listed, any other halved.
async fn differing(
    pool: &Pool,
    platforms: &Platforms,
    store: &StoreDto,
    rule: CensusRule,
    window: Window,
    theirs: i64,
    ours: i64,
) -> Result<(BTreeMap<i64, String>, Vec<i64>), AppError> {
    let page = Platforms::census_page(store.platform);
    let mut only_theirs = BTreeMap::new();
    let mut only_ours = Vec::new();
    let mut parts = vec![(window, theirs, ours)];
    while let Some((part, theirs, ours)) = parts.pop() {
        if theirs == ours {
            continue;
        }
        if theirs <= page || part.to - part.from <= 1 {
            let listed: Vec<Listed> = platforms.awaiting_orders(store.platform, store.id, part).await?;
            let here: BTreeSet<i64> =
                records::census_ids(pool, store.id, rule, part.from, part.to).await?.into_iter().collect();
            let there: BTreeSet<i64> = listed.iter().map(|l| l.id).collect();
            only_theirs.extend(listed.into_iter().filter(|l| !here.contains(&l.id)).map(|l| (l.id, l.name)));
            only_ours.extend(here.difference(&there));
            continue;
        }
        let middle = part.from + (part.to - part.from) / 2;
        let (first, second) = (Window { from: part.from, to: middle }, Window { from: middle, to: part.to });
        let theirs_first = platforms.awaiting_count(store.platform, store.id, first).await?;
        let ours_first = records::census_count(pool, store.id, rule, first.from, first.to).await?;
        parts.push((second, theirs - theirs_first, ours - ours_first));
        parts.push((first, theirs_first, ours_first));
    }
    Ok((only_theirs, only_ours))
}

/// Checks every connected store not checked within the hour, one after another; a store that
/// cannot be checked now is tried again at the next round.
pub async fn check_due(pool: &Pool, platforms: &Platforms) {
    let stores = match crate::stores::repo::of_enabled_organizations(pool).await {
        Ok(stores) => stores,
        Err(err) => return tracing::warn!(error = %err, "could not list the stores to check"),
    };
    let checked = repo::checked_at(pool).await.unwrap_or_default();
    for store in stores.iter().filter(|s| s.refuses_shipments().is_none()) {
        if checked.get(&store.id).is_some_and(|at| db::now() - at < CHECK_EVERY_SECS) {
            continue;
        }
        if let Err(err) = check(pool, platforms, store).await {
            tracing::warn!(store = %store.id, error = %err, "could not check the store's orders awaiting shipment");
        }
    }
}
