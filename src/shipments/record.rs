//! Recording a shipment: checked against what remains to ship of the order's fulfillment orders
//! (less what shipments not yet sent will take), then stored with its idempotency key in one
//! transaction.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::{check_fields, repo, tidy, FieldError, Shipment, ShipmentLine, ShipmentRequest};
use crate::{
    audit,
    db::Pool,
    error::AppError,
    records::repo::{self as records, FulfillmentLine},
    stores::StoreDto,
};

/// A shipment recorded, or found recorded under the same idempotency key.
#[derive(Debug)]
pub struct Recorded {
    pub shipment: Shipment,
    /// False when the key had recorded it before.
    pub created: bool,
}

#[derive(Debug)]
pub enum RecordError {
    /// The request is wrong; nothing was stored.
    Invalid(Vec<FieldError>),
    /// The idempotency key was used before for a different request.
    KeyReused,
    /// The store is not connected: storelink cannot send it anything. Why, in words.
    NotConnected(String),
    App(AppError),
}

impl From<AppError> for RecordError {
    fn from(err: AppError) -> RecordError {
        RecordError::App(err)
    }
}

impl From<sqlx::Error> for RecordError {
    fn from(err: sqlx::Error) -> RecordError {
        RecordError::App(err.into())
    }
}

/// Who records, as the audit log and the shipment name them, and the idempotency key's scope.
pub struct Recorder<'a> {
    /// The user's id, when a user records.
    pub user_id: Option<crate::ids::UserId>,
    pub name: &'a str,
    /// `token:ID` or `user:ID`: one caller's keys never meet another's.
    pub scope: String,
    /// The locations they ship from, in the stores they see at some only.
    pub sight: crate::records::Sight,
}

/// The fulfillment lines of `store` seen through `sight`: at every location, or at those it
/// names for the store.
fn seen(
    mut lines: Vec<FulfillmentLine>,
    store: crate::ids::StoreId,
    sight: &crate::records::Sight,
) -> Vec<FulfillmentLine> {
    if let Some((_, locations)) = sight.iter().find(|(narrowed, _)| *narrowed == store) {
        lines.retain(|l| l.location_id.is_some_and(|id| locations.contains(&id)));
    }
    lines
}

/// Records `request` for `store`. With a `key`, the same key again returns the shipment it
/// recorded (never a second one), and a different request under it is refused.
pub async fn record(
    pool: &Pool,
    store: &StoreDto,
    request: &ShipmentRequest,
    by: &Recorder<'_>,
    key: Option<&str>,
) -> Result<Recorded, RecordError> {
    if let Some(why) = store.refuses_shipments() {
        return Err(RecordError::NotConnected(why));
    }
    // Every error of the request at once: its fields' and, when the order is there, its items'.
    let mut errors = check_fields(request, store.platform);
    let request = tidy(request);
    let hash = hex::encode(Sha256::digest(serde_json::to_vec(&(store.id, &request)).unwrap_or_default()));
    let mut tx = pool.begin().await?;
    // The order is held first: a second request for it (the same key sent twice at once) waits
    // here and then finds the first one's key.
    let order_name = records::lock_order(&mut tx, store.id, request.order_id).await?;
    if let Some(key) = key {
        if let Some(found) = repo::by_key(&mut tx, &by.scope, key).await? {
            // Read in this transaction: a connection more per waiting request could run the pool dry.
            return same_request(&mut tx, found, &hash).await;
        }
    }
    let Some(order_name) = order_name else {
        errors.push(FieldError::new(
            "order_id",
            format!("{} has no order {} (storelink has synced none with that id).", store.name, request.order_id),
        ));
        return Err(RecordError::Invalid(errors));
    };
    let lines = seen(records::fulfillment_lines(&mut tx, store.id, request.order_id).await?, store.id, &by.sight);
    let items = records::order_line_items(&mut tx, store.id, request.order_id).await?;
    let reserved = repo::unsent_lines(&mut tx, store.id, request.order_id).await?;
    let planned = match plan(&request, &order_name, &lines, &items, &reserved) {
        Ok(planned) if errors.is_empty() => planned,
        Ok(_) => return Err(RecordError::Invalid(errors)),
        Err(more) => {
            errors.extend(more.into_iter().filter(|e| !errors.contains(e)).collect::<Vec<_>>());
            return Err(RecordError::Invalid(errors));
        }
    };
    let location_id = lines.iter().find(|l| l.id == planned[0].fulfillment_order_line_id).and_then(|l| l.location_id);
    let id = repo::insert(&mut tx, store.id, &request, location_id, &planned, by.name).await?;
    if let Some(key) = key {
        if !repo::insert_key(&mut tx, &by.scope, key, &hash, id).await? {
            // Another request under this key (for another order) committed first.
            drop(tx);
            let mut conn = pool.acquire().await?;
            let found = repo::by_key(&mut conn, &by.scope, key).await?.ok_or(AppError::Internal)?;
            return same_request(&mut conn, found, &hash).await;
        }
    }
    let detail = format!("{order_name}: {} {}", request.carrier, request.tracking_number);
    let actor = audit::Actor { org: store.org, user: by.user_id, name: by.name };
    audit::repo::record_by(&mut tx, actor, "record shipment", Some((store.id, &store.name)), &detail).await?;
    tx.commit().await?;
    let shipment = repo::get(pool, id).await?.ok_or(AppError::Internal)?;
    Ok(Recorded { shipment, created: true })
}

/// What [`record`] would refuse `request` for, checked without recording anything: its
/// fields, the order, and what remains to ship of it (at the locations `sight` leaves). A batch
/// shows this before it records.
pub async fn preview(
    pool: &Pool,
    store: &StoreDto,
    request: &ShipmentRequest,
    sight: &crate::records::Sight,
) -> Result<(), RecordError> {
    if let Some(why) = store.refuses_shipments() {
        return Err(RecordError::NotConnected(why));
    }
    let mut errors = check_fields(request, store.platform);
    let request = tidy(request);
    let mut conn = pool.acquire().await?;
    let Some(order_name) = records::order_name(pool, store.id, request.order_id).await? else {
        errors.push(FieldError::new(
            "order_id",
            format!("{} has no order {} (storelink has synced none with that id).", store.name, request.order_id),
        ));
        return Err(RecordError::Invalid(errors));
    };
    let lines = seen(records::fulfillment_lines(&mut conn, store.id, request.order_id).await?, store.id, sight);
    let items = records::order_line_items(&mut conn, store.id, request.order_id).await?;
    let reserved = repo::unsent_lines(&mut conn, store.id, request.order_id).await?;
    if let Err(more) = plan(&request, &order_name, &lines, &items, &reserved) {
        errors.extend(more.into_iter().filter(|e| !errors.contains(e)).collect::<Vec<_>>());
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(RecordError::Invalid(errors))
    }
}

/// The shipment a key recorded, if `hash` is the request it recorded it for.
async fn same_request(
    conn: &mut crate::db::Conn,
    (hash, id): (String, crate::ids::ShipmentId),
    wanted: &str,
) -> Result<Recorded, RecordError> {
    if hash != wanted {
        return Err(RecordError::KeyReused);
    }
    let shipment = repo::get_in(conn, id).await?.ok_or(AppError::Internal)?;
    Ok(Recorded { shipment, created: false })
}

/// Which fulfillment order lines the request ships, and how many of each: the named line items
/// (or everything still to ship) from open fulfillment orders, less what unsent shipments take,
/// all from one location.
pub(crate) fn plan(
    request: &ShipmentRequest,
    order_name: &str,
    lines: &[FulfillmentLine],
    items: &[(i64, Option<String>)],
    reserved: &[ShipmentLine],
) -> Result<Vec<ShipmentLine>, Vec<FieldError>> {
    let mut taken: BTreeMap<i64, i64> = BTreeMap::new();
    for line in reserved {
        *taken.entry(line.fulfillment_order_line_id).or_default() += line.quantity;
    }
    if let Some(fo) = request.fulfillment_order_id {
        let open = lines.iter().any(|l| l.fulfillment_order_id == fo && fulfillable(l));
        if !open {
            return Err(vec![FieldError::new(
                "fulfillment_order_id",
                format!("This part of {order_name} is no longer open for shipping."),
            )]);
        }
    }
    // What each open line has left to give.
    let mut open: Vec<(&FulfillmentLine, i64)> = lines
        .iter()
        .filter(|l| fulfillable(l) && request.fulfillment_order_id.is_none_or(|fo| fo == l.fulfillment_order_id))
        .map(|l| (l, l.remaining_quantity - taken.get(&l.id).copied().unwrap_or(0)))
        .filter(|(_, left)| *left > 0)
        .collect();
    let title = |line_item: i64| {
        let on_fulfillment_order =
            lines.iter().find(|l| l.line_item_id == Some(line_item)).and_then(|l| l.title.clone());
        let on_order = || items.iter().find(|(id, _)| *id == line_item).and_then(|(_, t)| t.clone());
        on_fulfillment_order.or_else(on_order).unwrap_or_else(|| "this item".into())
    };
    let mut planned: Vec<ShipmentLine> = Vec::new();
    let take = |line: &FulfillmentLine, quantity: i64, planned: &mut Vec<ShipmentLine>| {
        let line_item_id = line.line_item_id.unwrap_or_default();
        match planned.iter_mut().find(|p| p.fulfillment_order_line_id == line.id) {
            Some(p) => p.quantity += quantity,
            None => planned.push(ShipmentLine {
                fulfillment_order_id: line.fulfillment_order_id,
                fulfillment_order_line_id: line.id,
                line_item_id,
                quantity,
            }),
        }
    };
    match &request.line_items {
        None => {
            for (line, left) in &open {
                take(line, *left, &mut planned);
            }
            if planned.is_empty() {
                return Err(vec![FieldError::new("order_id", format!("Nothing remains to ship on {order_name}."))]);
            }
        }
        Some(wanted) => {
            let mut errors = Vec::new();
            for (i, want) in wanted.iter().enumerate() {
                if !items.iter().any(|(id, _)| *id == want.id) {
                    errors.push(FieldError::new(
                        format!("line_items[{i}].id"),
                        format!("Line item {} is not on {order_name}.", want.id),
                    ));
                    continue;
                }
                let left: i64 =
                    open.iter().filter(|(l, _)| l.line_item_id == Some(want.id)).map(|(_, left)| *left).sum();
                if want.quantity > left {
                    let message = match left {
                        0 => format!("Nothing of “{}” remains to ship.", title(want.id)),
                        1 => format!("Only 1 of “{}” remains to ship.", title(want.id)),
                        n => format!("Only {n} of “{}” remain to ship.", title(want.id)),
                    };
                    errors.push(FieldError::new(format!("line_items[{i}].quantity"), message));
                    continue;
                }
                let mut needed = want.quantity;
                for (line, left) in open.iter_mut().filter(|(l, _)| l.line_item_id == Some(want.id)) {
                    let now = needed.min(*left);
                    if now > 0 {
                        take(line, now, &mut planned);
                        *left -= now;
                        needed -= now;
                    }
                }
            }
            if !errors.is_empty() {
                return Err(errors);
            }
        }
    }
    let mut locations: Vec<(Option<i64>, String)> = Vec::new();
    for p in &planned {
        let line = lines.iter().find(|l| l.id == p.fulfillment_order_line_id).expect("planned from these lines");
        if !locations.iter().any(|(id, _)| *id == line.location_id) {
            locations
                .push((line.location_id, line.location_name.clone().unwrap_or_else(|| "an unnamed location".into())));
        }
    }
    if locations.len() > 1 {
        let names: Vec<String> = locations.into_iter().map(|(_, name)| name).collect();
        return Err(vec![FieldError::new(
            "line_items",
            format!(
                "These items ship from {} locations ({}): record one shipment per location, naming its line items.",
                names.len(),
                names.join(", ")
            ),
        )]);
    }
    Ok(planned)
}

/// Shopify creates fulfillments only for open and in-progress fulfillment orders.
fn fulfillable(line: &FulfillmentLine) -> bool {
    matches!(line.status.as_str(), "OPEN" | "IN_PROGRESS")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shipments::RequestedLine;

    fn line(fo: i64, id: i64, item: i64, remaining: i64, location: i64, status: &str) -> FulfillmentLine {
        FulfillmentLine {
            fulfillment_order_id: fo,
            status: status.into(),
            location_id: Some(location),
            location_name: Some(format!("Location {location}")),
            id,
            line_item_id: Some(item),
            remaining_quantity: remaining,
            title: Some(format!("Item {item}")),
        }
    }

    fn request(line_items: Option<Vec<RequestedLine>>) -> ShipmentRequest {
        ShipmentRequest {
            order_id: 1,
            fulfillment_order_id: None,
            carrier: "UPS".into(),
            tracking_number: "1Z".into(),
            tracking_url: None,
            line_items,
            notify_customer: false,
        }
    }

    const ITEMS: &[(i64, Option<String>)] = &[(100, None), (200, None), (300, None)];

    #[test]
    fn everything_left_ships_unless_lines_are_named() {
        let lines = [
            line(10, 11, 100, 2, 1, "OPEN"),
            line(10, 12, 200, 1, 1, "IN_PROGRESS"),
            line(20, 21, 300, 4, 1, "CLOSED"),
        ];
        let all = plan(&request(None), "#1001", &lines, ITEMS, &[]).unwrap();
        assert_eq!(
            all.iter().map(|l| (l.fulfillment_order_line_id, l.quantity)).collect::<Vec<_>>(),
            [(11, 2), (12, 1)]
        );
        let some =
            plan(&request(Some(vec![RequestedLine { id: 100, quantity: 1 }])), "#1001", &lines, ITEMS, &[]).unwrap();
        assert_eq!(some.iter().map(|l| (l.fulfillment_order_line_id, l.quantity)).collect::<Vec<_>>(), [(11, 1)]);
    }

    #[test]
    fn unsent_shipments_are_taken_off_what_remains() {
        let lines = [line(10, 11, 100, 2, 1, "OPEN")];
        let reserved =
            [ShipmentLine { fulfillment_order_id: 10, fulfillment_order_line_id: 11, line_item_id: 100, quantity: 2 }];
        let errors = plan(&request(None), "#1001", &lines, ITEMS, &reserved).unwrap_err();
        assert_eq!(errors[0].message, "Nothing remains to ship on #1001.");
        let errors =
            plan(&request(Some(vec![RequestedLine { id: 100, quantity: 1 }])), "#1001", &lines, ITEMS, &reserved)
                .unwrap_err();
        assert_eq!(
            (errors[0].field.as_str(), errors[0].message.as_str()),
            ("line_items[0].quantity", "Nothing of “Item 100” remains to ship.")
        );
    }

    #[test]
    fn each_wrong_line_is_named_and_one_shipment_leaves_from_one_location() {
        let lines = [line(10, 11, 100, 2, 1, "OPEN"), line(20, 21, 200, 1, 2, "OPEN")];
        let wrong = request(Some(vec![RequestedLine { id: 999, quantity: 1 }, RequestedLine { id: 100, quantity: 3 }]));
        let errors = plan(&wrong, "#1001", &lines, ITEMS, &[]).unwrap_err();
        assert_eq!(errors[0], FieldError::new("line_items[0].id", "Line item 999 is not on #1001."));
        assert_eq!(errors[1], FieldError::new("line_items[1].quantity", "Only 2 of “Item 100” remain to ship."));
        let errors = plan(&request(None), "#1001", &lines, ITEMS, &[]).unwrap_err();
        assert_eq!(errors[0].field, "line_items");
        assert!(errors[0].message.contains("2 locations (Location 1, Location 2)"), "{}", errors[0].message);
        let one = ShipmentRequest { fulfillment_order_id: Some(20), ..request(None) };
        assert_eq!(plan(&one, "#1001", &lines, ITEMS, &[]).unwrap()[0].fulfillment_order_line_id, 21);
        let closed = [line(10, 11, 100, 2, 1, "ON_HOLD")];
        let held = ShipmentRequest { fulfillment_order_id: Some(10), ..request(None) };
        assert_eq!(plan(&held, "#1001", &closed, ITEMS, &[]).unwrap_err()[0].field, "fulfillment_order_id");
    }
}
