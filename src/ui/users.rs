use leptos::prelude::*;
use leptos_meta::Title;

use super::form_error::FormError;
use crate::{
    api::users::{list_users, ChangeRole, CreateUser, DeactivateUser},
    error::AppError,
    users::{Role, UserDto, MIN_PASSWORD_CHARS},
};

#[component]
pub fn UsersPage() -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    let change = ServerAction::<ChangeRole>::new();
    let deactivate = ServerAction::<DeactivateUser>::new();
    let users = Resource::new(
        move || (create.version().get(), change.version().get(), deactivate.version().get()),
        |_| list_users(),
    );
    // Without JavaScript, a failed form comes back with its error in the query string.
    let from_query = super::query_error();
    let row_error = move || {
        [change.value().get(), deactivate.value().get()]
            .into_iter()
            .flatten()
            .find_map(Result::err)
            .or_else(|| from_query().filter(|err| !matches!(err, AppError::Invalid { .. })))
            .map(|err| view! { <p class="error" role="alert">{err.to_string()}</p> })
    };
    view! {
        <Title text="Users · storelink" />
        <h1>"Users"</h1>
        <Suspense fallback=|| view! { <p>"Loading users…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(list) => {
                        view! {
                            {row_error}
                            <UserTable list change deactivate />
                            <CreateUserForm create />
                        }
                            .into_any()
                    }
                    Err(err) => super::admin_page_error(err, "manage users"),
                }
            })}
        </Suspense>
    }
}

#[component]
fn UserTable(
    list: Vec<UserDto>,
    change: ServerAction<ChangeRole>,
    deactivate: ServerAction<DeactivateUser>,
) -> impl IntoView {
    view! {
        <table class="cards" aria-label="Users">
            <thead>
                <tr>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Role"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Stores"</th>
                    <th scope="col">"Actions"</th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|user| {
                        let other = if user.role == Role::Admin { Role::Standard } else { Role::Admin };
                        let make_label = format!("Make {} {}", user.email, other.label());
                        let deactivate_label = format!("Deactivate {}", user.email);
                        view! {
                            <tr>
                                <td data-label="Email" class="email">{user.email.clone()}</td>
                                <td data-label="Role">{user.role.label()}</td>
                                <td data-label="Status">{if user.active { "Active" } else { "Deactivated" }}</td>
                                <td data-label="Stores">
                                    {match (user.is_admin(), user.all_stores) {
                                        (true, _) => "All".into_any(),
                                        (false, all) => {
                                            let label = format!("Choose the stores {} sees", user.email);
                                            view! {
                                                {if all { "All" } else { "Chosen" }}
                                                " · "
                                                <a href=format!("/users/{}/stores", user.id) aria-label=label>"Choose"</a>
                                            }
                                                .into_any()
                                        }
                                    }}
                                </td>
                                <td class="actions" data-label="Actions">
                                    <ActionForm action=change attr:class="inline">
                                        <input type="hidden" name="user_id" value=user.id.to_string() />
                                        <input type="hidden" name="role" value=other.as_str() />
                                        <button type="submit" aria-label=make_label>
                                            {format!("Make {}", other.label())}
                                        </button>
                                    </ActionForm>
                                    {user
                                        .active
                                        .then(|| {
                                            view! {
                                                <ActionForm action=deactivate attr:class="inline">
                                                    <input type="hidden" name="user_id" value=user.id.to_string() />
                                                    <button type="submit" aria-label=deactivate_label>
                                                        "Deactivate"
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
    }
}

#[component]
fn CreateUserForm(create: ServerAction<CreateUser>) -> impl IntoView {
    // The page shows the other errors a post without JavaScript came back with, above the table.
    let from_query = super::query_error();
    let errors = FormError::new(
        move || {
            create
                .value()
                .get()
                .and_then(Result::err)
                .or_else(|| from_query().filter(|err| matches!(err, AppError::Invalid { .. })))
        },
        &["email", "role", "password"],
    );
    let created = move || {
        create
            .value()
            .get()
            .and_then(Result::ok)
            .map(|user| view! { <p role="status">{format!("Created {}.", user.email)}</p> })
    };
    // A user created, the form is cleared for the next one.
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if matches!(create.value().get(), Some(Ok(_))) {
            if let Some(form) = form.get() {
                form.reset();
            }
        }
    });
    view! {
        <section class="card">
            <h2>"Create a user"</h2>
            <ActionForm action=create node_ref=form>
                <label for="new-email">"Email"</label>
                <input id="new-email" name="email" type="email" required />
                {errors.beside("email")}
                <label for="new-role">"Role"</label>
                <select id="new-role" name="role">
                    <option value="standard">"Standard user"</option>
                    <option value="admin">"Administrator"</option>
                </select>
                {errors.beside("role")}
                <label for="new-password">"Initial password"</label>
                <input id="new-password" name="password" type="password" autocomplete="new-password" required minlength=MIN_PASSWORD_CHARS />
                {errors.beside("password")}
                {errors.general()}
                {created}
                <button type="submit" class="primary">
                    "Create user"
                </button>
            </ActionForm>
        </section>
    }
}
