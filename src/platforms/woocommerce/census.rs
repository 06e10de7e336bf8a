//! What the site says awaits shipment, for the drift check: its `processing` orders, counted
//! from one listing's `X-WP-Total`, listed a hundred at a time, and fetched again by id.

use super::{client::WooError, reader, sync::wc_date, WooCommerce};
use crate::{
    error::AppError,
    ids::StoreId,
    platforms::{Listed, StoreRef, Window},
    records::{
        self,
        model::{Batch, Gone},
    },
};

/// Orders one listing gives at most.
pub(in crate::platforms) const PAGE: i64 = 100;

fn upstream(err: WooError) -> AppError {
    AppError::Upstream(format!("the site could not be read: {err}"))
}

impl WooCommerce {
    async fn census_connection(
        &self,
        store_id: StoreId,
    ) -> Result<(super::url::SiteUrl, super::client::Keys), AppError> {
        self.connection(store_id).await?.ok_or_else(|| AppError::Upstream("the store is not connected".into()))
    }

    /// The listing's bounds: WooCommerce's `after` and `before` leave out their own second.
    fn window_query(window: Window) -> [(&'static str, String); 4] {
        [
            ("status", "processing".into()),
            ("dates_are_gmt", "true".into()),
            ("after", wc_date(window.from - 1)),
            ("before", wc_date(window.to)),
        ]
    }

    pub(in crate::platforms) async fn awaiting_count(
        &self,
        store_id: StoreId,
        window: Window,
    ) -> Result<i64, AppError> {
        let (site, keys) = self.census_connection(store_id).await?;
        let mut query: Vec<(&str, String)> = Self::window_query(window).into();
        query.extend([("per_page", "1".into()), ("_fields", "id".into())]);
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let answer = self.client.get(&site, &keys, "/wc/v3/orders", &query).await.map_err(upstream)?;
        Ok(answer.total.unwrap_or(0))
    }

    pub(in crate::platforms) async fn awaiting_orders(
        &self,
        store_id: StoreId,
        window: Window,
    ) -> Result<Vec<Listed>, AppError> {
        #[derive(serde::Deserialize)]
        struct Row {
            id: i64,
            #[serde(default)]
            number: Option<String>,
        }
        let (site, keys) = self.census_connection(store_id).await?;
        let mut listed = Vec::new();
        for page in 1.. {
            let mut query: Vec<(&str, String)> = Self::window_query(window).into();
            query.extend([
                ("per_page", PAGE.to_string()),
                ("page", page.to_string()),
                ("orderby", "id".into()),
                ("_fields", "id,number".into()),
            ]);
            let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let answer = self.client.get(&site, &keys, "/wc/v3/orders", &query).await.map_err(upstream)?;
            let rows: Vec<Row> = answer.json().map_err(upstream)?;
            let full = rows.len() as i64 == PAGE;
            listed.extend(
                rows.into_iter()
                    .map(|r| Listed { id: r.id, name: format!("#{}", r.number.unwrap_or_else(|| r.id.to_string())) }),
            );
            if !full || answer.total_pages.is_some_and(|pages| page >= pages) {
                break;
            }
        }
        Ok(listed)
    }

    /// Stores the orders as the site has them now (a hundred a listing; one by one those the
    /// listing lacks): the ids it could not read.
    pub(in crate::platforms) async fn fetch_orders(
        &self,
        store: StoreRef<'_>,
        ids: &[i64],
    ) -> Result<Vec<i64>, AppError> {
        let (site, keys) = self.census_connection(store.id).await?;
        let reader_site = self.reader_site(&site, &keys).await.map_err(upstream)?;
        let mut batch = Batch::default();
        let mut gone = Vec::new();
        let mut unread = Vec::new();
        for chunk in ids.chunks(PAGE as usize) {
            let include = chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            let per_page = PAGE.to_string();
            let query = [("include", include.as_str()), ("per_page", per_page.as_str()), ("status", "any")];
            let answer = self.client.get(&site, &keys, "/wc/v3/orders", &query).await.map_err(upstream)?;
            let text = answer.text().map_err(upstream)?;
            let listed: Vec<serde_json::Value> = serde_json::from_str(text).unwrap_or_default();
            let more = reader::orders(text, &reader_site);
            batch.records.extend(more.records);
            batch.refused.extend(more.refused);
            for id in chunk.iter().filter(|id| !listed.iter().any(|o| o["id"].as_i64() == Some(**id))) {
                match self.client.get(&site, &keys, &format!("/wc/v3/orders/{id}"), &[]).await {
                    Ok(answer) => {
                        let text = answer.text().map_err(upstream)?;
                        if serde_json::from_str::<serde_json::Value>(text).is_ok_and(|o| o["status"] == "trash") {
                            gone.push(Gone::Order(*id));
                        } else {
                            let more = reader::orders(text, &reader_site);
                            batch.records.extend(more.records);
                            batch.refused.extend(more.refused);
                        }
                    }
                    Err(WooError::NotFound) => gone.push(Gone::Order(*id)),
                    Err(err) => {
                        tracing::warn!(store_id = %store.id, order = id, error = %err, "could not read an order again");
                        unread.push(*id);
                    }
                }
            }
        }
        unread.extend(batch.refused.iter().filter_map(|r| r.id));
        records::apply(&self.pool, store.id, batch, gone).await?;
        Ok(unread)
    }
}
