use super::query_error;
use crate::api::auth::Login;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SignInPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let from_query = query_error();
    // With JavaScript the action carries the error; without it, the server sends the browser
    // back here with the error in the query string.
    let message = move || match login.value().get() {
        Some(Err(err)) => Some(err.to_string()),
        _ => from_query().map(|err| err.to_string()),
    };
    view! {
        <Title text="Sign in · storelink" />
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <ActionForm action=login>
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required />
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required />
                {move || message().map(|text| view! { <p class="error" role="alert">{text}</p> })}
                <button type="submit" class="primary">
                    "Sign in"
                </button>
            </ActionForm>
        </section>
    }
}
