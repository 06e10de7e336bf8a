use leptos::prelude::*;
use leptos_meta::Title;

use super::{error_view, format_utc};
use crate::api::audit::list_audit;

#[component]
pub fn AuditPage() -> impl IntoView {
    let entries = Resource::new(|| (), |_| list_audit());
    view! {
        <Title text="Audit · storelink" />
        <h1>"Audit"</h1>
        <Suspense fallback=|| view! { <p>"Loading the audit log…"</p> }>
            {move || Suspend::new(async move {
                match entries.await {
                    Ok(entries) if entries.is_empty() => view! { <p class="empty">"Nothing has happened to any store yet."</p> }.into_any(),
                    Ok(entries) => {
                        view! {
                            <table>
                                <thead>
                                    <tr>
                                        <th scope="col">"When"</th>
                                        <th scope="col">"Who"</th>
                                        <th scope="col">"What"</th>
                                        <th scope="col">"Store"</th>
                                        <th scope="col">"Details"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {entries
                                        .into_iter()
                                        .map(|e| {
                                            view! {
                                                <tr>
                                                    <td>{format_utc(e.at)}</td>
                                                    <td>{e.user_email}</td>
                                                    <td>{e.action}</td>
                                                    <td>{e.store_name}</td>
                                                    <td>{e.detail}</td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                        }
                            .into_any()
                    }
                    Err(err) => error_view(err),
                }
            })}
        </Suspense>
    }
}
