//! A batch of shipments typed or pasted at the queue: a line an order (`order,carrier,tracking
//! number[,tracking URL]`, split by commas or by tabs as a spreadsheet copies), every line
//! checked before anything is recorded, then each recorded once under a key of its own, so a
//! batch sent again records nothing twice.

use sha2::{Digest, Sha256};

use super::{BatchRow, MAX_BATCH};
use crate::{
    db::Pool,
    error::AppError,
    ids::StoreId,
    records::repo as records,
    shipments::{self, RecordError, Recorder, ShipmentRequest},
    stores::StoreDto,
};

/// The lines of `text` that hold something, with their numbers (from 1), split into their
/// fields; a first line that names the columns is left out.
fn lines(text: &str) -> Vec<(usize, Vec<String>)> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            let separator = if line.contains('\t') { '\t' } else { ',' };
            (n + 1, line.split(separator).map(|f| f.trim().trim_matches('"').trim().to_owned()).collect::<Vec<_>>())
        })
        .filter(|(n, fields)| !(*n == 1 && fields[0].eq_ignore_ascii_case("order")))
        .collect()
}

/// Each line checked, nothing recorded: the order it names (among `selected`, when it is
/// there, else among the orders of `stores` that are connected: the caller's), and what
/// [`shipments::record`] would refuse; with the shipment to record for each line that names an
/// order.
pub async fn check(
    pool: &Pool,
    stores: Vec<StoreDto>,
    text: &str,
    selected: &[(StoreId, i64)],
    notify: bool,
    sight: &crate::records::Sight,
) -> Result<Vec<(BatchRow, Option<(StoreDto, ShipmentRequest)>)>, AppError> {
    let lines = lines(text);
    if lines.is_empty() {
        return Err(AppError::invalid(
            "shipments",
            "Write or paste one line an order: order, carrier, tracking number.",
        ));
    }
    if lines.len() > MAX_BATCH {
        return Err(AppError::invalid(
            "shipments",
            format!("A batch takes at most {MAX_BATCH} orders; this has {}.", lines.len()),
        ));
    }
    let stores: Vec<StoreDto> = stores.into_iter().filter(|s| s.refuses_shipments().is_none()).collect();
    let ids: Vec<StoreId> = stores.iter().map(|s| s.id).collect();
    let mut rows = Vec::with_capacity(lines.len());
    for (line, fields) in lines {
        let field = |n: usize| fields.get(n).cloned().unwrap_or_default();
        let mut row = BatchRow {
            line,
            order: field(0),
            store_id: None,
            store_name: None,
            order_id: None,
            carrier: field(1),
            tracking_number: field(2),
            tracking_url: fields.get(3).filter(|u| !u.is_empty()).cloned(),
            problem: None,
            shipment: None,
            created: false,
        };
        if fields.len() < 3 || fields.len() > 4 {
            row.problem = Some("Write the order, the carrier and the tracking number (and a tracking URL if any), separated by commas.".into());
            rows.push((row, None));
            continue;
        }
        let named = records::orders_named(pool, &ids, &row.order).await?;
        let chosen: Vec<_> = match named.iter().filter(|(o, _)| selected.contains(&(StoreId(o.store_id), o.id))).count()
        {
            0 => named.iter().collect(),
            _ => named.iter().filter(|(o, _)| selected.contains(&(StoreId(o.store_id), o.id))).collect(),
        };
        let order = match chosen.as_slice() {
            [] => {
                row.problem = Some(format!("No connected store has an order {}.", row.order));
                rows.push((row, None));
                continue;
            }
            [(order, _)] => order,
            more => {
                let names: Vec<String> = more
                    .iter()
                    .filter_map(|(o, _)| stores.iter().find(|s| s.id.0 == o.store_id).map(|s| s.name.clone()))
                    .collect();
                row.problem = Some(format!(
                    "{} is an order of {} stores ({}): select the one you mean in the queue.",
                    row.order,
                    names.len(),
                    names.join(", ")
                ));
                rows.push((row, None));
                continue;
            }
        };
        let store = stores.iter().find(|s| s.id.0 == order.store_id).cloned().ok_or(AppError::Internal)?;
        row.store_id = Some(store.id);
        row.store_name = Some(store.name.clone());
        row.order_id = Some(order.id);
        row.order = order.name.clone().unwrap_or(row.order);
        let request = ShipmentRequest {
            order_id: order.id,
            fulfillment_order_id: None,
            carrier: row.carrier.clone(),
            tracking_number: row.tracking_number.clone(),
            tracking_url: row.tracking_url.clone(),
            line_items: None,
            notify_customer: notify,
        };
        if let Err(refused) = shipments::preview(pool, &store, &request, sight).await {
            row.problem = Some(in_words(refused)?);
        }
        rows.push((row, Some((store, request))));
    }
    Ok(rows)
}

/// Checks every line, then records each that passes, once: a line sent again (the same order,
/// carrier and tracking number) finds the shipment it recorded the first time.
pub async fn record(
    pool: &Pool,
    stores: Vec<StoreDto>,
    text: &str,
    selected: &[(StoreId, i64)],
    notify: bool,
    by: &Recorder<'_>,
) -> Result<Vec<BatchRow>, AppError> {
    let mut done = Vec::new();
    for (mut row, named) in check(pool, stores, text, selected, notify, &by.sight).await? {
        // Even a line the check refused: recorded before under its key, it is found again.
        if let Some((store, request)) = named {
            let key = key(store.id, &request);
            match shipments::record(pool, &store, &request, by, Some(&key)).await {
                Ok(recorded) => {
                    row.problem = None;
                    row.created = recorded.created;
                    row.shipment = Some(recorded.shipment);
                }
                Err(refused) => row.problem = Some(in_words(refused)?),
            }
        }
        done.push(row);
    }
    Ok(done)
}

/// A line's idempotency key: the same order, carrier and tracking number make the same key.
fn key(store: StoreId, request: &ShipmentRequest) -> String {
    let what = format!(
        "{}\n{}\n{}\n{}",
        store.0,
        request.order_id,
        request.carrier.trim().to_lowercase(),
        request.tracking_number.trim()
    );
    format!("batch-{}", &hex::encode(Sha256::digest(what.as_bytes()))[..40])
}

/// Why a line cannot be recorded, in one sentence.
fn in_words(refused: RecordError) -> Result<String, AppError> {
    Ok(match refused {
        RecordError::Invalid(errors) => errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join(" "),
        RecordError::KeyReused => "This line was recorded before with other values.".into(),
        RecordError::NotConnected(why) => why,
        RecordError::App(err) => return Err(err),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_by_commas_or_tabs_without_a_header_or_blanks() {
        let text = "order,carrier,tracking\n#1001, UPS ,1Z1\n\n\"1002\"\tDHL\tJD2\thttps://t.example/2\n";
        let parsed = lines(text);
        assert_eq!(
            parsed,
            vec![
                (2, vec!["#1001".to_owned(), "UPS".into(), "1Z1".into()]),
                (4, vec!["1002".to_owned(), "DHL".into(), "JD2".into(), "https://t.example/2".into()]),
            ]
        );
    }

    #[test]
    fn a_line_sent_again_has_the_same_key_and_another_tracking_number_another() {
        let request = |tracking: &str| ShipmentRequest {
            order_id: 7,
            fulfillment_order_id: None,
            carrier: "UPS".into(),
            tracking_number: tracking.into(),
            tracking_url: None,
            line_items: None,
            notify_customer: false,
        };
        assert_eq!(key(StoreId(1), &request("1Z1")), key(StoreId(1), &request(" 1Z1 ")));
        assert_ne!(key(StoreId(1), &request("1Z1")), key(StoreId(1), &request("1Z2")));
        assert_ne!(key(StoreId(1), &request("1Z1")), key(StoreId(2), &request("1Z1")));
    }
}
