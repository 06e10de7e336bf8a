//! The desk's queue: every connected store's orders awaiting shipping in one list, oldest first,
//! whatever their platform (the list reads the platform-neutral records), filtered and searched
//! by what the address says, with how long the oldest have waited. Every signed-in user works it.

// The queue's filters are the server function's arguments, one each.
#![allow(clippy::too_many_arguments)]

use leptos::server;
use serde::{Deserialize, Serialize};
use server_fn::codec::{GetUrl, PostUrl};

use crate::{
    error::AppError,
    ids::StoreId,
    platforms::Platform,
    queue::{Marks, SavedView, Whereabouts},
    records::{Ages, Awaiting},
    shipments::Shipment,
};

/// The address's parameters the queue page reads: its filters and search.
pub const FILTERS: [&str; 7] = ["store", "platform", "location", "country", "older_than", "state", "q"];

/// A store the queue lists orders of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueStore {
    pub id: StoreId,
    pub name: String,
    pub platform: Platform,
}

/// A page of the queue, with what the page around it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueView {
    pub awaiting: Awaiting,
    /// How long the whole queue (not only what matches) has waited.
    pub ages: Ages,
    /// Every connected store, by name: the store filter's choices and each row's label.
    pub stores: Vec<QueueStore>,
    /// The countries (ISO 3166-1 alpha-2) that orders awaiting shipping in the shown stores go
    /// to: the country filter's choices.
    pub countries: Vec<String>,
    /// The shown orders' shipments not yet settled (being sent, or failed and why).
    pub shipments: Vec<Shipment>,
    /// The holds and claims of the shown orders.
    pub marks: Vec<Marks>,
    /// The viewer's saved views and those shared with everyone, each with its count now.
    pub views: Vec<SavedView>,
    /// For a search: every order of that name in any store, and why it is or is not here.
    pub whereabouts: Vec<Whereabouts>,
    /// Each connected store's last check of its orders awaiting shipment against its platform.
    pub checks: Vec<crate::drift::DriftCheck>,
    /// Who is looking: their claims are theirs to release, and an administrator's are all.
    pub viewer: crate::users::UserDto,
    /// What Mark shipped just recorded, when the page was opened from it, as it is now.
    pub shipped: Option<crate::api::shipments::ShipmentRow>,
    /// Server time the ages are counted from, so they render the same everywhere.
    pub now: i64,
}

/// Every filter is optional; the queue page's own form sends them as query parameters.
#[server(prefix = "/api", endpoint = "queue", input = GetUrl)]
pub async fn queue(
    store: Option<StoreId>,
    platform: Option<String>,
    q: Option<String>,
    location: Option<String>,
    country: Option<String>,
    older_than: Option<i64>,
    state: Option<String>,
    after: Option<String>,
    before: Option<String>,
    shipped: Option<crate::ids::ShipmentId>,
    shipped_store: Option<StoreId>,
) -> Result<QueueView, AppError> {
    super::respond(async {
        use crate::records::repo as records;
        let caller = super::require_user().await?;
        let pool = caller.pool();
        let stores = connected(&caller).await?;
        let all: Vec<StoreId> = stores.iter().map(|s| s.id).collect();
        let searched = q.clone().filter(|q| !q.trim().is_empty());
        let filters = Filters { store, platform, q, location, country, older_than, state };
        let sight = caller.access.narrowed();
        let (shown, mut query) = filters.scope(&stores, &sight)?;
        (query.after, query.before) = (after, before);
        let now = crate::db::now();
        let state = &caller.state;
        // Read before counting: a change heard meanwhile makes the next page count again.
        let generation = state.hub.generation();
        let counts = count(state, &shown, &query, generation, now).await?;
        let awaiting = records::awaiting_page(pool, &shown, &query, counts).await?;
        let ages = state
            .queue_ages
            .get(format!("{all:?} {sight:?}"), generation, now, || records::ages(pool, &all, &sight, now))
            .await?;
        let countries = state
            .queue_countries
            .get(format!("{shown:?} {sight:?}"), generation, now, || {
                records::awaiting_countries(pool, &shown, &sight, now)
            })
            .await?;
        let shipped = match (shipped, shipped_store) {
            (Some(id), Some(store)) => match crate::shipments::repo::find(pool, caller.org(), id).await? {
                Some(shipment) if shipment.store_id == store && caller.access.sees_at(store, shipment.location_id) => {
                    crate::api::shipments::with_order_names(pool, store, vec![shipment]).await?.pop()
                }
                _ => None,
            },
            _ => None,
        };
        let shown_orders: Vec<(StoreId, i64)> = awaiting.rows.iter().map(|r| (r.store_id, r.order_id)).collect();
        let shipments = crate::shipments::repo::unsettled_of_orders(pool, &shown_orders).await?;
        let marks = crate::queue::repo::marks(pool, &shown_orders, now).await?;
        // Each saved view with what it finds now; one whose filters no longer hold finds none.
        let mut views = crate::queue::repo::views_for(pool, caller.org(), caller.user.id).await?;
        for view in &mut views {
            if let Ok((shown, query)) = Filters::parse(&view.filters).scope(&stores, &sight) {
                view.count = Some(count(state, &shown, &query, generation, now).await?.1);
            }
        }
        let mut checks = crate::drift::repo::of_stores(pool, &all).await?;
        let checks = stores.iter().filter_map(|s| checks.remove(&s.id)).collect();
        let whereabouts = match searched {
            Some(name) => crate::queue::whereabouts(pool, caller.stores().await?, &sight, &name, now).await?,
            None => Vec::new(),
        };
        Ok(QueueView {
            awaiting,
            ages,
            stores,
            countries,
            shipments,
            marks,
            views,
            whereabouts,
            checks,
            viewer: caller.user.clone(),
            shipped,
            now,
        })
    })
    .await
}

/// The queue's filters, as the address (or a saved view) carries them.
#[cfg(feature = "ssr")]
#[derive(Default)]
pub(crate) struct Filters {
    store: Option<StoreId>,
    platform: Option<String>,
    q: Option<String>,
    location: Option<String>,
    country: Option<String>,
    older_than: Option<i64>,
    state: Option<String>,
}

#[cfg(feature = "ssr")]
impl Filters {
    /// From a saved view's `store=3&state=on_hold`; what does not parse is left out.
    pub(crate) fn parse(text: &str) -> Filters {
        let mut filters = Filters::default();
        for (name, value) in form_urlencoded::parse(text.as_bytes()) {
            let value = value.into_owned();
            match name.as_ref() {
                "store" => filters.store = value.parse().ok().map(StoreId),
                "platform" => filters.platform = Some(value),
                "q" => filters.q = Some(value),
                "location" => filters.location = Some(value),
                "country" => filters.country = Some(value),
                "older_than" => filters.older_than = value.parse().ok(),
                "state" => filters.state = Some(value),
                _ => {}
            }
        }
        filters
    }

    /// The stores (of `stores`) they show, and the search and filters within them, at the
    /// locations `sight` leaves; a value not on its list is refused beside its field.
    pub(crate) fn scope(
        self,
        stores: &[QueueStore],
        sight: &crate::records::Sight,
    ) -> Result<(Vec<StoreId>, crate::records::AwaitingQuery), AppError> {
        use crate::records::{AwaitingQuery, QueueState};
        let platform = match self.platform.as_deref().filter(|p| !p.is_empty()) {
            None => None,
            Some(slug) => Some(
                Platform::from_slug(slug)
                    .ok_or_else(|| AppError::invalid("platform", "Choose a platform from the list."))?,
            ),
        };
        let state = match self.state.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(key) => Some(
                QueueState::from_key(key).ok_or_else(|| AppError::invalid("state", "Choose a state from the list."))?,
            ),
        };
        let country = match self.country.as_deref().filter(|c| !c.is_empty()) {
            None => None,
            Some(text) => Some(
                crate::records::model::country_code(text)
                    .ok_or_else(|| AppError::invalid("country", "Choose a country from the list."))?,
            ),
        };
        let older_than_days = match self.older_than {
            None | Some(0) => None,
            Some(days @ 1..=3650) => Some(days),
            Some(_) => return Err(AppError::invalid("older_than", "Choose an age from the list.")),
        };
        let shown = stores
            .iter()
            .filter(|s| self.store.is_none_or(|id| s.id == id) && platform.is_none_or(|p| s.platform == p))
            .map(|s| s.id)
            .collect();
        let query = AwaitingQuery {
            q: self.q,
            location: self.location,
            country,
            older_than_days,
            state,
            sight: sight.clone(),
            ..Default::default()
        };
        Ok((shown, query))
    }
}

/// How many parcels and orders of `stores` `query` finds: counted once between changes.
#[cfg(feature = "ssr")]
async fn count(
    state: &crate::state::AppState,
    stores: &[StoreId],
    query: &crate::records::AwaitingQuery,
    generation: u64,
    now: i64,
) -> Result<(i64, i64), AppError> {
    // The filters only: every page of them counts the same.
    let filters = crate::records::AwaitingQuery { after: None, before: None, ..query.clone() };
    let key = format!("{stores:?} {filters:?}");
    let pool = &state.pool;
    state
        .queue_counts
        .get(key, generation, now, || crate::records::repo::count_awaiting(pool, stores, query, now))
        .await
}

/// The organization's connected stores, by name: a disconnected store's orders await nothing
/// storelink can send.
#[cfg(feature = "ssr")]
pub(crate) async fn connected(caller: &super::Caller) -> Result<Vec<QueueStore>, AppError> {
    let mut stores: Vec<QueueStore> = caller
        .stores()
        .await?
        .into_iter()
        .filter(|s| s.refuses_shipments().is_none())
        .map(|s| QueueStore { id: s.id, name: s.name, platform: s.platform })
        .collect();
    stores.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then(a.id.cmp(&b.id)));
    Ok(stores)
}

/// Holds an order back from the queue with a reason, until the end of `until` (a day) or until
/// released. Every signed-in user may.
#[server(prefix = "/api", endpoint = "queue/hold", input = PostUrl)]
pub async fn hold_order(
    store_id: StoreId,
    order_id: i64,
    reason: String,
    until: Option<String>,
) -> Result<(), AppError> {
    super::respond(async {
        let caller = super::require_user().await?;
        let store = caller.store(store_id).await?;
        caller.order(&store, order_id).await?;
        crate::queue::hold(caller.pool(), &store, order_id, &reason, until.as_deref(), &caller.user).await?;
        caller.state.hub.store_changed(store.org, store_id);
        Ok(())
    })
    .await
}

/// Returns a held order to the queue.
#[server(prefix = "/api", endpoint = "queue/release", input = PostUrl)]
pub async fn release_order(store_id: StoreId, order_id: i64) -> Result<(), AppError> {
    super::respond(async {
        let caller = super::require_user().await?;
        let store = caller.store(store_id).await?;
        caller.order(&store, order_id).await?;
        crate::queue::release_hold(caller.pool(), &store, order_id, &caller.user).await?;
        caller.state.hub.store_changed(store.org, store_id);
        Ok(())
    })
    .await
}

/// Claims an order for the caller, so no one else packs it.
#[server(prefix = "/api", endpoint = "queue/claim", input = PostUrl)]
pub async fn claim_order(store_id: StoreId, order_id: i64) -> Result<(), AppError> {
    super::respond(async {
        let caller = super::require_user().await?;
        let store = caller.store(store_id).await?;
        caller.order(&store, order_id).await?;
        crate::queue::claim(caller.pool(), &store, order_id, &caller.user).await?;
        caller.state.hub.store_changed(store.org, store_id);
        Ok(())
    })
    .await
}

/// Lets a claimed order go: the caller's own claim, or anyone's for an administrator.
#[server(prefix = "/api", endpoint = "queue/unclaim", input = PostUrl)]
pub async fn unclaim_order(store_id: StoreId, order_id: i64) -> Result<(), AppError> {
    super::respond(async {
        let caller = super::require_user().await?;
        let store = caller.store(store_id).await?;
        caller.order(&store, order_id).await?;
        crate::queue::release_claim(caller.pool(), &store, order_id, &caller.user).await?;
        caller.state.hub.store_changed(store.org, store_id);
        Ok(())
    })
    .await
}

/// Saves the queue's filters (as its address carries them) under a name: the caller's own view,
/// or, by an administrator with `shared`, everyone's.
#[server(prefix = "/api", endpoint = "queue/views/save", input = PostUrl)]
pub async fn save_view(name: String, filters: String, shared: Option<String>) -> Result<(), AppError> {
    super::respond(async {
        let caller = super::require_user().await?;
        // Only the queue's own filters are kept, in its order.
        let given: Vec<(String, String)> = form_urlencoded::parse(filters.trim_start_matches('?').as_bytes())
            .into_owned()
            .filter(|(name, value)| FILTERS.contains(&name.as_str()) && !value.is_empty())
            .collect();
        let filters = {
            let mut kept = form_urlencoded::Serializer::new(String::new());
            for name in FILTERS {
                for (_, value) in given.iter().filter(|(n, _)| n == name) {
                    kept.append_pair(name, value);
                }
            }
            kept.finish()
        };
        // A view whose filters do not hold is refused now, not found empty later.
        Filters::parse(&filters).scope(&connected(&caller).await?, &caller.access.narrowed())?;
        let shared = shared.is_some_and(|s| s == "on" || s == "true");
        crate::queue::save_view(caller.pool(), &caller.user, &name, &filters, shared).await
    })
    .await
}

/// Deletes a saved view: one's own, or a shared one by an administrator.
#[server(prefix = "/api", endpoint = "queue/views/delete", input = PostUrl)]
pub async fn delete_view(id: i64) -> Result<(), AppError> {
    super::respond(async {
        let caller = super::require_user().await?;
        crate::queue::delete_view(caller.pool(), &caller.user, id).await
    })
    .await
}
