use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::error_view;
use crate::{auth::current_user, error::AppError};

/// Step one of adding a store: choose the platform.
#[component]
pub fn AddStorePage() -> impl IntoView {
    let me = Resource::new(|| (), |_| current_user());
    let query = use_query_map();
    view! {
        <Title text="Add store · storelink" />
        <h1>"Add store"</h1>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(me)) if me.is_admin() => {
                        view! {
                            <h2>"Choose the platform"</h2>
                            <ul class="platforms">
                                <li>
                                    <a class="button" href="/stores/new?platform=shopify">
                                        "Shopify"
                                    </a>
                                </li>
                            </ul>
                            {move || {
                                (query.read().get("platform").as_deref() == Some("shopify"))
                                    .then(|| {
                                        view! {
                                            <p class="note" role="status">
                                                "Connecting a Shopify store is not yet available in this version of storelink."
                                            </p>
                                        }
                                    })
                            }}
                        }
                            .into_any()
                    }
                    Ok(Some(_)) => error_view(AppError::Forbidden),
                    Ok(None) => error_view(AppError::Unauthorized),
                    Err(err) => error_view(err),
                }
            })}
        </Suspense>
    }
}
