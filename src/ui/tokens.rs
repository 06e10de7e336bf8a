//! API tokens (administrators): the desk's label software calls storelink's API with one. A new
//! token is shown once, right after it is created; the list shows each token's first
//! characters, who created it, its last use, and Revoke.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{
    error_view,
    form_error::FormError,
    format::{format_utc, thousands},
    query_error,
};
use crate::{
    api::tokens::{list_api_tokens, CreateApiToken, RevokeApiToken},
    api_tokens::{ApiTokenDto, MAX_NAME},
};

#[component]
pub fn TokensPage() -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let tokens = Resource::new(move || (create.version().get(), revoke.version().get()), |_| list_api_tokens());
    let revoke_error = move || {
        revoke
            .value()
            .get()
            .and_then(Result::err)
            .map(|err| view! { <p class="error" role="alert">{err.to_string()}</p> })
    };
    view! {
        <Title text="API tokens · storelink" />
        <h1>"API tokens"</h1>
        <p class="note">
            "Label software calls storelink's API with a token: "
            <code>"Authorization: Bearer TOKEN"</code>
            ". The API is described at "
            <a href="/api/v1/openapi.json">"/api/v1/openapi.json"</a>
            "."
        </p>
        <Suspense fallback=|| view! { <p>"Loading the tokens…"</p> }>
            {move || Suspend::new(async move {
                match tokens.await {
                    Ok(list) => view! { {revoke_error} <TokenTable list revoke /> }.into_any(),
                    Err(err) => error_view(err),
                }
            })}
        </Suspense>
        <CreateTokenForm create />
    }
}

#[component]
fn TokenTable(list: Vec<ApiTokenDto>, revoke: ServerAction<RevokeApiToken>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p>"No API token yet."</p> }.into_any();
    }
    view! {
        <div class="scroll">
            <table aria-label="API tokens">
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
                            let label = format!("Revoke {}", token.name);
                            let state = match token.revoked_at {
                                Some(at) => format!("Revoked {}", format_utc(at)),
                                None => "Live".to_owned(),
                            };
                            view! {
                                <tr>
                                    <td>{token.name.clone()}</td>
                                    <td>
                                        <code>{format!("{}…", token.prefix)}</code>
                                    </td>
                                    <td>{token.created_by.clone()}</td>
                                    <td>{format_utc(token.created_at)}</td>
                                    <td>
                                        {token.last_used_at.map_or("Never".to_owned(), format_utc)}
                                        {(token.requests_last_day > 0)
                                            .then(|| format!(" ({} reads in the last 24 hours)", thousands(token.requests_last_day)))}
                                    </td>
                                    <td>{state}</td>
                                    <td class="actions">
                                        {token
                                            .revoked_at
                                            .is_none()
                                            .then(|| {
                                                view! {
                                                    <ActionForm action=revoke attr:class="inline">
                                                        <input type="hidden" name="token_id" value=token.id.to_string() />
                                                        <button type="submit" aria-label=label>
                                                            "Revoke"
                                                        </button>
                                                    </ActionForm>
                                                }
                                            })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn CreateTokenForm(create: ServerAction<CreateApiToken>) -> impl IntoView {
    let from_query = query_error();
    let errors = FormError::new(move || create.value().get().and_then(Result::err).or_else(from_query), &["name"]);
    let created = move || {
        create.value().get().and_then(Result::ok).map(|created| {
            view! {
                <div role="status" class="created-token">
                    <p>{format!("Created “{}”. Copy the token now: storelink shows it only this once.", created.token.name)}</p>
                    <label for="new-token">"New API token"</label>
                    <input id="new-token" readonly value=created.secret />
                </div>
            }
        })
    };
    view! {
        <section class="card">
            <h2>"Create a token"</h2>
            <ActionForm action=create>
                <label for="token-name">"Name"</label>
                <input id="token-name" name="name" required maxlength=MAX_NAME.to_string() placeholder="Label printer" />
                {errors.beside("name")}
                {errors.general()}
                <button type="submit" class="primary">"Create token"</button>
            </ActionForm>
            {created}
        </section>
    }
}
