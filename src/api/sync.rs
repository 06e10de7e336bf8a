//! The progress stream every browser watching reads, and "Sync now".

use leptos::server;
use server_fn::codec::{GetUrl, PostUrl, StreamingText, TextStream};

use crate::{error::AppError, ids::StoreId};

/// Newline-delimited JSON: a snapshot of each store's latest job (or one store's) on
/// connecting, then every change as it happens. Chunks are not messages, so the browser
/// splits on newlines (`ndjson::Lines`).
#[server(prefix = "/api", endpoint = "sync/progress", input = GetUrl, output = StreamingText)]
pub async fn watch_progress(store_id: Option<StoreId>) -> Result<TextStream<AppError>, AppError> {
    super::respond(async {
        let caller = super::require_user().await?;
        if let Some(store_id) = store_id {
            caller.store(store_id).await?;
        }
        // Sent line by line as changes happen: no proxy or compression may hold lines back.
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            use axum::http::{header, HeaderName, HeaderValue};
            response.insert_header(HeaderName::from_static("x-accel-buffering"), HeaderValue::from_static("no"));
            response.insert_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        let expires_at = crate::auth::session::expires_at(caller.pool(), &caller.session_hash)
            .await?
            .ok_or(AppError::Unauthorized)?;
        let viewer = crate::progress::Viewer {
            user_id: caller.user.id,
            org: caller.org(),
            access: caller.access,
            session_hash: caller.session_hash,
            expires_at,
        };
        caller.state.hub.stream(store_id, viewer).await
    })
    .await
}

/// Starts an incremental sync now, unless one is already queued or running.
#[server(prefix = "/api", endpoint = "sync/now", input = PostUrl)]
pub async fn sync_now(store_id: StoreId) -> Result<String, AppError> {
    super::respond(async {
        let caller = super::require_admin().await?;
        let store_id = caller.store(store_id).await?.id;
        let message = crate::sync::queue_now(caller.pool(), &caller.user, store_id).await?;
        caller.state.sync.wake();
        caller.state.hub.changed(store_id);
        Ok(message)
    })
    .await
}
