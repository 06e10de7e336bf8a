//! The desk's own marks on orders awaiting shipping: a hold (why, and optionally until a date,
//! after which the order returns to the queue by itself) and a claim (who is packing it, so two
//! people do not pack the same order). Neither is the platform's: a sync never touches them.
//! Both are written to the audit log.

use serde::{Deserialize, Serialize};

use crate::ids::{StoreId, UserId};

#[cfg(feature = "ssr")]
pub mod batch;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod tally;

/// An order held back from the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub reason: String,
    /// Unix seconds when it returns to the queue by itself; `None`: until released.
    pub until: Option<i64>,
    /// Who held it.
    pub by: String,
}

/// An order someone is packing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub user_id: UserId,
    pub email: String,
}

/// What the desk marked an order with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marks {
    pub store_id: StoreId,
    pub order_id: i64,
    pub hold: Option<Hold>,
    pub claim: Option<Claim>,
}

/// A view of the queue saved by name: its filters as the queue's address carries them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct SavedView {
    pub id: i64,
    pub name: String,
    /// `store=3&state=on_hold`.
    pub filters: String,
    /// Shared by an administrator with everyone.
    pub shared: bool,
    pub user_id: UserId,
    /// Orders awaiting shipping the view finds now (filled in by whoever shows it).
    #[cfg_attr(feature = "ssr", sqlx(skip))]
    pub count: Option<i64>,
}

/// Where an order searched by its name stands, and why it is or is not in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Whereabouts {
    pub store_name: String,
    pub order_name: String,
    pub in_queue: bool,
    pub why: String,
}

/// A line of a batch of shipments: what it names, whether it can be recorded, and once it is,
/// its shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchRow {
    /// Its line in what was typed or pasted, from 1.
    pub line: usize,
    /// The order as typed, then as its store names it.
    pub order: String,
    pub store_id: Option<StoreId>,
    pub store_name: Option<String>,
    pub order_id: Option<i64>,
    pub carrier: String,
    pub tracking_number: String,
    pub tracking_url: Option<String>,
    /// Why it cannot be recorded, in words; `None` when it can (or was).
    pub problem: Option<String>,
    /// Once recorded, its shipment.
    pub shipment: Option<crate::shipments::Shipment>,
    /// Whether this send recorded it (else an earlier send of the same line had).
    pub created: bool,
}

/// The most shipments a batch takes, in the page and from the label software.
pub const MAX_BATCH: usize = 1000;

/// The longest name a saved view takes.
pub const MAX_VIEW_NAME: usize = 80;

/// The longest reason a hold keeps.
pub const MAX_REASON: usize = 500;

#[cfg(feature = "ssr")]
pub use self::desk::{claim, delete_view, hold, release_claim, release_hold, save_view, whereabouts};

#[cfg(feature = "ssr")]
mod desk {
    use super::{repo, MAX_REASON, MAX_VIEW_NAME};
    use crate::{audit, db::Pool, error::AppError, stores::StoreDto, users::UserDto};

    /// The order's name as the store shows it, or `NotFound` when storelink does not hold it.
    async fn order_name(pool: &Pool, store: &StoreDto, order_id: i64) -> Result<String, AppError> {
        crate::records::repo::order_names(pool, store.id, &[order_id])
            .await?
            .remove(&order_id)
            .ok_or_else(|| AppError::NotFound("That order is not in the store as storelink holds it.".into()))
    }

    /// Holds the order back with `reason`, until the end of `until` (a day, `YYYY-MM-DD`, UTC)
    /// or until released; a hold already there is replaced.
    pub async fn hold(
        pool: &Pool,
        store: &StoreDto,
        order_id: i64,
        reason: &str,
        until: Option<&str>,
        by: &UserDto,
    ) -> Result<(), AppError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_REASON || reason.contains(['\n', '\r']) {
            return Err(AppError::invalid(
                "reason",
                format!("Say why, in one line of at most {MAX_REASON} characters."),
            ));
        }
        let now = crate::db::now();
        let until = match until.map(str::trim).filter(|u| !u.is_empty()) {
            None => None,
            Some(day) => match crate::db::day_start(day) {
                // Held through that day: back at the start of the next.
                Some(start) if start + 86_400 > now => Some(start + 86_400),
                Some(_) => return Err(AppError::invalid("until", "Choose today or a later day, or leave it empty.")),
                None => return Err(AppError::invalid("until", "Write a day such as 2026-12-24, or leave it empty.")),
            },
        };
        let name = order_name(pool, store, order_id).await?;
        let mut tx = pool.begin().await?;
        repo::hold(&mut tx, store.id, order_id, reason, until, &by.email, now).await?;
        let detail = match until {
            Some(until) => format!("{name}: {reason} (until {})", crate::db::day_text(until - 86_400)),
            None => format!("{name}: {reason}"),
        };
        audit::repo::record_by(&mut tx, by.actor(), "hold order", Some((store.id, &store.name)), &detail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Returns a held order to the queue.
    pub async fn release_hold(pool: &Pool, store: &StoreDto, order_id: i64, by: &UserDto) -> Result<(), AppError> {
        let name = order_name(pool, store, order_id).await?;
        let mut tx = pool.begin().await?;
        if repo::release_hold(&mut tx, store.id, order_id).await? {
            audit::repo::record_by(&mut tx, by.actor(), "release hold", Some((store.id, &store.name)), &name).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Claims the order for `by`; refused while someone else has it.
    pub async fn claim(pool: &Pool, store: &StoreDto, order_id: i64, by: &UserDto) -> Result<(), AppError> {
        let name = order_name(pool, store, order_id).await?;
        let mut tx = pool.begin().await?;
        match repo::claim(&mut tx, store.id, order_id, by.id, crate::db::now()).await? {
            None => {
                audit::repo::record_by(&mut tx, by.actor(), "claim order", Some((store.id, &store.name)), &name)
                    .await?;
            }
            Some(holder) if holder == by.id => {}
            Some(holder) => {
                let email = crate::users::repo::get(pool, store.org, holder)
                    .await?
                    .map_or_else(|| "someone".into(), |u| u.email);
                return Err(AppError::Conflict(format!("{name} is claimed by {email}.")));
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Lets the order go: its own claimer may, and an administrator may release anyone's.
    pub async fn release_claim(pool: &Pool, store: &StoreDto, order_id: i64, by: &UserDto) -> Result<(), AppError> {
        let name = order_name(pool, store, order_id).await?;
        let mut tx = pool.begin().await?;
        let Some(holder) = repo::claimer(&mut tx, store.id, order_id).await? else { return Ok(()) };
        if holder != by.id && !by.is_admin() {
            return Err(AppError::Forbidden);
        }
        repo::release_claim(&mut tx, store.id, order_id).await?;
        let detail = match holder == by.id {
            true => name,
            false => {
                let email = crate::users::repo::get(pool, store.org, holder)
                    .await?
                    .map_or_else(|| "someone".into(), |u| u.email);
                format!("{name}, claimed by {email}")
            }
        };
        audit::repo::record_by(&mut tx, by.actor(), "release claim", Some((store.id, &store.name)), &detail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Saves the queue's `filters` under `name`, the caller's own or, by an administrator,
    /// shared with everyone; a view of the same name of the caller's is replaced.
    pub async fn save_view(pool: &Pool, by: &UserDto, name: &str, filters: &str, shared: bool) -> Result<(), AppError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_VIEW_NAME || name.contains(['\n', '\r']) {
            return Err(AppError::invalid(
                "name",
                format!("Name the view in one line of at most {MAX_VIEW_NAME} characters."),
            ));
        }
        if filters.trim().is_empty() {
            return Err(AppError::invalid("name", "Choose a filter or a search first: this view is the whole queue."));
        }
        if shared && !by.is_admin() {
            return Err(AppError::Forbidden);
        }
        let mut tx = pool.begin().await?;
        repo::save_view(&mut tx, by.id, name, filters, shared, crate::db::now()).await?;
        if shared {
            audit::repo::record_by(&mut tx, by.actor(), "share view", None, &format!("{name}: {filters}")).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a view: one's own, or a shared one by an administrator.
    pub async fn delete_view(pool: &Pool, by: &UserDto, id: i64) -> Result<(), AppError> {
        let view = repo::view(pool, by.org, id).await?.filter(|v| v.shared || v.user_id == by.id);
        let Some(view) = view else { return Err(AppError::NotFound("That view no longer exists.".into())) };
        if view.user_id != by.id && !by.is_admin() {
            return Err(AppError::Forbidden);
        }
        let mut tx = pool.begin().await?;
        repo::delete_view(&mut tx, id).await?;
        if view.shared {
            audit::repo::record_by(&mut tx, by.actor(), "delete shared view", None, &view.name).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every order of `stores` (the caller's, connected or not, at the locations `sight` leaves)
    /// named `name`, and why it is or is not in the queue: "where is order #1234?" answered in
    /// one search.
    pub async fn whereabouts(
        pool: &Pool,
        stores: Vec<crate::stores::StoreDto>,
        sight: &crate::records::Sight,
        name: &str,
        now: i64,
    ) -> Result<Vec<super::Whereabouts>, AppError> {
        use crate::records::model::unit_status;
        let ids: Vec<crate::ids::StoreId> = stores.iter().map(|s| s.id).collect();
        let mut found = crate::records::repo::orders_named(pool, &ids, name).await?;
        for (store, locations) in sight {
            let of_store: Vec<i64> = found.iter().filter(|(o, _)| o.store_id == store.0).map(|(o, _)| o.id).collect();
            let seen = crate::records::repo::orders_at(pool, *store, &of_store, locations).await?;
            found.retain(|(o, _)| o.store_id != store.0 || seen.contains(&o.id));
        }
        let pairs: Vec<(crate::ids::StoreId, i64)> =
            found.iter().map(|(o, _)| (crate::ids::StoreId(o.store_id), o.id)).collect();
        let marks = repo::marks(pool, &pairs, now).await?;
        let mut all = Vec::new();
        for (order, parcels) in found {
            let store_id = crate::ids::StoreId(order.store_id);
            let Some(store) = stores.iter().find(|s| s.id == store_id) else { continue };
            let hold =
                marks.iter().find(|m| m.store_id == store_id && m.order_id == order.id).and_then(|m| m.hold.clone());
            let waiting = parcels.iter().any(|(status, remaining)| {
                *remaining && (status == unit_status::OPEN || status == unit_status::IN_PROGRESS)
            });
            let platform = order.fulfillment_status.clone().unwrap_or_else(|| order.status.clone());
            let (in_queue, why) = if let Some(why) = store.refuses_shipments() {
                (false, format!("Not in the queue: {why}"))
            } else if let Some(hold) = hold {
                let until =
                    hold.until.map(|u| format!(" until {}", crate::db::day_text(u - 86_400))).unwrap_or_default();
                (false, format!("Not in the queue: on hold{until} by {}: {}.", hold.by, hold.reason))
            } else if waiting {
                (true, "In the queue: awaiting shipping.".to_owned())
            } else if order.status == "cancelled" {
                (false, format!("Not in the queue: cancelled in the store ({platform})."))
            } else if parcels.iter().any(|(status, remaining)| *remaining && status == unit_status::SCHEDULED) {
                (false, format!("Not in the queue: not ready to ship in the store yet, such as not paid ({platform})."))
            } else if parcels.iter().any(|(status, remaining)| *remaining && status == unit_status::ON_HOLD) {
                (false, format!("Not in the queue: held in the store ({platform})."))
            } else {
                let sent = crate::shipments::repo::sent_of_order(pool, store_id, order.id).await?;
                match sent {
                    Some(s) => (
                        false,
                        format!(
                            "Not in the queue: shipped on {} ({} {}), nothing is left to ship.",
                            crate::db::day_text(s.updated_at),
                            s.carrier,
                            s.tracking_number
                        ),
                    ),
                    None => (false, format!("Not in the queue: nothing is left to ship ({platform}).")),
                }
            };
            let order_name = order.name.unwrap_or_else(|| format!("Order {}", order.id));
            all.push(super::Whereabouts { store_name: store.name.clone(), order_name, in_queue, why });
        }
        // An order storelink never imported is known from the last check of its store, which
        // found the store listing it.
        let wanted = name.trim().trim_start_matches('#').to_lowercase();
        for (store_id, check) in crate::drift::repo::of_stores(pool, &ids).await? {
            let Some(store) = stores.iter().find(|s| s.id == store_id) else { continue };
            for differs in check.unresolved.iter().filter(|d| d.name.trim_start_matches('#').to_lowercase() == wanted) {
                if all.iter().any(|w: &super::Whereabouts| w.store_name == store.name && w.order_name == differs.name) {
                    continue;
                }
                let when = crate::db::day_text(check.checked_at);
                all.push(super::Whereabouts {
                    store_name: store.name.clone(),
                    order_name: differs.name.clone(),
                    in_queue: false,
                    why: format!("Not in the queue: {} (checked {when}).", differs.why.trim_end_matches('.')),
                });
            }
        }
        Ok(all)
    }
}
