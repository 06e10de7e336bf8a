//! The confirmations for disconnecting and removing a store: pages of their own, so they work
//! without JavaScript and name the store before anything happens.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::error_view;
use crate::{
    api::stores::{store_header, DisconnectStore, RemoveStore},
    error::AppError,
    ids::StoreId,
    stores::StoreState,
};

fn store_id() -> Memo<StoreId> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("id").and_then(|id| id.parse().ok()).unwrap_or_default())
}

/// The error a confirmation's action came back with (or, without JavaScript, the page's query
/// string), shown above its button.
fn failure<T: Clone + Send + Sync + 'static>(value: MappedSignal<Option<Result<T, AppError>>>) -> impl IntoView {
    let from_query = super::query_error();
    move || {
        value
            .get()
            .and_then(Result::err)
            .or_else(from_query)
            .map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })
    }
}

/// A confirmation page: what will happen to the store, then its form (the store's id and one
/// button naming the store) and a way back.
fn confirmation(question: String, explanation: String, failure: impl IntoView, form: impl IntoView) -> AnyView {
    view! {
        <h1>{question}</h1>
        <p>{explanation}</p>
        {failure}
        {form}
        <a class="button" href="/">
            "Cancel"
        </a>
    }
    .into_any()
}

#[component]
pub fn DisconnectPage() -> impl IntoView {
    let id = store_id();
    let store = Resource::new(move || id.get(), store_header);
    let disconnect = ServerAction::<DisconnectStore>::new();
    view! {
        <Title text="Disconnect store · storelink" />
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match store.await {
                    Ok(heading) if !heading.viewer_is_admin => super::only_administrators("disconnect stores"),
                    Ok(heading) => { let store = heading.store; confirmation(
                        format!("Disconnect {}?", store.name),
                        format!(
                            "storelink stops synchronizing {} ({}), deletes its stored credentials and removes the webhooks it created in Shopify. The synced data stays, and you can reconnect the store later by entering its credentials again.",
                            store.name,
                            store.shop_domain,
                        ),
                        failure(disconnect.value()),
                        view! {
                            <ActionForm action=disconnect attr:class="inline">
                                <input type="hidden" name="store_id" value=store.id.to_string() />
                                <button type="submit" class="danger">
                                    {format!("Disconnect {}", store.name)}
                                </button>
                            </ActionForm>
                        },
                    ) }
                    Err(err) => error_view(err),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn RemovePage() -> impl IntoView {
    let id = store_id();
    let store = Resource::new(move || id.get(), store_header);
    let remove = ServerAction::<RemoveStore>::new();
    view! {
        <Title text="Remove store · storelink" />
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match store.await.map(|heading| (heading.viewer_is_admin, heading.store)) {
                    Ok((false, _)) => super::only_administrators("remove stores"),
                    Ok((true, store)) if store.state == StoreState::Disconnected => confirmation(
                        format!("Remove {}?", store.name),
                        format!(
                            "This deletes {} ({}) and everything synchronized from it. It cannot be undone.",
                            store.name,
                            store.shop_domain,
                        ),
                        failure(remove.value()),
                        view! {
                            <ActionForm action=remove attr:class="inline">
                                <input type="hidden" name="store_id" value=store.id.to_string() />
                                <button type="submit" class="danger">
                                    {format!("Remove {}", store.name)}
                                </button>
                            </ActionForm>
                        },
                    ),
                    Ok((true, store)) => {
                        error_view(AppError::Conflict(format!("Disconnect {} before removing it.", store.name)))
                    }
                    Err(err) => error_view(err),
                }
            })}
        </Suspense>
    }
}
