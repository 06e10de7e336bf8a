//! Where an administrator chooses the stores a standard user sees: all of them (and any added
//! later), or only those checked. The queue, the store pages and the user's progress stream
//! follow.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{
    api::users::{user_stores, LimitUserStores},
    ids::UserId,
};

#[component]
pub fn UserStoresPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|id| id.parse().ok()).unwrap_or(UserId(0)));
    let save = ServerAction::<LimitUserStores>::new();
    let choice = Resource::new(move || (id.get(), save.version().get()), |(id, _)| user_stores(id));
    let from_query = super::query_error();
    let outcome = move || match save.value().get() {
        Some(Ok(())) => Some(view! { <p role="status">"Saved."</p> }.into_any()),
        Some(Err(err)) => Some(view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any()),
        None => from_query().map(|err| view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any()),
    };
    view! {
        <Title text="Stores a user sees · storelink" />
        <p>
            <a href="/users">"Users"</a>
        </p>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match choice.await {
                    Ok(choice) => {
                        let all = choice.user.all_stores;
                        view! {
                            <h1>{format!("Stores {} sees", choice.user.email)}</h1>
                            <ActionForm action=save>
                                <input type="hidden" name="user_id" value=choice.user.id.to_string() />
                                <fieldset>
                                    <legend>"Sees"</legend>
                                    <label class="check">
                                        <input type="radio" name="access" value="all" checked=all />
                                        "All stores, and any added later"
                                    </label>
                                    <label class="check">
                                        <input type="radio" name="access" value="some" checked=!all />
                                        "Only the stores checked below"
                                    </label>
                                </fieldset>
                                <p class="note">"A store checked with none of its locations is seen at all of them."</p>
                                {choice
                                    .stores
                                    .into_iter()
                                    .map(|store| {
                                        let sight = choice.chosen.iter().find(|s| s.store == store.id);
                                        let checked = sight.is_some();
                                        let id = store.id;
                                        let locations = store
                                            .locations
                                            .into_iter()
                                            .map(|(location, name)| {
                                                let on = sight.is_some_and(|s| s.locations.contains(&location));
                                                view! {
                                                    <label class="check">
                                                        <input type="checkbox" name=format!("locations[store{id}-location{location}]") value="on" checked=on />
                                                        {format!("{} at {name}", store.name)}
                                                    </label>
                                                }
                                            })
                                            .collect_view();
                                        view! {
                                            <fieldset>
                                                <legend>{store.name.clone()}</legend>
                                                <label class="check">
                                                    <input type="checkbox" name=format!("stores[{id}]") value="on" checked=checked />
                                                    {store.name.clone()}
                                                </label>
                                                {locations}
                                            </fieldset>
                                        }
                                    })
                                    .collect_view()}
                                {outcome}
                                <button type="submit" class="primary">
                                    "Save"
                                </button>
                            </ActionForm>
                        }
                            .into_any()
                    }
                    Err(err) => super::admin_page_error(err, "choose the stores a user sees"),
                }
            })}
        </Transition>
    }
}
