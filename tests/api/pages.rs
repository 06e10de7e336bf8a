use reqwest::{header, StatusCode};

use crate::helpers::*;

#[tokio::test]
async fn anonymous_visitors_are_sent_to_sign_in() {
    let app = spawn_app().await;
    for path in ["/", "/users"] {
        let response = app.client().get(app.url(path)).header(header::ACCEPT, "text/html").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FOUND, "{path}");
        assert_eq!(response.headers()[header::LOCATION], "/login", "{path}");
    }
    let login = app.get(&app.client(), "/login").await;
    assert_eq!(login.status(), StatusCode::OK);
    let html = login.text().await.unwrap();
    assert!(html.contains(r#"<label for="email">Email</label>"#), "{html}");
    assert!(html.contains(r#"<label for="password">Password</label>"#));
}

#[tokio::test]
async fn administrators_see_add_store_and_standard_users_see_the_explanation() {
    let app = spawn_app().await;
    let admin_html = app.get(&app.signed_in(ADMIN_EMAIL).await, "/").await.text().await.unwrap();
    assert!(admin_html.contains("ADD STORE"));
    assert!(admin_html.contains("Choose ADD STORE to connect your first Shopify store."));
    assert!(
        !admin_html.contains("Only administrators can add, disconnect or remove stores; everyone records shipments.")
    );

    let standard_html = app.get(&app.signed_in(STANDARD_EMAIL).await, "/").await.text().await.unwrap();
    assert!(!standard_html.contains("ADD STORE"));
    assert!(
        standard_html.contains("Only administrators can add, disconnect or remove stores; everyone records shipments.")
    );
    assert!(standard_html.contains("Ask an administrator to add one."));
}

#[tokio::test]
async fn stores_in_the_database_are_listed_with_their_counts() {
    let app = spawn_app().await;
    storelink::db_run!(&app.pool, c => sqlx::query(
        "INSERT INTO stores (platform, name, shop_domain, state, last_synced_at, orders_count, products_count,
                             customers_count, locations_count, created_at, organization_id)
         VALUES ('shopify', 'Acme Outfitters', 'acme.myshopify.com', 'connected', 1795757460, 1234, 56, 789, 3, 0, 1)",
    )
    .execute(&mut *c).await.map(|done| done.rows_affected()))
    .unwrap();
    let html = app.get(&app.signed_in(STANDARD_EMAIL).await, "/").await.text().await.unwrap();
    for text in [
        "Acme Outfitters",
        "acme.myshopify.com",
        ">Shopify<",
        ">Connected",
        r#"<td data-label="Orders" class="num">1,234</td>"#,
        r#"<td data-label="Products" class="num">56</td>"#,
        r#"<td data-label="Customers" class="num">789</td>"#,
        r#"<td data-label="Locations" class="num">3</td>"#,
        "2026-11-27 05:31 UTC",
        "0 orders in the last 30 days",
    ] {
        assert!(html.contains(text), "missing {text}: {html}");
    }
}

#[tokio::test]
async fn the_users_page_is_refused_to_standard_users() {
    let app = spawn_app().await;
    let response = app.get(&app.signed_in(STANDARD_EMAIL).await, "/users").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("Only administrators can manage users."));

    let admin = app.get(&app.signed_in(ADMIN_EMAIL).await, "/users").await;
    assert_eq!(admin.status(), StatusCode::OK);
    let html = admin.text().await.unwrap();
    assert!(html.contains(STANDARD_EMAIL) && html.contains("Create user"));
}

/// Building a server collects the pages' routes by rendering the app with resource loading
/// switched off process-wide (leptos_server's `SuppressResourceLoad`); a page another server
/// rendered at that moment never finished. Routes are now collected once per process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_finish_rendering_while_other_servers_start() {
    let app = spawn_app().await;
    let client = app.signed_in(STANDARD_EMAIL).await;
    let done = std::sync::atomic::AtomicBool::new(false);
    let building = async {
        for _ in 0..15 {
            drop(spawn_app().await);
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
    };
    let loading = async {
        let mut pages = 0;
        while !done.load(std::sync::atomic::Ordering::Relaxed) || pages < 20 {
            let page = tokio::time::timeout(std::time::Duration::from_secs(10), async {
                app.get(&client, "/").await.text().await.unwrap()
            })
            .await
            .unwrap_or_else(|_| panic!("page {pages} never finished rendering"));
            assert!(
                page.contains("Only administrators can add, disconnect or remove stores; everyone records shipments."),
                "page {pages}: {page}"
            );
            pages += 1;
        }
        pages
    };
    let ((), pages) = tokio::join!(building, loading);
    assert!(pages >= 20);
}
