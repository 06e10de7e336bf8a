use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{error_view, form_error::FormError};
use crate::{
    api::{auth::current_user, stores::RegisterStore},
    error::AppError,
};

/// Adding a store: first the platform, then (for Shopify) the credentials form.
#[component]
pub fn AddStorePage() -> impl IntoView {
    let me = Resource::new(|| (), |_| current_user());
    let query = use_query_map();
    // Reconnecting a store is this page with its address filled in.
    let reconnecting = move || query.read().get("shop").filter(|shop| !shop.is_empty());
    let heading = move || match reconnecting() {
        Some(shop) => format!("Reconnect {shop}"),
        None => "Add store".to_owned(),
    };
    view! {
        <Title text=move || format!("{} · storelink", heading()) />
        <h1>{heading}</h1>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(me)) if me.is_admin() => {
                        view! {
                            {move || {
                                if query.read().get("platform").as_deref() == Some("shopify") {
                                    view! { <ShopifyForm /> }.into_any()
                                } else {
                                    view! { <PlatformList /> }.into_any()
                                }
                            }}
                        }
                            .into_any()
                    }
                    Ok(Some(_)) => super::only_administrators("add or reconnect stores"),
                    Ok(None) => error_view(AppError::Unauthorized),
                    Err(err) => error_view(err),
                }
            })}
        </Suspense>
    }
}

/// What the app needs granted: the permissions table the store's Permissions tab checks, named as
/// the Shopify admin names them, each required or what stops working without it.
#[component]
fn PermissionsNeeded() -> impl IntoView {
    let rows = crate::shopify::PERMISSIONS
        .iter()
        .map(|p| {
            let need = match p.without_it {
                None => "Required".to_owned(),
                Some(without) => format!("Optional: without it {without}"),
            };
            view! {
                <tr>
                    <th scope="row">{p.admin_name}</th>
                    <td>{need}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="permissions" aria-label="Permissions the app needs">
            <thead>
                <tr>
                    <th scope="col">"Permission in the Shopify admin"</th>
                    <th scope="col">"Needed"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

#[component]
fn PlatformList() -> impl IntoView {
    view! {
        <h2>"Choose the platform"</h2>
        <ul class="platforms">
            <li>
                <a class="button" href="/stores/new?platform=shopify">
                    "Shopify"
                </a>
            </li>
        </ul>
    }
}

/// The Shopify form. It posts as a plain form before hydration; errors come back beside
/// their fields either way.
#[component]
fn ShopifyForm() -> impl IntoView {
    let register = ServerAction::<RegisterStore>::new();
    let query = use_query_map();
    // Reconnecting a disconnected store pre-fills its address.
    let shop = query.read_untracked().get("shop").unwrap_or_default();
    let from_query = super::query_error();
    let errors = FormError::new(
        move || match register.value().get() {
            Some(Err(err)) => Some(err),
            _ => from_query(),
        },
        &["store_url", "api_key", "api_password", "shared_secret"],
    );
    let pending = register.pending();
    view! {
        <h2>"Connect a Shopify store"</h2>
        <section class="help-kinds" aria-labelledby="kinds-heading">
            <h3 id="kinds-heading">"Which values go where"</h3>
            <p class="note">"The app needs these permissions (the store's Permissions tab checks the same list):"</p>
            <PermissionsNeeded />
            <p class="note">"Copy the values of your kind of app:"</p>
            <div class="scroll">
            <table class="kinds">
                <thead>
                    <tr>
                        <th scope="col">"Field"</th>
                        <th scope="col">"Dev Dashboard app (stores created since 2026)"</th>
                        <th scope="col">"Custom app made in the Shopify admin before 2026"</th>
                        <th scope="col">"Legacy private app"</th>
                    </tr>
                </thead>
                <tbody>
                    <tr>
                        <th scope="row">"API Key"</th>
                        <td>"Client ID"</td>
                        <td>"API key"</td>
                        <td>"API key"</td>
                    </tr>
                    <tr>
                        <th scope="row">"API Password"</th>
                        <td>"Leave empty: storelink gets its own token, and renews it"</td>
                        <td>"Admin API access token"</td>
                        <td>"Password"</td>
                    </tr>
                    <tr>
                        <th scope="row">"Shared Secret"</th>
                        <td>"Client secret"</td>
                        <td>"API secret key"</td>
                        <td>"Shared secret"</td>
                    </tr>
                </tbody>
            </table>
            </div>
            <p class="note">
                "A Dev Dashboard app must be created in the store's own organization and installed on the store; its
                values are on the app's Settings page. A custom app's values are under Settings → Apps and sales
                channels → Develop apps → API credentials. A private app's Example URL can go in Store URL."
            </p>
        </section>
        <ActionForm action=register attr:class="card" attr:aria-label="Connect a Shopify store">
            {(!shop.is_empty()).then(|| view! { <input type="hidden" name="reconnect" value="1" /> })}
            <label for="store_url">"Store URL"</label>
            <input id="store_url" name="store_url" type="text" value=shop.clone() autocomplete="off" aria-describedby="store_url_help" required />
            <p class="help" id="store_url_help">
                "Your store's myshopify.com address, such as mystore.myshopify.com. A private app's “Example URL” works too: its key and password fill the fields below."
            </p>
            {errors.beside("store_url")}
            <label for="api_key">"API Key"</label>
            <input id="api_key" name="api_key" type="text" autocomplete="off" aria-describedby="api_key_help" />
            <p class="help" id="api_key_help">
                "The “Client ID” of a Dev Dashboard app, or the “API key” of a custom or legacy private app."
            </p>
            {errors.beside("api_key")}
            <label for="api_password">"API Password"</label>
            <input id="api_password" name="api_password" type="password" autocomplete="off" aria-describedby="api_password_help" />
            <p class="help" id="api_password_help">
                "The “Admin API access token” of a custom app (starts with shpat_), or the “Password” of a legacy private app. Leave it empty for a Dev Dashboard app."
            </p>
            {errors.beside("api_password")}
            <label for="shared_secret">"Shared Secret"</label>
            <input id="shared_secret" name="shared_secret" type="password" autocomplete="off" aria-describedby="shared_secret_help" required />
            <p class="help" id="shared_secret_help">
                "The “Client secret” of a Dev Dashboard app, the “API secret key” of a custom app, or the “Shared secret” of a legacy private app. storelink uses it to check that webhooks really come from Shopify. Shopify cannot be asked whether it is right, so it is checked on the first webhook delivery: if that does not verify, the store's page says so."
            </p>
            {errors.beside("shared_secret")}
            {errors.general()}
            <button type="submit" class="primary" disabled=move || pending.get()>
                "REGISTER"
            </button>
        </ActionForm>
    }
}
