//! API tokens (administrators): the desk's label software calls storelink's API with one. A new
//! token is shown once, right after it is created, in a field made for copying; the list shows
//! how each token starts (never the token), whose it is, its use, and Revoke, which asks first.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    form_error::FormError,
    format::{format_utc, thousands},
    query_error,
};
use crate::{
    api::tokens::{list_api_tokens, CreateApiToken, RevokeApiToken},
    api_tokens::{ApiTokenDto, MAX_NAME},
    error::AppError,
};

#[component]
pub fn TokensPage() -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let tokens = Resource::new(move || (create.version().get(), revoke.version().get()), |_| list_api_tokens());
    // A form's field errors show beside its field; the rest (a revoke refused) above the list.
    let from_query = query_error();
    let revoke_error = move || {
        revoke
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| from_query().filter(|err| !matches!(err, AppError::Invalid { .. })))
            .map(|err| view! { <p class="error" role="alert">{err.to_string()}</p> })
    };
    view! {
        <Title text="API tokens · storelink" />
        <h1>"API tokens"</h1>
        <Transition fallback=|| view! { <p>"Loading the tokens…"</p> }>
            {move || Suspend::new(async move {
                match tokens.await {
                    Ok(list) => {
                        view! {
                            <p class="note">
                                "Label software calls storelink's API with a token: "
                                <code>"Authorization: Bearer TOKEN"</code>
                                ". The API is described at "
                                <a href="/api/v1/openapi.json">"/api/v1/openapi.json"</a>
                                "."
                            </p>
                            {revoke_error}
                            <RevokeConfirmation list=list.clone() revoke />
                            <TokenTable list />
                            <CreateTokenForm create />
                        }
                            .into_any()
                    }
                    Err(err) => super::admin_page_error(err, "create or revoke API tokens"),
                }
            })}
        </Transition>
    }
}

/// Revoke asks first (`?revoke=ID`, so it works without JavaScript too): label software using
/// the token stops working at once.
#[component]
fn RevokeConfirmation(list: Vec<ApiTokenDto>, revoke: ServerAction<RevokeApiToken>) -> impl IntoView {
    let query = use_query_map();
    move || {
        let asked = query.read().get("revoke").and_then(|id| id.parse::<i64>().ok())?;
        let token = list.iter().find(|t| t.id.0 == asked && t.revoked_at.is_none())?.clone();
        Some(view! {
            <section class="card confirm" aria-labelledby="revoke-heading">
                <h2 id="revoke-heading">{format!("Revoke “{}”?", token.name)}</h2>
                <p>"Label software that uses this token stops working at once. This cannot be undone: it would need a new token."</p>
                <div class="actions">
                    <ActionForm action=revoke attr:class="inline">
                        <input type="hidden" name="token_id" value=token.id.to_string() />
                        <button type="submit" class="danger">
                            {format!("Revoke “{}”", token.name)}
                        </button>
                    </ActionForm>
                    <a class="button" href="/tokens">
                        "Keep it"
                    </a>
                </div>
            </section>
        })
    }
}

#[component]
fn TokenTable(list: Vec<ApiTokenDto>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p>"No API token yet."</p> }.into_any();
    }
    view! {
        <table aria-label="API tokens" class="cards">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Token"</th>
                    <th scope="col">"Belongs to"</th>
                    <th scope="col">"Created"</th>
                    <th scope="col">"Last used"</th>
                    <th scope="col">"State"</th>
                    <th scope="col">"Actions"</th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|token| {
                        let state = match token.revoked_at {
                            Some(at) => format!("Revoked {}", format_utc(at)),
                            None => "Live".to_owned(),
                        };
                        let revoke = token.revoked_at.is_none().then(|| {
                            let label = format!("Revoke {}", token.name);
                            view! {
                                <a class="button" href=format!("?revoke={}", token.id) aria-label=label>
                                    "Revoke"
                                </a>
                            }
                        });
                        view! {
                            <tr>
                                <td data-label="Name">{token.name.clone()}</td>
                                <td data-label="Token">
                                    "starts with " <code class="token">{token.prefix.clone()}</code>
                                </td>
                                <td data-label="Belongs to">{token.created_by.clone()}</td>
                                <td data-label="Created">{format_utc(token.created_at)}</td>
                                <td data-label="Last used">
                                    {token.last_used_at.map_or("Never".to_owned(), format_utc)}
                                    {(token.requests_last_day > 0)
                                        .then(|| format!(" ({} reads in the last 24 hours)", thousands(token.requests_last_day)))}
                                </td>
                                <td data-label="State">{state}</td>
                                <td class="actions" data-label="Actions">{revoke}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn CreateTokenForm(create: ServerAction<CreateApiToken>) -> impl IntoView {
    let from_query = query_error();
    let errors = FormError::new(move || create.value().get().and_then(Result::err).or_else(from_query), &["name"]);
    let created = move || {
        create.value().get().and_then(Result::ok).map(|created| {
            let copied = RwSignal::new(false);
            let secret = created.secret.clone();
            let copy = move |_| {
                #[cfg(feature = "hydrate")]
                {
                    if let Some(window) = web_sys::window() {
                        let _ = window.navigator().clipboard().write_text(&secret);
                        copied.set(true);
                    }
                }
                #[cfg(not(feature = "hydrate"))]
                let _ = &secret;
            };
            view! {
                <div role="status" class="created-token">
                    <p>
                        <strong>{format!("Created “{}”.", created.token.name)}</strong>
                        " Copy the token now: storelink keeps only its fingerprint and will not show it again."
                    </p>
                    <label for="new-token">"New API token"</label>
                    <div class="copy">
                        <input id="new-token" class="secret" readonly value=created.secret />
                        <button type="button" on:click=copy>
                            {move || if copied.get() { "Copied" } else { "Copy" }}
                        </button>
                    </div>
                </div>
            }
        })
    };
    view! {
        <section class="card">
            <h2>"Create a token"</h2>
            {created}
            <ActionForm action=create>
                <label for="token-name">"Name"</label>
                <input id="token-name" name="name" required maxlength=MAX_NAME.to_string() placeholder="Label printer" />
                {errors.beside("name")}
                {errors.general()}
                <button type="submit" class="primary">"Create token"</button>
            </ActionForm>
        </section>
    }
}
