//! The live progress stream, read in the browser: newline-delimited JSON snapshots from
//! `watch_progress`, reconnecting when the connection drops while the session lasts. On the server it does nothing:
//! the page is rendered from the snapshot its data already carries.

use crate::{ids::StoreId, jobs::Live};

/// Calls `on_update` with every line for `store_id` (or every store) while the calling
/// component lives.
pub fn watch(store_id: Option<StoreId>, on_update: impl Fn(Live) + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use std::sync::{
            atomic::{AtomicBool, Ordering},
            Arc,
        };

        use futures::StreamExt;
        use leptos::prelude::on_cleanup;

        use crate::{api::sync::watch_progress, ndjson::Lines};

        let alive = Arc::new(AtomicBool::new(true));
        let flag = alive.clone();
        on_cleanup(move || flag.store(false, Ordering::Relaxed));
        leptos::task::spawn_local(async move {
            while alive.load(Ordering::Relaxed) {
                let stream = match watch_progress(store_id).await {
                    Ok(stream) => Some(stream),
                    // The session ended (signed out elsewhere, deactivated): nothing to hear.
                    Err(crate::error::AppError::Unauthorized) => return,
                    Err(_) => None,
                };
                if let Some(stream) = stream {
                    let mut stream = stream.into_inner();
                    let mut lines = Lines::default();
                    while let Some(Ok(chunk)) = stream.next().await {
                        if !alive.load(Ordering::Relaxed) {
                            return;
                        }
                        for line in lines.push::<Live>(&chunk) {
                            on_update(line);
                        }
                    }
                }
                sleep_ms(2000).await;
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (store_id, on_update);
}

#[cfg(feature = "hydrate")]
async fn sleep_ms(ms: u64) {
    let (done, wait) = futures::channel::oneshot::channel::<()>();
    leptos::prelude::set_timeout(
        move || {
            let _ = done.send(());
        },
        std::time::Duration::from_millis(ms),
    );
    let _ = wait.await;
}
