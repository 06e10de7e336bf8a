//! The manual clock: moved only through the control endpoint, and read by everything timed.

use serde_json::json;

use crate::helpers::*;

const DAY_MS: u64 = 86_400_000;

#[tokio::test]
async fn a_manual_clock_moves_only_when_advanced_and_a_real_one_cannot_be_moved() {
    let emu = start_manual(vec![shop("acme")]).await;
    let before = emu.control_get("/clock").await;
    assert_eq!(before["clock"], "manual");
    assert_eq!(before["elapsed_ms"], 0);
    let moved = emu.control("/clock/advance", json!({"ms": 1_500})).await;
    assert_eq!(moved.status, 200);
    assert_eq!(moved.body["elapsed_ms"], 1_500);
    assert_eq!(moved.body["unix_now"].as_i64().unwrap(), before["unix_now"].as_i64().unwrap() + 1);

    let real = start(vec![shop("acme")]).await;
    assert_eq!(real.control_get("/clock").await["clock"], "real");
    let refused = real.control("/clock/advance", json!({"ms": 1_000})).await;
    assert_eq!(refused.status, 409);
    assert_eq!(
        refused.body,
        json!({"error": "the clock is real; start the emulator with \"clock\": \"manual\" to advance it"})
    );
}

#[tokio::test]
async fn the_60_day_order_window_and_new_orders_follow_the_manual_clock() {
    let mut recent = shop("recent");
    recent["scopes"] = json!(["read_orders"]);
    let emu = start_manual(vec![recent]).await;
    let visible = || count(&emu, "recent", "/admin/api/2026-07/orders/count.json?status=any");
    let at_start = visible().await;
    emu.advance(30 * DAY_MS).await;
    let a_month_later = visible().await;
    assert!(0 < a_month_later && a_month_later < at_start, "{a_month_later} of {at_start}");
    // The youngest seeded order was an hour old at the start: 61 days on, none is visible.
    emu.advance(31 * DAY_MS).await;
    assert_eq!(visible().await, 0);

    let created = emu.control("/shops/recent/orders", json!({})).await;
    assert_eq!(created.status, 201);
    let now = emu.control_get("/clock").await["unix_now"].as_i64().unwrap();
    let created_at = created.body["order"]["created_at"].as_str().unwrap();
    let created_at = time::OffsetDateTime::parse(created_at, &time::format_description::well_known::Rfc3339).unwrap();
    assert_eq!(created_at.unix_timestamp(), now);
    assert_eq!(visible().await, 1);
}
