//! The Operator page: the provider's staff sign in with an operator account and see every
//! organization (stores, users, last sync), create one, and on an organization's own page turn
//! e-commerce on or off, rename it, set its limits, invite its first administrator and remove
//! it (typing its name to confirm).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::{form_error::FormError, format::format_utc};
use crate::{
    api::operator::{
        list_organizations, CreateOrganization, InviteAdministrator, OperatorLogin, OperatorLogout, RemoveOrganization,
        RenameOrganization, SetEcommerce, SetLimits,
    },
    error::AppError,
    organizations::{Limits, Organization, MAX_NAME},
};

/// A count, with its limit when there is one.
fn of(count: i64, max: Option<i64>) -> String {
    max.map_or_else(|| count.to_string(), |max| format!("{count} of {max}"))
}

fn last_sync(at: Option<i64>) -> String {
    at.map_or_else(|| "Never".to_owned(), format_utc)
}

/// An action's error, or its success in words.
fn outcome<T: Clone + Send + Sync + 'static>(
    value: MappedSignal<Option<Result<T, AppError>>>,
    done: impl Fn(T) -> String + Send + Sync + 'static,
) -> impl IntoView {
    move || match value.get() {
        Some(Ok(result)) => Some(view! { <p role="status">{done(result)}</p> }.into_any()),
        Some(Err(err)) => Some(view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any()),
        None => None,
    }
}

#[component]
pub fn OperatorPage() -> impl IntoView {
    let create = ServerAction::<CreateOrganization>::new();
    // Signing in and out come back to this same address: the list is read again after them.
    let login = ServerAction::<OperatorLogin>::new();
    let logout = ServerAction::<OperatorLogout>::new();
    let data = Resource::new(
        move || (create.version().get(), login.version().get(), logout.version().get()),
        |_| list_organizations(),
    );
    view! {
        <Title text="Operator · storelink" />
        <Suspense fallback=|| view! { <p>"Loading the organizations…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(data) => {
                        view! {
                            <h1>"Organizations"</h1>
                            <SignedInAs email=data.operator.email logout />
                            <OrganizationTable list=data.organizations />
                            <CreateOrganizationForm create />
                        }
                            .into_any()
                    }
                    Err(AppError::Unauthorized) => view! { <OperatorSignIn login /> }.into_any(),
                    Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn OperatorSignIn(login: ServerAction<OperatorLogin>) -> impl IntoView {
    let from_query = super::query_error();
    let message = move || match login.value().get() {
        Some(Err(err)) => Some(err.to_string()),
        _ => from_query().map(|err| err.to_string()),
    };
    view! {
        <section class="card narrow">
            <h1>"Operator sign in"</h1>
            <p class="note">"For the staff who set up organizations. An organization's users sign in at " <a href="/login">"the sign-in page"</a> "."</p>
            <ActionForm action=login>
                <label for="operator-email">"Email"</label>
                <input id="operator-email" name="email" type="email" autocomplete="username" required />
                <label for="operator-password">"Password"</label>
                <input id="operator-password" name="password" type="password" autocomplete="current-password" required />
                {move || message().map(|text| view! { <p class="error" role="alert">{text}</p> })}
                <button type="submit" class="primary">
                    "Sign in"
                </button>
            </ActionForm>
        </section>
    }
}

#[component]
fn SignedInAs(email: String, logout: ServerAction<OperatorLogout>) -> impl IntoView {
    view! {
        // A form cannot sit in a paragraph: the browser would close it first, and the page
        // would not hydrate.
        <div class="note">
            {format!("Signed in as {email} (operator). ")}
            <ActionForm action=logout attr:class="inline">
                <button type="submit">"Sign out"</button>
            </ActionForm>
        </div>
    }
}

#[component]
fn OrganizationTable(list: Vec<Organization>) -> impl IntoView {
    view! {
        <table class="cards" aria-label="Organizations">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"E-commerce"</th>
                    <th scope="col">"Stores"</th>
                    <th scope="col">"Users"</th>
                    <th scope="col">"Last sync"</th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|org| {
                        view! {
                            <tr>
                                <td data-label="Name">
                                    <a href=format!("/operator/organizations/{}", org.id)>{org.name.clone()}</a>
                                </td>
                                <td data-label="E-commerce">{if org.enabled { "On" } else { "Off" }}</td>
                                <td data-label="Stores">{of(org.stores, org.limits.max_stores)}</td>
                                <td data-label="Users">{of(org.users, org.limits.max_users)}</td>
                                <td data-label="Last sync">{last_sync(org.last_synced_at)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn CreateOrganizationForm(create: ServerAction<CreateOrganization>) -> impl IntoView {
    let errors = FormError::new(move || create.value().get().and_then(Result::err), &["name"]);
    let created = move || {
        create.value().get().and_then(Result::ok).map(|name| {
            view! { <p role="status">{format!("Created {name}. Open it to invite its first administrator.")}</p> }
        })
    };
    view! {
        <section class="card">
            <h2>"Create an organization"</h2>
            <ActionForm action=create>
                <label for="org-name">"Name"</label>
                <input id="org-name" name="name" required maxlength=MAX_NAME aria-invalid=errors.invalid("name") />
                {errors.beside("name")}
                <label class="check">
                    <input type="checkbox" name="ecommerce" value="on" checked />
                    "E-commerce on"
                </label>
                {errors.general()}
                {created}
                <button type="submit" class="primary">
                    "Create organization"
                </button>
            </ActionForm>
        </section>
    }
}

/// One organization's page: its figures, then what the operator can do to it.
#[component]
pub fn OrganizationPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|id| id.parse::<i64>().ok()).unwrap_or_default());
    let rename = ServerAction::<RenameOrganization>::new();
    let ecommerce = ServerAction::<SetEcommerce>::new();
    let limits = ServerAction::<SetLimits>::new();
    let invite = ServerAction::<InviteAdministrator>::new();
    let remove = ServerAction::<RemoveOrganization>::new();
    let login = ServerAction::<OperatorLogin>::new();
    let data = Resource::new(
        move || (rename.version().get(), ecommerce.version().get(), limits.version().get(), login.version().get()),
        |_| list_organizations(),
    );
    view! {
        <Title text="Organization · storelink" />
        <p>
            <a href="/operator">"All organizations"</a>
        </p>
        <Transition fallback=|| view! { <p>"Loading the organization…"</p> }>
            {move || Suspend::new(async move {
                let found = data.await.map(|data| data.organizations.into_iter().find(|org| org.id.0 == id.get()));
                match found {
                    Ok(Some(org)) => {
                        view! {
                            <h1>{org.name.clone()}</h1>
                            <dl class="facts">
                                <dt>"E-commerce"</dt>
                                <dd>{if org.enabled { "On" } else { "Off: its users are told it is not set up" }}</dd>
                                <dt>"Stores"</dt>
                                <dd>{of(org.stores, org.limits.max_stores)}</dd>
                                <dt>"Users"</dt>
                                <dd>{of(org.users, org.limits.max_users)}</dd>
                                <dt>"Last sync"</dt>
                                <dd>{last_sync(org.last_synced_at)}</dd>
                            </dl>
                            <EcommerceForm org=org.clone() ecommerce />
                            <InviteForm name=org.name.clone() invite />
                            <RenameForm name=org.name.clone() rename />
                            <LimitsForm name=org.name.clone() limits=org.limits limits_action=limits />
                            <RemoveForm name=org.name remove />
                        }
                            .into_any()
                    }
                    Ok(None) => {
                        view! { <p class="error" role="alert">"That organization does not exist."</p> }.into_any()
                    }
                    Err(AppError::Unauthorized) => view! { <OperatorSignIn login /> }.into_any(),
                    Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn EcommerceForm(org: Organization, ecommerce: ServerAction<SetEcommerce>) -> impl IntoView {
    let (label, explanation) = if org.enabled {
        (
            format!("Turn e-commerce off for {}", org.name),
            "Its users can still sign in, but see that e-commerce is not set up; its syncs stop and nothing of it is sent. Its data stays.",
        )
    } else {
        (format!("Turn e-commerce on for {}", org.name), "Its users work with their stores again, and they sync.")
    };
    view! {
        <section class="card">
            <h2>"E-commerce"</h2>
            <p>{explanation}</p>
            <ActionForm action=ecommerce attr:class="inline">
                <input type="hidden" name="name" value=org.name.clone() />
                <input type="hidden" name="enabled" value=(!org.enabled).to_string() />
                <button type="submit">{label}</button>
            </ActionForm>
            {outcome(ecommerce.value(), |_| "Saved.".to_owned())}
        </section>
    }
}

#[component]
fn InviteForm(name: String, invite: ServerAction<InviteAdministrator>) -> impl IntoView {
    let errors = FormError::new(move || invite.value().get().and_then(Result::err), &["email"]);
    let invited = move || {
        invite.value().get().and_then(Result::ok).map(|invited| {
            view! {
                <div role="status">
                    <p>{format!("Send this link to {}. It works once, within 7 days:", invited.email)}</p>
                    <label for="invitation-link">{format!("Invitation link for {}", invited.email)}</label>
                    <input id="invitation-link" readonly value=invited.link />
                </div>
            }
        })
    };
    view! {
        <section class="card">
            <h2>"Invite an administrator"</h2>
            <p>"They open the link, choose a password and are signed in as an administrator of this organization; then they add its stores and users."</p>
            <ActionForm action=invite>
                <input type="hidden" name="name" value=name />
                <label for="invite-email">"Administrator's email"</label>
                <input id="invite-email" name="email" type="email" required aria-invalid=errors.invalid("email") />
                {errors.beside("email")}
                {errors.general()}
                <button type="submit" class="primary">
                    "Create invitation link"
                </button>
            </ActionForm>
            {invited}
        </section>
    }
}

#[component]
fn RenameForm(name: String, rename: ServerAction<RenameOrganization>) -> impl IntoView {
    let errors = FormError::new(move || rename.value().get().and_then(Result::err), &["name"]);
    let renamed = move || rename.value().get().and_then(Result::ok).map(|_| view! { <p role="status">"Renamed."</p> });
    view! {
        <section class="card">
            <h2>"Rename"</h2>
            <ActionForm action=rename>
                <input type="hidden" name="name" value=name.clone() />
                <label for="new-name">"New name"</label>
                <input id="new-name" name="new_name" required maxlength=MAX_NAME value=name aria-invalid=errors.invalid("name") />
                {errors.beside("name")}
                {errors.general()}
                {renamed}
                <button type="submit">"Rename"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn LimitsForm(name: String, limits: Limits, limits_action: ServerAction<SetLimits>) -> impl IntoView {
    let errors = FormError::new(move || limits_action.value().get().and_then(Result::err), &["limit"]);
    let saved = move || {
        limits_action.value().get().and_then(Result::ok).map(|_| view! { <p role="status">"Limits saved."</p> })
    };
    let value = |max: Option<i64>| max.map(|n| n.to_string()).unwrap_or_default();
    view! {
        <section class="card">
            <h2>"Limits"</h2>
            <p class="note">"What the organization may have at most. Leave a field empty for no limit."</p>
            <ActionForm action=limits_action>
                <input type="hidden" name="name" value=name />
                <label for="limit-stores">"Stores"</label>
                <input id="limit-stores" name="stores" type="number" min="0" value=value(limits.max_stores) />
                <label for="limit-users">"Active users"</label>
                <input id="limit-users" name="users" type="number" min="0" value=value(limits.max_users) />
                <label for="limit-tokens">"Live API tokens"</label>
                <input id="limit-tokens" name="tokens" type="number" min="0" value=value(limits.max_api_tokens) />
                <label for="limit-sync-jobs">"Sync jobs at once"</label>
                <input id="limit-sync-jobs" name="sync_jobs" type="number" min="0" value=value(limits.max_sync_jobs) />
                {errors.beside("limit")}
                {errors.general()}
                {saved}
                <button type="submit">"Save limits"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn RemoveForm(name: String, remove: ServerAction<RemoveOrganization>) -> impl IntoView {
    let errors = FormError::new(move || remove.value().get().and_then(Result::err), &["confirm"]);
    view! {
        <section class="card">
            <h2>{format!("Remove {name}")}</h2>
            <p>"This deletes the organization and everything of it: its stores and all that was synced from them, its users, API tokens and audit log. It cannot be undone."</p>
            <ActionForm action=remove>
                <input type="hidden" name="name" value=name.clone() />
                <label for="remove-confirm">{format!("Type {name} to confirm")}</label>
                <input id="remove-confirm" name="confirm" required autocomplete="off" aria-invalid=errors.invalid("confirm") />
                {errors.beside("confirm")}
                {errors.general()}
                <button type="submit" class="danger">
                    {format!("Remove {name}")}
                </button>
            </ActionForm>
        </section>
    }
}
