//! The REST API behind WordPress's front door: authentication and the key's permission gate
//! for WooCommerce's namespaces, then the route (an unknown one, or a known one with another
//! method, is `rest_no_route`), the body, each route's parameter checks, its capability check
//! (401 unauthenticated, 403 for a user without shop capabilities), and the route itself.

use std::sync::Arc;

use axum::http::{header, HeaderMap, StatusCode};
use serde_json::{json, Map, Value};

use super::{
    auth::{self, KeyUser},
    data::{Order, ORDER_STATUSES},
    listing::{self, Fields, Invalid, Listing, Params, Row, Spec},
    render, tracking,
    webhooks::{self, Webhook},
    Incoming, Reply, Site, WpError, WC_VERSION, WP_VERSION,
};
use crate::EmulatorState;

/// A request that reached a route.
pub struct Call<'a> {
    pub emu: &'a Arc<EmulatorState>,
    pub site: &'a Arc<Site>,
    pub params: Params,
    body: BodyParams,
    user: Option<KeyUser>,
    /// Unix seconds on the emulator's clock.
    pub now: i64,
}

enum BodyParams {
    None,
    Json(Map<String, Value>),
    Form(Vec<(String, String)>),
}

/// What a route requires of the user, with the words WooCommerce refuses it in.
#[derive(Clone, Copy)]
pub enum Need {
    List,
    View,
    Create,
    Edit,
    Delete,
}

impl Call<'_> {
    /// A parameter as WordPress merges them: the JSON body, then a form body, then the query.
    pub fn param(&self, name: &str) -> Option<Value> {
        let from_body = match &self.body {
            BodyParams::Json(map) => map.get(name).cloned(),
            BodyParams::Form(pairs) => {
                pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| Value::String(v.clone()))
            }
            BodyParams::None => None,
        };
        from_body.or_else(|| self.params.get(name).map(|v| Value::String(v.to_owned())))
    }

    fn flag(&self, name: &str, invalid: &mut Invalid) -> Option<bool> {
        match self.param(name)? {
            Value::Bool(b) => Some(b),
            Value::Number(n) => Some(n.as_i64() != Some(0)),
            Value::String(s) if listing::boolean_text(&s).is_some() => listing::boolean_text(&s),
            _ => {
                invalid.add(name, "rest_invalid_type", format!("{name} is not of type boolean."));
                None
            }
        }
    }

    fn text(&self, name: &str) -> Option<String> {
        match self.param(name)? {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// The route's capability check: only administrators and shop managers pass.
    pub fn permit(&self, need: Need) -> Result<(), WpError> {
        if self.user.is_some_and(|user| user.manager) {
            return Ok(());
        }
        let (code, message) = match need {
            Need::List => ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
            Need::View => ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
            Need::Create => ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
            Need::Edit => ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."),
            Need::Delete => ("woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource."),
        };
        // `rest_authorization_required_code`: 403 for a logged-in user, 401 for nobody.
        let status = if self.user.is_some() { 403 } else { 401 };
        Err(WpError::new(status, code, message))
    }

    fn fields(&self) -> Option<Fields> {
        Fields::parse(&self.params)
    }

    /// One object, trimmed by `_fields`.
    fn one(&self, status: StatusCode, value: Value) -> Reply {
        let value = match self.fields() {
            Some(fields) => fields.apply(value),
            None => value,
        };
        Reply::json(status, &value)
    }
}

enum Route<'r> {
    Index,
    Namespace(&'static str),
    SystemStatus,
    SettingGroup(&'r str),
    Setting(&'r str, &'r str),
    Orders,
    Order(u64),
    Notes(u64),
    Note(u64, u64),
    Products,
    Product(u64),
    Variations(u64),
    Variation(u64, u64),
    Customers,
    Customer(u64),
    Webhooks,
    Webhook(u64),
    Trackings(u64),
    Tracking(u64, &'r str),
    Providers,
}

const GET: &[&str] = &["GET"];
const GET_POST: &[&str] = &["GET", "POST"];
const GET_DELETE: &[&str] = &["GET", "DELETE"];
const ITEM: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

const WC: &str = "wc/v3";
const TRACKING: &str = "wc-shipment-tracking/v3";

/// The route a path names on this site, with the methods it takes.
fn resolve<'r>(site: &Site, segments: &[&'r str]) -> Option<(Route<'r>, &'static [&'static str])> {
    let id = |s: &str| s.bytes().all(|b| b.is_ascii_digit()).then(|| s.parse::<u64>().ok()).flatten();
    let woo = site.config.woocommerce;
    let tracking = woo && site.config.shipment_tracking;
    Some(match segments {
        [] => (Route::Index, GET),
        ["wc", "v3"] if woo => (Route::Namespace(WC), GET),
        ["wc", "v3", rest @ ..] if woo => match rest {
            ["system_status"] => (Route::SystemStatus, GET),
            ["settings", group] => (Route::SettingGroup(group), GET),
            ["settings", group, option] => (Route::Setting(group, option), GET),
            ["orders"] => (Route::Orders, GET),
            ["orders", order] => (Route::Order(id(order)?), ITEM),
            ["orders", order, "notes"] => (Route::Notes(id(order)?), GET_POST),
            ["orders", order, "notes", note] => (Route::Note(id(order)?, id(note)?), GET),
            ["products"] => (Route::Products, GET),
            ["products", product] => (Route::Product(id(product)?), GET),
            ["products", product, "variations"] => (Route::Variations(id(product)?), GET),
            ["products", product, "variations", variation] => (Route::Variation(id(product)?, id(variation)?), GET),
            ["customers"] => (Route::Customers, GET),
            ["customers", customer] => (Route::Customer(id(customer)?), GET),
            ["webhooks"] => (Route::Webhooks, GET_POST),
            ["webhooks", webhook] => (Route::Webhook(id(webhook)?), ITEM),
            _ => return None,
        },
        ["wc-shipment-tracking", "v3"] if tracking => (Route::Namespace(TRACKING), GET),
        ["wc-shipment-tracking", "v3", rest @ ..] if tracking => match rest {
            ["orders", order, "shipment-trackings"] => (Route::Trackings(id(order)?), GET_POST),
            ["orders", order, "shipment-trackings", item] => (Route::Tracking(id(order)?, item), GET_DELETE),
            ["shipment-trackings", "providers"] => (Route::Providers, GET),
            _ => return None,
        },
        _ => return None,
    })
}

/// Answers a request for REST route `route` (`/wc/v3/orders`, `/` for the index).
pub async fn serve(
    emu: &Arc<EmulatorState>,
    site: &Arc<Site>,
    request: Incoming<'_>,
    route: &str,
    body: &[u8],
) -> Reply {
    let segments: Vec<&str> = route.split('/').filter(|s| !s.is_empty()).collect();
    let now = emu.clock.unix_now();
    let namespace = route.trim_start_matches('/');
    let mut user = None;
    if site.config.woocommerce && (namespace.starts_with("wc/") || namespace.starts_with("wc-")) {
        let outcome = auth::authenticate(site, request, body, now);
        if let Some(error) = outcome.error {
            return error.reply();
        }
        if let Some(key_user) = outcome.user {
            if let Err(refused) = auth::check_permissions(key_user, request.method) {
                return refused.reply();
            }
            user = Some(key_user);
        }
    }
    let Some((target, methods)) = resolve(site, &segments) else { return WpError::no_route().reply() };
    let method = match request.method.as_str() {
        "HEAD" => "GET",
        other => other,
    };
    if method == "OPTIONS" {
        return Reply::json(StatusCode::OK, &json!({ "namespace": namespace_of(route), "methods": methods }))
            .header("allow", &methods.join(", "));
    }
    if !methods.contains(&method) {
        return WpError::no_route().reply();
    }
    let body = match parse_body(request.headers, body) {
        Ok(body) => body,
        Err(error) => return error.reply(),
    };
    let call = Call { emu, site, params: Params::parse(request.query), body, user, now };
    let answered = match (target, method) {
        (Route::Index, _) => Ok(index(&call)),
        (Route::Namespace(namespace), _) => Ok(namespace_index(site, namespace)),
        (Route::SystemStatus, _) => system_status(&call),
        (Route::SettingGroup(group), _) => setting_group(&call, group),
        (Route::Setting(group, option), _) => setting(&call, group, option),
        (Route::Orders, _) => orders(&call),
        (Route::Order(id), "GET") => order(&call, id),
        (Route::Order(id), "DELETE") => delete_order(&call, id),
        (Route::Order(id), _) => update_order(&call, id),
        (Route::Notes(id), "GET") => notes(&call, id),
        (Route::Notes(id), _) => create_note(&call, id),
        (Route::Note(order, note), _) => one_note(&call, order, note),
        (Route::Products, _) => products(&call),
        (Route::Product(id), _) => product(&call, id),
        (Route::Variations(id), _) => variations(&call, id),
        (Route::Variation(product, id), _) => variation(&call, product, id),
        (Route::Customers, _) => customers(&call),
        (Route::Customer(id), _) => customer(&call, id),
        (Route::Webhooks, "GET") => list_webhooks(&call),
        (Route::Webhooks, _) => create_webhook(&call).await,
        (Route::Webhook(id), "GET") => get_webhook(&call, id),
        (Route::Webhook(id), "DELETE") => delete_webhook(&call, id),
        (Route::Webhook(id), _) => update_webhook(&call, id),
        (Route::Trackings(order), "GET") => tracking::list(&call, order),
        (Route::Trackings(order), _) => tracking::create(&call, order),
        (Route::Tracking(order, item), "GET") => tracking::get(&call, order, item),
        (Route::Tracking(order, item), _) => tracking::delete(&call, order, item),
        (Route::Providers, _) => Ok(tracking::providers()),
    };
    answered.unwrap_or_else(|error| error.reply())
}

fn namespace_of(route: &str) -> String {
    route.trim_start_matches('/').splitn(3, '/').take(2).collect::<Vec<_>>().join("/")
}

/// WordPress reads a JSON body when the request says it is JSON (refusing one that does not
/// parse), and a form body as form parameters.
fn parse_body(headers: &HeaderMap, body: &[u8]) -> Result<BodyParams, WpError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let content_type = content_type.to_ascii_lowercase();
    if body.is_empty() {
        return Ok(BodyParams::None);
    }
    if content_type.starts_with("application/json") {
        return match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(BodyParams::Json(map)),
            Ok(_) => Ok(BodyParams::None),
            Err(err) => {
                let mut error = WpError::new(400, "rest_invalid_json", "Invalid JSON body passed.");
                error.data.insert("json_error_code".into(), json!(4));
                error.data.insert("json_error_message".into(), json!(err.to_string()));
                Err(error)
            }
        };
    }
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return Ok(BodyParams::Form(form_urlencoded::parse(body).into_owned().collect()));
    }
    Ok(BodyParams::None)
}

/// The routes each namespace registers, with their methods, for the index.
fn route_table(site: &Site) -> Vec<(&'static str, &'static str, &'static [&'static str])> {
    let mut routes = vec![("", "/", GET)];
    if site.config.woocommerce {
        routes.extend([
            (WC, "/wc/v3", GET),
            (WC, "/wc/v3/system_status", GET),
            (WC, "/wc/v3/settings/(?P<group_id>[\\w-]+)", GET),
            (WC, "/wc/v3/settings/(?P<group_id>[\\w-]+)/(?P<id>[\\w-]+)", GET),
            (WC, "/wc/v3/orders", GET_POST),
            (WC, "/wc/v3/orders/(?P<id>[\\d]+)", ITEM),
            (WC, "/wc/v3/orders/(?P<order_id>[\\d]+)/notes", GET_POST),
            (WC, "/wc/v3/orders/(?P<order_id>[\\d]+)/notes/(?P<id>[\\d]+)", GET_DELETE),
            (WC, "/wc/v3/products", GET_POST),
            (WC, "/wc/v3/products/(?P<id>[\\d]+)", ITEM),
            (WC, "/wc/v3/products/(?P<product_id>[\\d]+)/variations", GET_POST),
            (WC, "/wc/v3/products/(?P<product_id>[\\d]+)/variations/(?P<id>[\\d]+)", ITEM),
            (WC, "/wc/v3/customers", GET_POST),
            (WC, "/wc/v3/customers/(?P<id>[\\d]+)", ITEM),
            (WC, "/wc/v3/webhooks", GET_POST),
            (WC, "/wc/v3/webhooks/(?P<id>[\\d]+)", ITEM),
        ]);
    }
    if site.config.woocommerce && site.config.shipment_tracking {
        routes.extend([
            (TRACKING, "/wc-shipment-tracking/v3", GET),
            (TRACKING, "/wc-shipment-tracking/v3/orders/(?P<order_id>[\\d]+)/shipment-trackings", GET_POST),
            (
                TRACKING,
                "/wc-shipment-tracking/v3/orders/(?P<order_id>[\\d]+)/shipment-trackings/(?P<id>[\\w-]+)",
                GET_DELETE,
            ),
            (TRACKING, "/wc-shipment-tracking/v3/shipment-trackings/providers", GET),
        ]);
    }
    routes
}

fn routes_object(site: &Site, namespace: Option<&str>) -> Value {
    let routes: Map<String, Value> = route_table(site)
        .into_iter()
        .filter(|(ns, _, _)| namespace.is_none_or(|wanted| wanted == *ns))
        .map(|(ns, route, methods)| {
            let mut entry = json!({
                "namespace": ns, "methods": methods,
                "endpoints": methods.iter().map(|m| json!({"methods": [m], "args": {}})).collect::<Vec<_>>(),
            });
            if !route.contains('(') {
                entry["_links"] = json!({"self": [{"href": site.rest_url(route)}]});
            }
            (route.to_owned(), entry)
        })
        .collect();
    Value::Object(routes)
}

/// The namespaces a site's index announces, in WordPress's registration order.
fn namespaces(site: &Site) -> Vec<&'static str> {
    let mut namespaces = vec!["oembed/1.0"];
    if site.config.woocommerce {
        namespaces.extend([
            "wc/store",
            "wc/store/v1",
            "wc-admin",
            "wc-analytics",
            "wc/v1",
            "wc/v2",
            WC,
            "wc-telemetry",
        ]);
        if site.config.shipment_tracking {
            namespaces.push(TRACKING);
        }
    }
    namespaces.extend(["wp/v2", "wp-site-health/v1", "wp-block-editor/v1"]);
    namespaces
}

/// Zones without daylight saving that a site may be set to; other offsets are set as
/// "UTC±H", which leaves `timezone_string` empty and `gmt_offset` a string.
const ZONES: &[(i32, &str)] = &[
    (-600, "Pacific/Honolulu"),
    (-420, "America/Phoenix"),
    (-300, "America/Bogota"),
    (-180, "America/Sao_Paulo"),
    (0, "UTC"),
    (60, "Africa/Lagos"),
    (120, "Africa/Johannesburg"),
    (180, "Europe/Istanbul"),
    (240, "Asia/Dubai"),
    (300, "Asia/Karachi"),
    (330, "Asia/Kolkata"),
    (345, "Asia/Kathmandu"),
    (420, "Asia/Bangkok"),
    (480, "Asia/Singapore"),
    (540, "Asia/Tokyo"),
    (600, "Australia/Brisbane"),
];

/// `gmt_offset` and `timezone_string` as WordPress keeps them.
fn timezone(minutes: i32) -> (Value, &'static str) {
    let hours = f64::from(minutes) / 60.0;
    let number = if minutes % 60 == 0 { json!(minutes / 60) } else { json!(hours) };
    match ZONES.iter().find(|(offset, _)| *offset == minutes) {
        Some((_, zone)) => (number, zone),
        None => (json!(number.to_string()), ""),
    }
}

/// `GET /wp-json/`: public, whatever credentials come with it.
fn index(call: &Call<'_>) -> Reply {
    let site = call.site;
    let (gmt_offset, timezone_string) = timezone(site.config.utc_offset_minutes);
    // Application passwords are offered only over https.
    let authentication = if site.is_https() {
        json!({"application-passwords": {"endpoints": {
            "authorization": format!("{}/wp-admin/authorize-application.php", site.home())}}})
    } else {
        json!([])
    };
    let value = json!({
        "name": site.name(), "description": "", "url": site.home(), "home": site.home(),
        "gmt_offset": gmt_offset, "timezone_string": timezone_string,
        "page_for_posts": 0, "page_on_front": 0, "show_on_front": "posts",
        "namespaces": namespaces(site), "authentication": authentication,
        "routes": routes_object(site, None),
        "site_logo": 0, "site_icon": 0, "site_icon_url": "",
        "_links": {"help": [{"href": "https://developer.wordpress.org/rest-api/"}]},
    });
    call.one(StatusCode::OK, value)
}

fn namespace_index(site: &Site, namespace: &'static str) -> Reply {
    let value = json!({
        "namespace": namespace, "routes": routes_object(site, Some(namespace)),
        "_links": {"up": [{"href": site.rest_url("/")}]},
    });
    Reply::json(StatusCode::OK, &value)
}

fn system_status(call: &Call<'_>) -> Result<Reply, WpError> {
    call.permit(Need::List)?;
    let site = call.site;
    let mut plugins = vec![json!({
        "plugin": "woocommerce/woocommerce.php", "name": "WooCommerce", "version": WC_VERSION,
        "version_latest": WC_VERSION, "url": "https://woocommerce.com/", "author_name": "Automattic",
        "author_url": "https://woocommerce.com", "network_activated": false,
    })];
    if site.config.shipment_tracking {
        plugins.push(json!({
            "plugin": "woocommerce-shipment-tracking/woocommerce-shipment-tracking.php",
            "name": "WooCommerce Shipment Tracking", "version": "2.6.2", "version_latest": "2.6.2",
            "url": "https://woocommerce.com/products/shipment-tracking/", "author_name": "WooCommerce",
            "author_url": "https://woocommerce.com", "network_activated": false,
        }));
    }
    let value = json!({
        "environment": {
            "home_url": site.home(), "site_url": site.home(), "version": WC_VERSION,
            "log_directory": "/var/www/html/wp-content/uploads/wc-logs/", "log_directory_writable": true,
            "wp_version": WP_VERSION, "wp_multisite": false, "wp_memory_limit": 268_435_456,
            "wp_debug_mode": false, "wp_cron": true, "language": "en_US", "external_object_cache": null,
            "server_info": "nginx/1.26.2", "php_version": "8.2.27", "php_post_max_size": 67_108_864,
            "php_max_execution_time": 120, "php_max_input_vars": 3000, "curl_version": "8.5.0, OpenSSL/3.0.13",
            "suhosin_installed": false, "max_upload_size": 67_108_864, "mysql_version": "8.0.40",
            "mysql_version_string": "8.0.40", "default_timezone": "UTC", "fsockopen_or_curl_enabled": true,
            "soapclient_enabled": true, "domdocument_enabled": true, "gzip_enabled": true,
            "mbstring_enabled": true, "remote_post_successful": true, "remote_post_response": 200,
            "remote_get_successful": true, "remote_get_response": 200,
        },
        "database": {"wc_database_version": WC_VERSION, "database_prefix": "wp_", "database_tables": {}},
        "active_plugins": plugins, "inactive_plugins": [], "dropins_mu_plugins": {"dropins": [], "mu_plugins": []},
        "theme": {
            "name": "Storefront", "version": "4.6.1", "version_latest": "4.6.1",
            "author_url": "https://woocommerce.com/", "is_child_theme": false, "is_block_theme": false,
            "has_woocommerce_support": true, "has_woocommerce_file": false, "has_outdated_templates": false,
            "overrides": [], "parent_name": "", "parent_version": "", "parent_version_latest": "",
            "parent_author_url": "",
        },
        "settings": {
            "api_enabled": true, "force_ssl": false, "currency": "USD", "currency_symbol": "&#36;",
            "currency_position": "left", "thousand_separator": ",", "decimal_separator": ".",
            "number_of_decimals": 2, "geolocation_enabled": false,
            "taxonomies": {"external": "external", "grouped": "grouped", "simple": "simple", "variable": "variable"},
            "product_visibility_terms": {}, "woocommerce_com_connected": "no", "enforce_approved_download_dirs": true,
            "order_datastore": "Automattic\\WooCommerce\\Internal\\DataStores\\Orders\\OrdersTableDataStore",
            "HPOS_enabled": true, "HPOS_sync_enabled": false,
        },
        "security": {"secure_connection": site.is_https(), "hide_errors": true},
        "pages": [],
        "post_type_counts": [],
    });
    Ok(call.one(StatusCode::OK, value))
}

/// The settings storelink may read: the store's currency and country, and its weight and
/// dimension units.
fn settings(site: &Site, group: &str) -> Option<Vec<Value>> {
    let option = |id: &str, label: &str, value: &str, default: &str, options: Value| {
        json!({
            "id": id, "label": label, "description": "", "type": "select", "default": default,
            "options": options, "tip": "", "value": value, "group_id": group,
            "_links": render::links(site, &format!("/wc/v3/settings/{group}/{id}"), &format!("/wc/v3/settings/{group}"), None),
        })
    };
    match group {
        "general" => Some(vec![
            option(
                "woocommerce_default_country",
                "Country / State",
                "US:CA",
                "US:CA",
                json!({"US:CA": "United States (US) — California"}),
            ),
            option("woocommerce_currency", "Currency", "USD", "USD", json!({"USD": "United States (US) dollar ($)"})),
            option("woocommerce_price_num_decimals", "Number of decimals", "2", "2", json!({})),
        ]),
        "products" => Some(vec![
            option(
                "woocommerce_weight_unit",
                "Weight unit",
                &site.config.weight_unit,
                "kg",
                json!({"kg": "kg", "g": "g", "lbs": "lbs", "oz": "oz"}),
            ),
            option(
                "woocommerce_dimension_unit",
                "Dimensions unit",
                "cm",
                "cm",
                json!({"m": "m", "cm": "cm", "mm": "mm", "in": "in", "yd": "yd"}),
            ),
        ]),
        _ => None,
    }
}

fn setting_group(call: &Call<'_>, group: &str) -> Result<Reply, WpError> {
    call.permit(Need::List)?;
    let options = settings(call.site, group)
        .ok_or_else(|| WpError::new(404, "rest_setting_setting_group_invalid", "Invalid setting group."))?;
    let fields = call.fields();
    let items = options.into_iter().map(|o| fields.as_ref().map_or(o.clone(), |f| f.apply(o))).collect();
    Ok(Reply::json(StatusCode::OK, &Value::Array(items)))
}

fn setting(call: &Call<'_>, group: &str, id: &str) -> Result<Reply, WpError> {
    call.permit(Need::View)?;
    let options = settings(call.site, group)
        .ok_or_else(|| WpError::new(404, "rest_setting_setting_group_invalid", "Invalid setting group."))?;
    let option = options
        .into_iter()
        .find(|o| o["id"] == id)
        .ok_or_else(|| WpError::new(404, "rest_setting_setting_invalid", "Invalid setting."))?;
    Ok(call.one(StatusCode::OK, option))
}

const ORDERS: Spec = Spec {
    orderby: &["date", "id", "include", "title", "slug", "modified"],
    default_orderby: "date",
    default_desc: true,
    dates: true,
};

const PRODUCTS: Spec = Spec {
    orderby: &["date", "modified", "id", "include", "title", "slug", "price", "popularity", "rating", "menu_order"],
    default_orderby: "date",
    default_desc: true,
    dates: true,
};

const CUSTOMERS: Spec = Spec {
    orderby: &["id", "include", "name", "registered_date"],
    default_orderby: "name",
    default_desc: false,
    dates: false,
};

const WEBHOOKS: Spec =
    Spec { orderby: &["date", "id", "include", "title"], default_orderby: "date", default_desc: true, dates: true };

/// A page of rendered records, trimmed by `_fields`.
fn collection(call: &Call<'_>, route: &str, listing: &Listing, items: Vec<Value>, total: usize) -> Reply {
    let items = match call.fields() {
        Some(fields) => items.into_iter().map(|item| fields.apply(item)).collect(),
        None => items,
    };
    listing::page(call.site, route, &call.params, listing, items, total)
}

fn invalid_order() -> WpError {
    WpError::new(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
}

fn orders(call: &Call<'_>) -> Result<Reply, WpError> {
    let mut invalid = Invalid::default();
    let listing = Listing::parse(&call.params, &ORDERS, call.site, &mut invalid);
    let allowed: Vec<&str> = ["any", "trash"].into_iter().chain(ORDER_STATUSES.iter().copied()).collect();
    let statuses = call.params.list("status").unwrap_or_else(|| vec!["any".into()]);
    if let Some((i, _)) = statuses.iter().enumerate().find(|(_, s)| !allowed.contains(&s.as_str())) {
        invalid.enum_value(&format!("status[{i}]"), &allowed);
    }
    let number = |name: &str, invalid: &mut Invalid| {
        let value = call.params.get(name)?;
        let parsed = value.parse::<u64>().ok();
        if parsed.is_none() {
            invalid.add(name, "rest_invalid_type", format!("{name} is not of type integer."));
        }
        parsed
    };
    let customer = number("customer", &mut invalid);
    let product = number("product", &mut invalid);
    invalid.into_result()?;
    call.permit(Need::List)?;
    let data = call.site.data.read().expect("data lock");
    let wanted = |order: &Order| {
        statuses.iter().any(|s| match s.as_str() {
            "any" => order.status != "trash" && order.status != "checkout-draft",
            status => order.status == status,
        }) && customer.is_none_or(|c| order.customer_id == c)
            && product.is_none_or(|p| order.lines.iter().any(|l| l.product_id == p || l.variation_id == p))
    };
    let unreadable = call.site.faults.lock().expect("faults lock").unreadable_orders.clone();
    let rows = data
        .orders
        .values()
        .filter(|order| wanted(order))
        .filter(|order| listing.include.is_empty() || !unreadable.contains(&order.id))
        .map(|o| Row { id: o.id, created: o.created, modified: o.modified, name: String::new() })
        .collect();
    let (ids, total) = listing.select(rows);
    let dropped = {
        let faults = &mut *call.site.faults.lock().expect("faults lock");
        faults.drop_order_pages > 0 && ids.len() > 1 && {
            faults.drop_order_pages -= 1;
            true
        }
    };
    let ids = if dropped { Vec::new() } else { ids };
    let items = ids.iter().map(|id| render::order(call.site, &data, &data.orders[id])).collect();
    Ok(collection(call, "/wc/v3/orders", &listing, items, total))
}

fn order(call: &Call<'_>, id: u64) -> Result<Reply, WpError> {
    call.permit(Need::View)?;
    if call.site.faults.lock().expect("faults lock").unreadable_orders.contains(&id) {
        return Err(WpError::new(500, "internal_server_error", "There has been a critical error on this website."));
    }
    let data = call.site.data.read().expect("data lock");
    let order = data.orders.get(&id).ok_or_else(invalid_order)?;
    Ok(call.one(StatusCode::OK, render::order(call.site, &data, order)))
}

/// `PUT /orders/{id}`: the status (with its note and dates), the customer's note, addresses,
/// the transaction id and `meta_data`, merged as WooCommerce merges them. A change saves the
/// order: a new `date_modified` and `order.updated`.
fn update_order(call: &Call<'_>, id: u64) -> Result<Reply, WpError> {
    let mut invalid = Invalid::default();
    let status = call.param("status");
    let status = match &status {
        None => None,
        Some(Value::String(s)) if ORDER_STATUSES.contains(&s.as_str()) => Some(s.clone()),
        Some(_) => {
            invalid.enum_value("status", ORDER_STATUSES);
            None
        }
    };
    let meta = match call.param("meta_data") {
        None => None,
        Some(Value::Array(entries)) if entries.iter().all(Value::is_object) => Some(entries),
        Some(_) => {
            invalid.add("meta_data", "rest_invalid_type", "meta_data is not of type array.".into());
            None
        }
    };
    invalid.into_result()?;
    call.permit(Need::Edit)?;
    let (rendered, changed) = {
        let mut guard = call.site.data.write().expect("data lock");
        let data = &mut *guard;
        let mut order = data.orders.remove(&id).ok_or_else(invalid_order)?;
        let before = render::order(call.site, data, &order);
        if let Some(status) = status {
            data.set_status(&mut order, &status, call.now);
        }
        if let Some(note) = call.text("customer_note") {
            order.customer_note = note;
        }
        if let Some(transaction) = call.text("transaction_id") {
            order.transaction_id = transaction;
        }
        for (name, billing) in [("billing", true), ("shipping", false)] {
            if let Some(Value::Object(fields)) = call.param(name) {
                let address = if billing { &mut order.billing } else { &mut order.shipping };
                merge_address(address, &fields);
            }
        }
        if let Some(entries) = meta {
            data.merge_meta(&mut order.meta, &entries);
        }
        let changed = render::order(call.site, data, &order) != before;
        if changed {
            order.modified = call.now;
        }
        let rendered = render::order(call.site, data, &order);
        data.orders.insert(id, order);
        (rendered, changed)
    };
    if changed {
        webhooks::fire(call.emu, call.site, "order", "updated", id);
    }
    Ok(call.one(StatusCode::OK, rendered))
}

fn merge_address(address: &mut super::data::Address, fields: &Map<String, Value>) {
    for (key, value) in fields {
        let Some(value) = value.as_str().map(str::to_owned) else { continue };
        let slot = match key.as_str() {
            "first_name" => &mut address.first_name,
            "last_name" => &mut address.last_name,
            "company" => &mut address.company,
            "address_1" => &mut address.address_1,
            "address_2" => &mut address.address_2,
            "city" => &mut address.city,
            "state" => &mut address.state,
            "postcode" => &mut address.postcode,
            "country" => &mut address.country,
            "email" => &mut address.email,
            "phone" => &mut address.phone,
            _ => continue,
        };
        *slot = value;
    }
}

/// `DELETE /orders/{id}`: to the trash (410 if it is there already), or gone with `force`.
/// Either way `order.deleted` fires with `{"id"}`.
fn delete_order(call: &Call<'_>, id: u64) -> Result<Reply, WpError> {
    let mut invalid = Invalid::default();
    let force = call.flag("force", &mut invalid).unwrap_or(false);
    invalid.into_result()?;
    call.permit(Need::Delete)?;
    let rendered = {
        let mut guard = call.site.data.write().expect("data lock");
        let data = &mut *guard;
        if force {
            let order = data.orders.remove(&id).ok_or_else(invalid_order)?;
            render::order(call.site, data, &order)
        } else {
            let order = data.orders.get_mut(&id).ok_or_else(invalid_order)?;
            if order.status == "trash" {
                return Err(WpError::new(
                    410,
                    "woocommerce_rest_already_trashed",
                    "The order has already been deleted.",
                ));
            }
            order.status_before_trash = Some(std::mem::replace(&mut order.status, "trash".into()));
            order.modified = call.now;
            let order = &data.orders[&id];
            render::order(call.site, data, order)
        }
    };
    webhooks::fire(call.emu, call.site, "order", "deleted", id);
    Ok(call.one(StatusCode::OK, rendered))
}

fn invalid_order_for_notes() -> WpError {
    WpError::new(404, "woocommerce_rest_order_invalid_id", "Invalid order ID.")
}

fn notes(call: &Call<'_>, order_id: u64) -> Result<Reply, WpError> {
    let mut invalid = Invalid::default();
    let kind = call.params.get("type").unwrap_or("any");
    if !["any", "customer", "internal"].contains(&kind) {
        invalid.enum_value("type", &["any", "customer", "internal"]);
    }
    invalid.into_result()?;
    call.permit(Need::List)?;
    let data = call.site.data.read().expect("data lock");
    let order = data.orders.get(&order_id).ok_or_else(invalid_order_for_notes)?;
    let fields = call.fields();
    let items: Vec<Value> = order
        .notes
        .iter()
        .rev()
        .filter(|note| match kind {
            "customer" => note.customer_note,
            "internal" => !note.customer_note,
            _ => true,
        })
        .map(|note| {
            let value = render::note(call.site, order_id, note);
            fields.as_ref().map_or(value.clone(), |f| f.apply(value))
        })
        .collect();
    Ok(Reply::json(StatusCode::OK, &Value::Array(items)))
}

fn one_note(call: &Call<'_>, order_id: u64, note_id: u64) -> Result<Reply, WpError> {
    call.permit(Need::View)?;
    let data = call.site.data.read().expect("data lock");
    let order = data.orders.get(&order_id).ok_or_else(invalid_order_for_notes)?;
    let note = order
        .notes
        .iter()
        .find(|note| note.id == note_id)
        .ok_or_else(|| WpError::new(404, "woocommerce_rest_invalid_id", "Invalid resource ID."))?;
    Ok(call.one(StatusCode::OK, render::note(call.site, order_id, note)))
}

/// `POST /orders/{id}/notes`: a note is a comment on the order; adding one does not save the
/// order, so it neither changes `date_modified` nor fires `order.updated`.
fn create_note(call: &Call<'_>, order_id: u64) -> Result<Reply, WpError> {
    let text = call.text("note").unwrap_or_default();
    if text.is_empty() {
        let mut error = WpError::new(400, "rest_missing_callback_param", "Missing parameter(s): note");
        error.data.insert("params".into(), json!(["note"]));
        return Err(error);
    }
    let mut invalid = Invalid::default();
    let customer_note = call.flag("customer_note", &mut invalid).unwrap_or(false);
    let added_by_user = call.flag("added_by_user", &mut invalid).unwrap_or(false);
    invalid.into_result()?;
    call.permit(Need::Create)?;
    let rendered = {
        let mut guard = call.site.data.write().expect("data lock");
        let data = &mut *guard;
        let order = data.orders.get_mut(&order_id).ok_or_else(invalid_order_for_notes)?;
        let note = super::data::Note {
            id: data.ids.comment(),
            author: if added_by_user { "admin".into() } else { "system".into() },
            created: call.now,
            note: text,
            customer_note,
        };
        let rendered = render::note(call.site, order_id, &note);
        order.notes.push(note);
        rendered
    };
    let location = call.site.rest_url(&format!("/wc/v3/orders/{order_id}/notes/{}", rendered["id"]));
    Ok(call.one(StatusCode::CREATED, rendered).header("location", &location))
}

fn products(call: &Call<'_>) -> Result<Reply, WpError> {
    let mut invalid = Invalid::default();
    let listing = Listing::parse(&call.params, &PRODUCTS, call.site, &mut invalid);
    let check = |name: &str, allowed: &[&str], invalid: &mut Invalid| {
        let value = call.params.get(name)?;
        if !allowed.contains(&value) {
            invalid.enum_value(name, allowed);
        }
        Some(value.to_owned())
    };
    let status = check("status", &["any", "future", "trash", "draft", "pending", "private", "publish"], &mut invalid);
    let kind = check("type", &["simple", "grouped", "external", "variable"], &mut invalid);
    let stock = check("stock_status", &["instock", "outofstock", "onbackorder"], &mut invalid);
    let skus = call.params.list("sku");
    invalid.into_result()?;
    call.permit(Need::List)?;
    let data = call.site.data.read().expect("data lock");
    let rows = data
        .products
        .values()
        .filter(|_| status.as_deref().is_none_or(|s| s == "any" || s == "publish"))
        .filter(|p| kind.as_deref().is_none_or(|k| k == if p.variable { "variable" } else { "simple" }))
        .filter(|p| skus.as_ref().is_none_or(|skus| skus.contains(&p.sku)))
        .filter(|p| stock.as_deref().is_none_or(|s| render::product(call.site, p)["stock_status"] == s))
        .map(|p| Row { id: p.id, created: p.created, modified: p.modified, name: p.name.clone() })
        .collect();
    let (ids, total) = listing.select(rows);
    let items = ids.iter().map(|id| render::product(call.site, &data.products[id])).collect();
    Ok(collection(call, "/wc/v3/products", &listing, items, total))
}

fn product(call: &Call<'_>, id: u64) -> Result<Reply, WpError> {
    call.permit(Need::View)?;
    let data = call.site.data.read().expect("data lock");
    let product = data
        .products
        .get(&id)
        .ok_or_else(|| WpError::new(404, "woocommerce_rest_product_invalid_id", "Invalid ID."))?;
    Ok(call.one(StatusCode::OK, render::product(call.site, product)))
}

fn variations(call: &Call<'_>, product_id: u64) -> Result<Reply, WpError> {
    let mut invalid = Invalid::default();
    let listing = Listing::parse(&call.params, &PRODUCTS, call.site, &mut invalid);
    invalid.into_result()?;
    call.permit(Need::List)?;
    let data = call.site.data.read().expect("data lock");
    let product = data.products.get(&product_id);
    let rows = product
        .map(|p| p.variations.iter())
        .into_iter()
        .flatten()
        .map(|v| Row { id: v.id, created: v.created, modified: v.modified, name: v.size.to_owned() })
        .collect();
    let (ids, total) = listing.select(rows);
    let items = match product {
        Some(product) => ids
            .iter()
            .filter_map(|id| product.variations.iter().find(|v| v.id == *id))
            .map(|v| render::variation(call.site, product, v))
            .collect(),
        None => Vec::new(),
    };
    Ok(collection(call, &format!("/wc/v3/products/{product_id}/variations"), &listing, items, total))
}

fn variation(call: &Call<'_>, product_id: u64, id: u64) -> Result<Reply, WpError> {
    call.permit(Need::View)?;
    let data = call.site.data.read().expect("data lock");
    let found = data
        .products
        .get(&product_id)
        .and_then(|product| product.variations.iter().find(|v| v.id == id).map(|v| (product, v)));
    let (product, variation) =
        found.ok_or_else(|| WpError::new(404, "woocommerce_rest_product_variation_invalid_id", "Invalid ID."))?;
    Ok(call.one(StatusCode::OK, render::variation(call.site, product, variation)))
}

fn customers(call: &Call<'_>) -> Result<Reply, WpError> {
    let mut invalid = Invalid::default();
    let listing = Listing::parse(&call.params, &CUSTOMERS, call.site, &mut invalid);
    let roles = ["all", "administrator", "editor", "author", "contributor", "subscriber", "customer", "shop_manager"];
    let role = call.params.get("role").unwrap_or("customer");
    if !roles.contains(&role) {
        invalid.enum_value("role", &roles);
    }
    let email = call.params.get("email");
    invalid.into_result()?;
    call.permit(Need::List)?;
    let data = call.site.data.read().expect("data lock");
    let rows = data
        .customers
        .values()
        .filter(|_| role == "all" || role == "customer")
        .filter(|c| email.is_none_or(|e| c.email.eq_ignore_ascii_case(e)))
        .map(|c| Row {
            id: c.id,
            created: c.created,
            modified: c.modified,
            name: format!("{} {}", c.first_name, c.last_name),
        })
        .collect();
    let (ids, total) = listing.select(rows);
    let items = ids.iter().map(|id| render::customer(call.site, &data.customers[id])).collect();
    Ok(collection(call, "/wc/v3/customers", &listing, items, total))
}

fn customer(call: &Call<'_>, id: u64) -> Result<Reply, WpError> {
    call.permit(Need::View)?;
    let data = call.site.data.read().expect("data lock");
    let customer = data
        .customers
        .get(&id)
        .ok_or_else(|| WpError::new(404, "woocommerce_rest_invalid_id", "Invalid resource ID."))?;
    Ok(call.one(StatusCode::OK, render::customer(call.site, customer)))
}

fn invalid_webhook() -> WpError {
    WpError::new(404, "woocommerce_rest_shop_webhook_invalid_id", "Invalid ID.")
}

fn list_webhooks(call: &Call<'_>) -> Result<Reply, WpError> {
    let mut invalid = Invalid::default();
    let listing = Listing::parse(&call.params, &WEBHOOKS, call.site, &mut invalid);
    let status = call.params.get("status").unwrap_or("all");
    let allowed = ["all", "active", "paused", "disabled"];
    if !allowed.contains(&status) {
        invalid.enum_value("status", &allowed);
    }
    invalid.into_result()?;
    call.permit(Need::List)?;
    let webhooks = call.site.webhooks.lock().expect("webhooks lock");
    let rows = webhooks
        .list
        .values()
        .filter(|w| status == "all" || w.status == status)
        .map(|w| Row { id: w.id, created: w.created, modified: w.modified, name: w.name.clone() })
        .collect();
    let (ids, total) = listing.select(rows);
    let items = ids.iter().map(|id| webhooks::render(call.site, &webhooks.list[id])).collect();
    Ok(collection(call, "/wc/v3/webhooks", &listing, items, total))
}

/// The fields a create or update may set, checked as WooCommerce checks them.
struct WebhookFields {
    name: Option<String>,
    status: Option<String>,
    topic: Option<String>,
    delivery_url: Option<String>,
    secret: Option<String>,
}

fn webhook_fields(call: &Call<'_>) -> Result<WebhookFields, WpError> {
    let mut invalid = Invalid::default();
    let status = call.text("status");
    if status.as_deref().is_some_and(|s| !webhooks::STATUSES.contains(&s)) {
        invalid.enum_value("status", webhooks::STATUSES);
    }
    invalid.into_result()?;
    Ok(WebhookFields {
        name: call.text("name"),
        status,
        topic: call.text("topic").map(|t| t.to_ascii_lowercase()),
        delivery_url: call.text("delivery_url"),
        secret: call.text("secret"),
    })
}

fn check_topic(topic: &str) -> Result<(), WpError> {
    if webhooks::valid_topic(topic) {
        Ok(())
    } else {
        Err(WpError::new(
            400,
            "woocommerce_rest_shop_webhook_invalid_topic",
            "Webhook topic is required and must be valid.",
        ))
    }
}

fn check_url(url: &str) -> Result<(), WpError> {
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(())
    } else {
        Err(WpError::new(
            400,
            "woocommerce_rest_shop_webhook_invalid_delivery_url",
            "Webhook delivery URL must be a valid URL starting with http:// or https://.",
        ))
    }
}

/// `POST /webhooks`: stored, pinged (the request waits for the ping, whose failure changes
/// nothing), then 201 with `Location`.
async fn create_webhook(call: &Call<'_>) -> Result<Reply, WpError> {
    let fields = webhook_fields(call)?;
    call.permit(Need::Create)?;
    let topic = fields.topic.unwrap_or_default();
    check_topic(&topic)?;
    let url = fields.delivery_url.unwrap_or_default();
    check_url(&url)?;
    let name = fields.name.filter(|n| !n.is_empty()).unwrap_or_else(|| {
        let local = call.now + i64::from(call.site.config.utc_offset_minutes) * 60;
        let when = time::OffsetDateTime::from_unix_timestamp(local)
            .ok()
            .and_then(|t| {
                t.format(time::macros::format_description!(
                    "[month repr:short] [day], [year] @ [hour repr:12]:[minute] [period]"
                ))
                .ok()
            })
            .unwrap_or_default();
        format!("Webhook created on {when}")
    });
    let secret = fields.secret.filter(|s| !s.is_empty()).unwrap_or_else(|| {
        let mut data = call.site.data.write().expect("data lock");
        super::data::random_alnum(&mut data.rng, 50)
    });
    let webhook = {
        let mut webhooks = call.site.webhooks.lock().expect("webhooks lock");
        let webhook = Webhook {
            id: webhooks.next_id(),
            name,
            status: fields.status.unwrap_or_else(|| "active".into()),
            topic,
            delivery_url: url,
            secret,
            created: call.now,
            modified: call.now,
            failure_count: 0,
        };
        webhooks.list.insert(webhook.id, webhook.clone());
        webhook
    };
    webhooks::ping(call.emu, call.site, webhook.id, &webhook.delivery_url).await;
    let location = call.site.rest_url(&format!("/wc/v3/webhooks/{}", webhook.id));
    Ok(call.one(StatusCode::CREATED, webhooks::render(call.site, &webhook)).header("location", &location))
}

fn get_webhook(call: &Call<'_>, id: u64) -> Result<Reply, WpError> {
    call.permit(Need::View)?;
    let webhooks = call.site.webhooks.lock().expect("webhooks lock");
    let webhook = webhooks.list.get(&id).ok_or_else(invalid_webhook)?;
    Ok(call.one(StatusCode::OK, webhooks::render(call.site, webhook)))
}

/// `PUT /webhooks/{id}`: a disabled webhook comes back with `status: active`; its failure count
/// stays as it was (only a successful delivery clears it).
fn update_webhook(call: &Call<'_>, id: u64) -> Result<Reply, WpError> {
    let fields = webhook_fields(call)?;
    call.permit(Need::Edit)?;
    if let Some(topic) = &fields.topic {
        check_topic(topic)?;
    }
    if let Some(url) = &fields.delivery_url {
        check_url(url)?;
    }
    let mut webhooks = call.site.webhooks.lock().expect("webhooks lock");
    let webhook = webhooks.list.get_mut(&id).ok_or_else(invalid_webhook)?;
    let updates = [
        (fields.name, &mut webhook.name),
        (fields.status, &mut webhook.status),
        (fields.topic, &mut webhook.topic),
        (fields.delivery_url, &mut webhook.delivery_url),
        (fields.secret, &mut webhook.secret),
    ];
    for (value, slot) in updates {
        if let Some(value) = value {
            *slot = value;
        }
    }
    webhook.modified = call.now;
    Ok(call.one(StatusCode::OK, webhooks::render(call.site, webhook)))
}

fn delete_webhook(call: &Call<'_>, id: u64) -> Result<Reply, WpError> {
    let mut invalid = Invalid::default();
    let force = call.flag("force", &mut invalid).unwrap_or(false);
    invalid.into_result()?;
    call.permit(Need::Delete)?;
    if !force {
        return Err(WpError::new(501, "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing."));
    }
    let mut webhooks = call.site.webhooks.lock().expect("webhooks lock");
    let webhook = webhooks.list.remove(&id).ok_or_else(invalid_webhook)?;
    Ok(call.one(StatusCode::OK, webhooks::render(call.site, &webhook)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timezones_read_as_wordpress_keeps_them() {
        assert_eq!(timezone(330), (json!(5.5), "Asia/Kolkata"));
        assert_eq!(timezone(0), (json!(0), "UTC"));
        assert_eq!(timezone(-240), (json!("-4"), ""));
        assert_eq!(timezone(210), (json!("3.5"), ""));
    }
}
