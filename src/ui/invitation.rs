//! Where an invitation link leads: the organization and the address it is for, and a password
//! to choose; accepting signs the new user in.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::form_error::FormError;
use crate::{
    api::users::{invitation, AcceptInvitation},
    users::MIN_PASSWORD_CHARS,
};

#[component]
pub fn InvitationPage() -> impl IntoView {
    let query = use_query_map();
    let token = Memo::new(move |_| query.read().get("token").unwrap_or_default());
    let found = Resource::new(move || token.get(), invitation);
    let accept = ServerAction::<AcceptInvitation>::new();
    let from_query = super::query_error();
    let errors = FormError::new(move || accept.value().get().and_then(Result::err).or_else(from_query), &["password"]);
    view! {
        <Title text="Invitation · storelink" />
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match found.await {
                    Ok(invited) => {
                        view! {
                            <section class="card narrow">
                                <h1>{format!("Join {}", invited.organization)}</h1>
                                <p>
                                    {format!(
                                        "You are invited to storelink as {} of {}, signing in as {}.",
                                        invited.role.label().to_lowercase(),
                                        invited.organization,
                                        invited.email,
                                    )}
                                </p>
                                <ActionForm action=accept>
                                    <input type="hidden" name="token" value=token.get_untracked() />
                                    <label for="invited-password">"Choose a password"</label>
                                    <input id="invited-password" name="password" type="password" autocomplete="new-password" required minlength=MIN_PASSWORD_CHARS aria-invalid=errors.invalid("password") />
                                    {errors.beside("password")}
                                    {errors.general()}
                                    <button type="submit" class="primary">
                                        "Join and sign in"
                                    </button>
                                </ActionForm>
                            </section>
                        }
                            .into_any()
                    }
                    Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}
