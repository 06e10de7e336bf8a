//! Fulfillment orders: what each location must ship for an order. Every order has one at the
//! location that stocks it; about one in ten with two or more lines is split over two locations,
//! so a desk sees orders grouped by location. Their ids are stable (derived from the order's, not
//! drawn from the seeded generator, so adding them changed no other generated value), and they
//! change with the order: fulfilled, cancelled or closed orders close their fulfillment orders.
//!
//! Fulfillments written back through the API (`fulfillmentCreate`) are recorded on their order
//! with what they shipped from which fulfillment order lines; creating one lowers what remains
//! and moves the fulfillment orders to IN_PROGRESS or CLOSED. The merchant's holds and closes
//! (the control endpoint) change a fulfillment order's status only.

use super::{mix, Order, ShopData};

/// Shopify's `FulfillmentOrderStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoStatus {
    Open,
    InProgress,
    Closed,
    Cancelled,
    OnHold,
    Scheduled,
    Incomplete,
}

impl FoStatus {
    /// The GraphQL enum value.
    pub fn graphql(self) -> &'static str {
        match self {
            FoStatus::Open => "OPEN",
            FoStatus::InProgress => "IN_PROGRESS",
            FoStatus::Closed => "CLOSED",
            FoStatus::Cancelled => "CANCELLED",
            FoStatus::OnHold => "ON_HOLD",
            FoStatus::Scheduled => "SCHEDULED",
            FoStatus::Incomplete => "INCOMPLETE",
        }
    }

    /// The REST value.
    pub fn rest(self) -> &'static str {
        match self {
            FoStatus::Open => "open",
            FoStatus::InProgress => "in_progress",
            FoStatus::Closed => "closed",
            FoStatus::Cancelled => "cancelled",
            FoStatus::OnHold => "on_hold",
            FoStatus::Scheduled => "scheduled",
            FoStatus::Incomplete => "incomplete",
        }
    }

    /// OPEN and IN_PROGRESS are the states a fulfillment can be created in.
    pub fn fulfillable(self) -> bool {
        matches!(self, FoStatus::Open | FoStatus::InProgress)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FoLine {
    pub id: u64,
    pub line_item_id: u64,
    pub total: i64,
    pub remaining: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FulfillmentOrder {
    pub id: u64,
    pub order_id: u64,
    pub location_id: u64,
    pub status: FoStatus,
    pub created_at: i64,
    pub updated_at: i64,
    pub lines: Vec<FoLine>,
}

impl FulfillmentOrder {
    pub fn remaining(&self) -> i64 {
        self.lines.iter().map(|l| l.remaining).sum()
    }
}

pub(super) const FULFILLMENT_ORDER_IDS: u64 = 6_400_000_000_000;
pub(super) const FULFILLMENT_ORDER_LINE_IDS: u64 = 15_800_000_000_000;
pub(super) const FULFILLMENT_IDS: u64 = 6_600_000_000_000;
pub(super) const FULFILLMENT_LINE_IDS: u64 = 16_400_000_000_000;

/// The next id after `previous`, a stable step derived from `salt`.
fn step(previous: u64, salt: u64) -> u64 {
    previous + 1 + mix(salt) % 997
}

/// What an order's state makes of its fulfillment orders: their status, and whether what
/// remains to ship is cleared.
fn state_for(order: &Order) -> (FoStatus, bool) {
    if order.cancelled_at.is_some() || order.fulfilled {
        (FoStatus::Closed, true)
    } else if order.closed_at.is_some() {
        (FoStatus::Closed, false)
    } else {
        (FoStatus::Open, false)
    }
}

impl ShopData {
    /// Gives `order` its fulfillment orders, with ids after the last ones given out.
    pub(super) fn assign_fulfillment_orders(&mut self, order_id: u64) {
        let location_ids: Vec<u64> = self.locations.keys().copied().collect();
        let Some(order) = self.orders.get(&order_id) else { return };
        if location_ids.is_empty() || order.lines.is_empty() {
            return;
        }
        let salt = order.id;
        let home = if location_ids.len() > 1 && mix(salt ^ 0x10c).is_multiple_of(4) {
            1 + (mix(salt ^ 0x10d) % (location_ids.len() as u64 - 1)) as usize
        } else {
            0
        };
        let split = location_ids.len() > 1 && order.lines.len() > 1 && mix(salt ^ 0xf0).is_multiple_of(10);
        let (status, cleared) = state_for(order);
        let cut = if split { order.lines.len().div_ceil(2) } else { order.lines.len() };
        let groups: Vec<(usize, &[super::Line])> = if split {
            let other = if home == 0 { 1 } else { 0 };
            vec![(home, &order.lines[..cut]), (other, &order.lines[cut..])]
        } else {
            vec![(home, &order.lines[..])]
        };
        let mut fulfillment_orders = Vec::new();
        for (k, (location, lines)) in groups.into_iter().enumerate() {
            self.last_fulfillment_order_id = step(self.last_fulfillment_order_id, salt ^ k as u64);
            let mut fo_lines = Vec::new();
            for line in lines {
                self.last_fulfillment_order_line_id = step(self.last_fulfillment_order_line_id, line.id);
                fo_lines.push(FoLine {
                    id: self.last_fulfillment_order_line_id,
                    line_item_id: line.id,
                    total: line.quantity,
                    remaining: if cleared { 0 } else { line.quantity },
                });
            }
            fulfillment_orders.push(FulfillmentOrder {
                id: self.last_fulfillment_order_id,
                order_id,
                location_id: location_ids[location],
                status,
                created_at: order.created_at,
                updated_at: order.updated_at,
                lines: fo_lines,
            });
        }
        for fo in &fulfillment_orders {
            self.fulfillment_order_index.insert(fo.id, order_id);
        }
        if let Some(order) = self.orders.get_mut(&order_id) {
            order.fulfillment_orders = fulfillment_orders;
        }
    }

    /// Brings an order's fulfillment orders in line with the order after a change at `now`.
    pub fn refresh_fulfillment_orders(&mut self, order_id: u64, now: i64) {
        let Some(order) = self.orders.get_mut(&order_id) else { return };
        let (status, cleared) = state_for(order);
        for fo in &mut order.fulfillment_orders {
            let before = fo.clone();
            if status == FoStatus::Closed {
                fo.status = FoStatus::Closed;
            }
            if cleared {
                fo.lines.iter_mut().for_each(|l| l.remaining = 0);
            }
            if *fo != before {
                fo.updated_at = now.max(fo.updated_at);
            }
        }
    }

    /// The fulfillment order with this id and its order.
    pub fn fulfillment_order(&self, id: u64) -> Option<(&Order, &FulfillmentOrder)> {
        let order = self.orders.get(self.fulfillment_order_index.get(&id)?)?;
        Some((order, order.fulfillment_orders.iter().find(|fo| fo.id == id)?))
    }

    /// Applies `request` at `now`: records a fulfillment of what it ships, lowers what remains on
    /// its fulfillment orders (each becomes IN_PROGRESS while something remains and CLOSED when
    /// nothing does) and marks the order fulfilled once all of its have nothing left. Nothing
    /// changes when the request is refused.
    pub fn create_fulfillment(&mut self, request: &FulfillmentRequest, now: i64) -> Result<u64, Refusal> {
        let Shipment { order_id, location_id, shipped } = self.check_fulfillment(request)?;
        let order = self.orders.get_mut(&order_id).ok_or(Refusal::NoFulfillmentOrder { index: 0 })?;
        let mut lines = Vec::new();
        for (fo_id, wanted) in &shipped {
            let Some(fo) = order.fulfillment_orders.iter_mut().find(|fo| fo.id == *fo_id) else { continue };
            for (line_id, quantity) in wanted {
                let Some(line) = fo.lines.iter_mut().find(|l| l.id == *line_id) else { continue };
                line.remaining -= quantity;
                self.last_fulfillment_line_id = step(self.last_fulfillment_line_id, line.id ^ now as u64);
                lines.push(FulfilledLine {
                    id: self.last_fulfillment_line_id,
                    fulfillment_order_id: fo.id,
                    fulfillment_order_line_id: line.id,
                    line_item_id: line.line_item_id,
                    quantity: *quantity,
                });
            }
            fo.status = if fo.remaining() == 0 { FoStatus::Closed } else { FoStatus::InProgress };
            fo.updated_at = now.max(fo.updated_at);
        }
        if order.fulfillment_orders.iter().all(|fo| fo.remaining() == 0) {
            order.fulfilled = true;
        }
        order.updated_at = now.max(order.updated_at);
        self.last_fulfillment_id = step(self.last_fulfillment_id, order_id ^ order.fulfillments.len() as u64);
        let id = self.last_fulfillment_id;
        order.fulfillments.push(Fulfillment {
            id,
            order_id,
            location_id,
            name: format!("#{}-F{}", order.number, order.fulfillments.len() + 1),
            status: "success",
            created_at: now,
            updated_at: now,
            tracking: request.tracking.clone(),
            notify_customer: request.notify_customer,
            lines,
        });
        self.fulfillment_index.insert(id, order_id);
        Ok(id)
    }

    /// What `request` would ship, or the first reason it cannot be applied.
    fn check_fulfillment(&self, request: &FulfillmentRequest) -> Result<Shipment, Refusal> {
        let mut first: Option<(u64, u64)> = None;
        let mut shipped: Vec<(u64, Vec<(u64, i64)>)> = Vec::new();
        if request.groups.is_empty() {
            return Err(Refusal::NothingToFulfill);
        }
        for (index, group) in request.groups.iter().enumerate() {
            let (order, fo) =
                self.fulfillment_order(group.fulfillment_order_id).ok_or(Refusal::NoFulfillmentOrder { index })?;
            match first {
                Some(place) if place != (order.id, fo.location_id) => return Err(Refusal::Mixed { index }),
                Some(_) => {}
                None => first = Some((order.id, fo.location_id)),
            }
            if shipped.iter().any(|(id, _)| *id == fo.id) {
                return Err(Refusal::Repeated { index });
            }
            if !fo.status.fulfillable() {
                return Err(Refusal::Unfulfillable { index, fulfillment_order_id: fo.id, status: fo.status });
            }
            let wanted: Vec<(u64, i64)> = match &group.lines {
                None => fo.lines.iter().filter(|l| l.remaining > 0).map(|l| (l.id, l.remaining)).collect(),
                Some(lines) => {
                    let mut wanted: Vec<(u64, i64)> = Vec::new();
                    for (line_index, (line_id, quantity)) in lines.iter().enumerate() {
                        let line = fo
                            .lines
                            .iter()
                            .find(|l| l.id == *line_id)
                            .ok_or(Refusal::NoLine { index, line: line_index })?;
                        let already = wanted.iter().filter(|(id, _)| id == line_id).map(|(_, q)| q).sum::<i64>();
                        if *quantity <= 0 || already + quantity > line.remaining {
                            return Err(Refusal::Quantity { index, line: line_index });
                        }
                        wanted.push((*line_id, *quantity));
                    }
                    wanted
                }
            };
            if wanted.is_empty() {
                return Err(Refusal::Quantity { index, line: 0 });
            }
            shipped.push((fo.id, wanted));
        }
        let (order_id, location_id) = first.ok_or(Refusal::NothingToFulfill)?;
        Ok(Shipment { order_id, location_id, shipped })
    }

    /// Replaces a fulfillment's tracking at `now`; `None` when there is no such fulfillment.
    pub fn update_tracking(&mut self, fulfillment_id: u64, tracking: Tracking, notify: bool, now: i64) -> Option<u64> {
        let order_id = *self.fulfillment_index.get(&fulfillment_id)?;
        let order = self.orders.get_mut(&order_id)?;
        let fulfillment = order.fulfillments.iter_mut().find(|f| f.id == fulfillment_id)?;
        fulfillment.tracking = tracking;
        fulfillment.notify_customer |= notify;
        fulfillment.updated_at = now.max(fulfillment.updated_at);
        order.updated_at = now.max(order.updated_at);
        Some(order_id)
    }

    /// The fulfillment with this id and its order.
    pub fn fulfillment(&self, id: u64) -> Option<(&Order, &Fulfillment)> {
        let order = self.orders.get(self.fulfillment_index.get(&id)?)?;
        Some((order, order.fulfillments.iter().find(|f| f.id == id)?))
    }

    /// Every fulfillment recorded here, in the order they were created.
    pub fn fulfillments(&self) -> Vec<&Fulfillment> {
        let mut all: Vec<&Fulfillment> = self.orders.values().flat_map(|o| o.fulfillments.iter()).collect();
        all.sort_by_key(|f| f.id);
        all
    }

    /// Holds, releases or closes a fulfillment order at `now`, as the merchant would in the admin.
    pub fn change_fulfillment_order(&mut self, id: u64, change: FoChange, now: i64) -> Result<u64, String> {
        let order_id = *self.fulfillment_order_index.get(&id).ok_or("fulfillment order not found")?;
        let order = self.orders.get_mut(&order_id).ok_or("order not found")?;
        let fo = order.fulfillment_orders.iter_mut().find(|fo| fo.id == id).ok_or("fulfillment order not found")?;
        fo.status = match (change, fo.status) {
            (FoChange::Hold, FoStatus::Open | FoStatus::InProgress | FoStatus::Scheduled) => FoStatus::OnHold,
            (FoChange::ReleaseHold, FoStatus::OnHold) => fo.unheld(),
            (FoChange::Close, FoStatus::Cancelled) => return Err("the fulfillment order is cancelled".into()),
            (FoChange::Close, _) => FoStatus::Closed,
            (_, status) => return Err(format!("the fulfillment order is {}", status.rest())),
        };
        fo.updated_at = now.max(fo.updated_at);
        order.updated_at = now.max(order.updated_at);
        Ok(order_id)
    }
}

/// What a checked request ships: from one order and location, for each fulfillment order the
/// (line id, quantity) pairs.
struct Shipment {
    order_id: u64,
    location_id: u64,
    shipped: Vec<(u64, Vec<(u64, i64)>)>,
}

/// A change the merchant makes to a fulfillment order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoChange {
    Hold,
    ReleaseHold,
    Close,
}

impl FulfillmentOrder {
    /// The status a held fulfillment order returns to: IN_PROGRESS once part of it has shipped.
    fn unheld(&self) -> FoStatus {
        if self.lines.iter().any(|l| l.remaining < l.total) {
            FoStatus::InProgress
        } else {
            FoStatus::Open
        }
    }
}

/// Tracking as `FulfillmentTrackingInput` gives it: the single number and URL first, then the
/// lists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tracking {
    pub company: Option<String>,
    pub numbers: Vec<String>,
    pub urls: Vec<String>,
}

impl Tracking {
    /// From the input's `number`/`numbers` and `url`/`urls`, without repeats.
    pub fn new(
        company: Option<String>,
        number: Option<String>,
        numbers: Vec<String>,
        url: Option<String>,
        urls: Vec<String>,
    ) -> Tracking {
        let merge = |one: Option<String>, many: Vec<String>| {
            let mut all: Vec<String> = Vec::new();
            for item in one.into_iter().chain(many) {
                if !item.is_empty() && !all.contains(&item) {
                    all.push(item);
                }
            }
            all
        };
        Tracking { company: company.filter(|c| !c.is_empty()), numbers: merge(number, numbers), urls: merge(url, urls) }
    }

    /// `trackingInfo`'s entries: one a number, each with the URL at its place; with no number,
    /// one entry for the company or URL alone, if there is one.
    pub fn entries(&self) -> Vec<(Option<&str>, Option<&str>, Option<&str>)> {
        let company = self.company.as_deref();
        if self.numbers.is_empty() {
            if company.is_none() && self.urls.is_empty() {
                return Vec::new();
            }
            return vec![(company, None, self.urls.first().map(String::as_str))];
        }
        self.numbers
            .iter()
            .enumerate()
            .map(|(i, n)| (company, Some(n.as_str()), self.urls.get(i).map(String::as_str)))
            .collect()
    }
}

/// One line of a fulfillment: how many of a fulfillment order line it shipped.
#[derive(Debug, Clone, PartialEq)]
pub struct FulfilledLine {
    /// The `FulfillmentLineItem` id.
    pub id: u64,
    pub fulfillment_order_id: u64,
    pub fulfillment_order_line_id: u64,
    pub line_item_id: u64,
    pub quantity: i64,
}

/// A fulfillment created through the API (`fulfillmentCreate`).
#[derive(Debug, Clone, PartialEq)]
pub struct Fulfillment {
    pub id: u64,
    pub order_id: u64,
    pub location_id: u64,
    pub name: String,
    /// The REST value; GraphQL shows it in capitals.
    pub status: &'static str,
    pub created_at: i64,
    pub updated_at: i64,
    pub tracking: Tracking,
    pub notify_customer: bool,
    pub lines: Vec<FulfilledLine>,
}

impl Fulfillment {
    /// The fulfillment orders it shipped from, each once, in the order they were given.
    pub fn fulfillment_order_ids(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = Vec::new();
        for line in &self.lines {
            if !ids.contains(&line.fulfillment_order_id) {
                ids.push(line.fulfillment_order_id);
            }
        }
        ids
    }
}

/// One entry of `lineItemsByFulfillmentOrder`: a fulfillment order and the (line id, quantity)
/// pairs to ship, or everything it has left when `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct FulfillmentGroup {
    pub fulfillment_order_id: u64,
    pub lines: Option<Vec<(u64, i64)>>,
}

/// What `fulfillmentCreate` asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FulfillmentRequest {
    pub groups: Vec<FulfillmentGroup>,
    pub tracking: Tracking,
    pub notify_customer: bool,
}

/// Why a fulfillment cannot be created; `index` is the entry of `lineItemsByFulfillmentOrder`,
/// `line` the entry of its `fulfillmentOrderLineItems`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NothingToFulfill,
    NoFulfillmentOrder {
        index: usize,
    },
    Unfulfillable {
        index: usize,
        fulfillment_order_id: u64,
        status: FoStatus,
    },
    NoLine {
        index: usize,
        line: usize,
    },
    Quantity {
        index: usize,
        line: usize,
    },
    /// Fulfillment orders of another order or location than the first one's.
    Mixed {
        index: usize,
    },
    /// The same fulfillment order a second time.
    Repeated {
        index: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn shop() -> ShopData {
        let config = Config::from_json(
            r#"{"shops": [{"handle": "acme", "access_token": "t", "scopes": [], "locations": 3,
                "products": 20, "customers": 30, "orders": 400, "seed": 7}]}"#,
        )
        .unwrap();
        ShopData::generate(&config.shops[0], 1_795_757_460)
    }

    #[test]
    fn every_order_has_fulfillment_orders_that_follow_its_state() {
        let data = shop();
        let mut split = 0;
        for order in data.orders.values() {
            let fos = &order.fulfillment_orders;
            assert!(!fos.is_empty());
            split += usize::from(fos.len() > 1);
            let lines: Vec<u64> = fos.iter().flat_map(|fo| fo.lines.iter().map(|l| l.line_item_id)).collect();
            assert_eq!(lines, order.lines.iter().map(|l| l.id).collect::<Vec<_>>());
            let open = order.closed_at.is_none() && order.cancelled_at.is_none() && !order.fulfilled;
            for fo in fos {
                assert_eq!(fo.status == FoStatus::Open, open, "order {}", order.id);
                assert_eq!(data.fulfillment_order(fo.id).map(|(o, _)| o.id), Some(order.id));
            }
        }
        assert!((10..80).contains(&split), "{split} of 400 split");
        let ids: Vec<u64> = data.orders.values().flat_map(|o| o.fulfillment_orders.iter().map(|fo| fo.id)).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids increase with the orders");
    }

    fn open_order(data: &ShopData, lines: usize) -> (u64, FulfillmentOrder) {
        let order = data
            .orders
            .values()
            .find(|o| {
                o.fulfillment_orders.len() == 1 && o.lines.len() >= lines && o.closed_at.is_none() && !o.fulfilled
            })
            .unwrap();
        (order.id, order.fulfillment_orders[0].clone())
    }

    fn ship(fo: &FulfillmentOrder, lines: Option<Vec<(u64, i64)>>) -> FulfillmentRequest {
        FulfillmentRequest {
            groups: vec![FulfillmentGroup { fulfillment_order_id: fo.id, lines }],
            tracking: Tracking::new(Some("UPS".into()), Some("1Z1".into()), vec![], None, vec![]),
            notify_customer: false,
        }
    }

    #[test]
    fn fulfilling_closes_the_fulfillment_order_and_then_the_order() {
        let mut data = shop();
        let (order_id, fo) = open_order(&data, 2);
        let first = (fo.lines[0].id, fo.lines[0].total);
        let id = data.create_fulfillment(&ship(&fo, Some(vec![first])), 10).unwrap();
        let (order, now) = data.fulfillment_order(fo.id).unwrap();
        assert_eq!(now.status, FoStatus::InProgress);
        assert!(!order.fulfilled && order.partially_fulfilled());
        let second = data.create_fulfillment(&ship(&fo, None), 11).unwrap();
        assert!(second > id, "ids increase");
        let (order, now) = data.fulfillment_order(fo.id).unwrap();
        assert_eq!((now.status, now.remaining()), (FoStatus::Closed, 0));
        assert!(order.fulfilled && order.legacy_fulfillment().is_none());
        let names: Vec<&str> = order.fulfillments.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, [format!("#{}-F1", order.number), format!("#{}-F2", order.number)]);
        assert_eq!(data.fulfillment(second).map(|(o, f)| (o.id, f.lines.len())), Some((order_id, fo.lines.len() - 1)));
        let refused = data.create_fulfillment(&ship(&fo, None), 12);
        assert_eq!(
            refused,
            Err(Refusal::Unfulfillable { index: 0, fulfillment_order_id: fo.id, status: FoStatus::Closed })
        );
    }

    #[test]
    fn a_refused_request_changes_nothing() {
        let mut data = shop();
        let (order_id, fo) = open_order(&data, 2);
        let before = data.orders[&order_id].clone();
        let line = fo.lines[0].clone();
        let cases = [
            (ship(&fo, Some(vec![(line.id, line.total + 1)])), Refusal::Quantity { index: 0, line: 0 }),
            (ship(&fo, Some(vec![(line.id, 0)])), Refusal::Quantity { index: 0, line: 0 }),
            (ship(&fo, Some(vec![(line.id, 1), (1, 1)])), Refusal::NoLine { index: 0, line: 1 }),
            (ship(&FulfillmentOrder { id: 1, ..fo.clone() }, None), Refusal::NoFulfillmentOrder { index: 0 }),
        ];
        for (request, refusal) in cases {
            assert_eq!(data.create_fulfillment(&request, 10), Err(refusal));
        }
        let mut twice = ship(&fo, None);
        twice.groups.push(twice.groups[0].clone());
        assert_eq!(data.create_fulfillment(&twice, 10), Err(Refusal::Repeated { index: 1 }));
        let other = data.orders.values().find(|o| o.id != order_id && !o.fulfilled).unwrap();
        let mut mixed = ship(&fo, None);
        mixed.groups.push(FulfillmentGroup { fulfillment_order_id: other.fulfillment_orders[0].id, lines: None });
        assert_eq!(data.create_fulfillment(&mixed, 10), Err(Refusal::Mixed { index: 1 }));
        data.change_fulfillment_order(fo.id, FoChange::Hold, 10).unwrap();
        assert_eq!(
            data.create_fulfillment(&ship(&fo, None), 10),
            Err(Refusal::Unfulfillable { index: 0, fulfillment_order_id: fo.id, status: FoStatus::OnHold })
        );
        data.change_fulfillment_order(fo.id, FoChange::ReleaseHold, 10).unwrap();
        let after = &data.orders[&order_id];
        assert_eq!(
            (&after.fulfillment_orders[0].lines, &after.fulfillments),
            (&before.fulfillment_orders[0].lines, &before.fulfillments)
        );
        assert_eq!(after.fulfillment_orders[0].status, FoStatus::Open);
    }

    #[test]
    fn tracking_lists_a_number_per_entry_with_its_url() {
        let tracking = Tracking::new(
            Some("DHL".into()),
            Some("A".into()),
            vec!["A".into(), "B".into()],
            Some("https://t/A".into()),
            vec![],
        );
        assert_eq!(tracking.numbers, ["A", "B"]);
        assert_eq!(tracking.entries(), [(Some("DHL"), Some("A"), Some("https://t/A")), (Some("DHL"), Some("B"), None)]);
        assert!(Tracking::default().entries().is_empty());
    }
}
