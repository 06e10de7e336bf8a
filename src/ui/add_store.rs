use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{error_view, form_error::FormError};
use crate::{
    api::{auth::current_user, stores::RegisterStore},
    error::AppError,
    platforms::{Help, Platform},
};

/// Adding a store: first the platform, then its credentials form.
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
                                match query.read().get("platform").as_deref().and_then(Platform::from_slug) {
                                    Some(platform) => view! { <PlatformForm platform /> }.into_any(),
                                    None => view! { <PlatformList /> }.into_any(),
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

/// What the platform needs granted: the permissions table the store's Permissions tab checks,
/// named as the platform's admin names them, each required or what stops working without it.
#[component]
fn PermissionsNeeded(platform: Platform) -> impl IntoView {
    let rows = platform
        .permissions()
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
                    <th scope="col">{format!("Permission in the {} admin", platform.label())}</th>
                    <th scope="col">"Needed"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

#[component]
fn PlatformList() -> impl IntoView {
    let platforms = Platform::ALL
        .into_iter()
        .map(|platform| {
            view! {
                <li>
                    <a class="button" href=format!("/stores/new?platform={}", platform.slug())>
                        {platform.label()}
                    </a>
                </li>
            }
        })
        .collect_view();
    view! {
        <h2>"Choose the platform"</h2>
        <ul class="platforms">{platforms}</ul>
    }
}

/// Where a registration form's values are found, above the form.
fn help_view(platform: Platform, help: &'static Help) -> AnyView {
    match help {
        Help::Note(text) => view! { <p class="note">{*text}</p> }.into_any(),
        Help::Permissions => view! { <PermissionsNeeded platform /> }.into_any(),
        Help::Table { caption, head, rows } => {
            let head = head.iter().map(|h| view! { <th scope="col">{*h}</th> }).collect_view();
            let rows = rows
                .iter()
                .map(|row| {
                    let (first, rest) = row.split_first().map_or(("", &[][..]), |(f, r)| (*f, r));
                    let rest = rest.iter().map(|cell| view! { <td>{*cell}</td> }).collect_view();
                    view! {
                        <tr>
                            <th scope="row">{first}</th>
                            {rest}
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <div class="scroll">
                    <table class="kinds" aria-label=*caption>
                        <thead>
                            <tr>{head}</tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            }
            .into_any()
        }
    }
}

/// A platform's registration form. It posts as a plain form before hydration; errors come back
/// beside their fields either way.
#[component]
fn PlatformForm(platform: Platform) -> impl IntoView {
    let register = ServerAction::<RegisterStore>::new();
    let query = use_query_map();
    // Reconnecting a disconnected store pre-fills its address.
    let shop = query.read_untracked().get("shop").unwrap_or_default();
    let from_query = super::query_error();
    let form = platform.form();
    let errors = FormError::new(
        move || match register.value().get() {
            Some(Err(err)) => Some(err),
            _ => from_query(),
        },
        form.names,
    );
    let pending = register.pending();
    let help = form.help.iter().map(|help| help_view(platform, help)).collect_view();
    let fields = form
        .fields
        .iter()
        .map(|field| {
            let help_id = format!("{}_help", field.name);
            let value = (field.name == "store_url").then(|| shop.clone());
            view! {
                <label for=field.name>{field.label}</label>
                <input
                    id=field.name
                    name=format!("fields[{}]", field.name)
                    type=if field.secret { "password" } else { "text" }
                    value=value
                    autocomplete="off"
                    aria-describedby=help_id.clone()
                    aria-invalid=errors.invalid(field.name)
                    required=field.required
                />
                <p class="help" id=help_id>{field.help}</p>
                {errors.beside(field.name)}
            }
        })
        .collect_view();
    view! {
        <h2>{form.heading}</h2>
        <section class="help-kinds" aria-labelledby="kinds-heading">
            <h3 id="kinds-heading">"Which values go where"</h3>
            {help}
        </section>
        <ActionForm action=register attr:class="card" attr:aria-label=form.heading>
            <input type="hidden" name="platform" value=platform.slug() />
            {(!shop.is_empty()).then(|| view! { <input type="hidden" name="reconnect" value="1" /> })}
            {fields}
            {errors.general()}
            <button type="submit" class="primary" disabled=move || pending.get()>
                "REGISTER"
            </button>
        </ActionForm>
    }
    .into_any()
}
