//! The `storelink` command line: `serve`, the operator's `org` commands, and users and API
//! tokens (`--org NAME` says whose, once there are several organizations).

use std::{io::Read, net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Args, Parser, Subcommand};
use rand::{distributions::Alphanumeric, Rng};

use storelink_emulator::{config::Config, Emulator};

use crate::{
    auth::password,
    db, platforms,
    secrets::{Sealer, Secret},
    server::Application,
    state::Settings,
    sync::Claims,
    users::{self, repo, Role},
};

#[derive(Parser)]
#[command(name = "storelink", version, about = "Connect online stores to a shipping desk")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// How log lines are written to standard error: `text` for people, `json` (one object a
    /// line) for a log collector.
    #[arg(long, global = true, env = "STORELINK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server.
    Serve(Box<ServeArgs>),
    /// Run the Shopify Admin API emulator (for the demo, tests and benchmarks).
    Emulator(EmulatorArgs),
    /// Re-seal every stored credential under a new secret key (see the README).
    RotateKey {
        /// The key in use now; default: `secret.key` in the data directory.
        #[arg(long, env = "STORELINK_SECRET_KEY", hide_env_values = true)]
        secret_key: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage the API tokens of the desk's label software.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The operator's accounts, which sign in on the Operator page (`/operator`).
    Operator {
        #[command(subcommand)]
        command: OperatorCommand,
    },
    /// The organizations this storelink serves.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// List the organizations: whether e-commerce is on, their stores, users and last sync.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Rename an organization (its name, whatever the case, then the new one).
    Rename {
        name: String,
        new_name: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Create an organization, with e-commerce on (unless --disabled); then `user add --org`
    /// gives it its first administrator.
    Create {
        #[arg(long)]
        name: String,
        /// Create it with e-commerce off, to be enabled later.
        #[arg(long)]
        disabled: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Set what an organization may have at most: a number, or `none` for no limit (a limit
    /// left out is kept as it is).
    Limit {
        name: String,
        /// Stores, connected or not.
        #[arg(long, value_parser = parse_limit)]
        stores: Option<Limit>,
        /// Active users.
        #[arg(long, value_parser = parse_limit)]
        users: Option<Limit>,
        /// Live API tokens.
        #[arg(long, value_parser = parse_limit)]
        tokens: Option<Limit>,
        /// Sync jobs running at once.
        #[arg(long, value_parser = parse_limit)]
        sync_jobs: Option<Limit>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Remove an organization and everything of it (stores and their data, users, API tokens,
    /// audit log), noted in the operator's log. Name it twice: --confirm NAME.
    Remove {
        name: String,
        /// The organization's name again.
        #[arg(long)]
        confirm: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Turn e-commerce on for an organization: its users work, its stores sync.
    Enable {
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Turn e-commerce off for an organization: its users see that it is not set up, nothing
    /// of it syncs or is sent; its data stays.
    Disable {
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// A limit as typed: a number, or none.
#[derive(Clone, Copy)]
struct Limit(Option<i64>);

fn parse_limit(text: &str) -> Result<Limit, String> {
    crate::organizations::parse_limit(text).map(Limit).map_err(|err| err.to_string())
}

/// Which organization a command acts in: needed once there are several.
#[derive(Args, Clone)]
struct OrgArg {
    /// The organization's name (whatever the case).
    #[arg(long = "org")]
    org: Option<String>,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token and print it (this once; only its hash is kept).
    Create {
        /// What will use it, such as "Label printer".
        #[arg(long)]
        name: String,
        #[command(flatten)]
        org: OrgArg,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List the tokens (never the tokens themselves).
    List {
        #[command(flatten)]
        org: OrgArg,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Revoke a token by its number in the list: it stops working at once.
    Revoke {
        #[arg(long)]
        id: i64,
        #[command(flatten)]
        org: OrgArg,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum OperatorCommand {
    /// Create an operator account; the password is read from standard input.
    Add {
        #[arg(long)]
        email: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = ["admin", "standard"])]
        role: String,
        #[command(flatten)]
        org: OrgArg,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List the users.
    List {
        #[command(flatten)]
        org: OrgArg,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// Where the data lives; every subcommand that touches the database takes these.
#[derive(Args, Clone)]
struct DbArgs {
    /// Database URL; defaults to an SQLite file in the data directory.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// Directory for the SQLite database and other local state; created if missing.
    #[arg(long, env = "STORELINK_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
}

impl DbArgs {
    async fn pool(&self) -> anyhow::Result<db::Pool> {
        db::create_data_dir(&self.data_dir)?;
        let url = self.database_url.clone().unwrap_or_else(|| db::sqlite_url_in(&self.data_dir));
        db::connect(&url).await
    }
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "STORELINK_ADDR", default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    /// The built site (the output of `cargo leptos build`).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    site_root: String,
    /// The URL browsers use to reach storelink; an https:// URL makes cookies Secure.
    #[arg(long, env = "STORELINK_PUBLIC_URL")]
    public_url: Option<String>,
    /// 64 hex digits sealing store credentials; default: `secret.key` in the data directory.
    #[arg(long, env = "STORELINK_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// Send every Shopify call to this base URL (the emulator) instead of https://{shop}.myshopify.com.
    #[arg(long, env = "STORELINK_SHOPIFY_BASE_URL")]
    shopify_base_url: Option<String>,
    /// Seconds a Shopify call may take.
    #[arg(long, env = "STORELINK_SHOPIFY_TIMEOUT_SECS", default_value_t = 15)]
    shopify_timeout_secs: u64,
    /// Send every WooCommerce call to this base URL (the emulator) instead of the site's own
    /// address, keeping the site's host in `Host`.
    #[arg(long, env = "STORELINK_WOOCOMMERCE_BASE_URL")]
    woocommerce_base_url: Option<String>,
    /// Seconds a WooCommerce call may take (big stores answer slowly).
    #[arg(long, env = "STORELINK_WOOCOMMERCE_TIMEOUT_SECS", default_value_t = 30)]
    woocommerce_timeout_secs: u64,
    /// Requests each WooCommerce site is sent at once, at most (halved while its host pushes back).
    #[arg(long, env = "STORELINK_WOOCOMMERCE_REQUESTS_AT_ONCE", default_value_t = 4)]
    woocommerce_requests_at_once: usize,
    /// Send every BigCommerce call to this base URL (the emulator) instead of
    /// https://api.bigcommerce.com.
    #[arg(long, env = "STORELINK_BIGCOMMERCE_BASE_URL")]
    bigcommerce_base_url: Option<String>,
    /// Seconds a BigCommerce call may take.
    #[arg(long, env = "STORELINK_BIGCOMMERCE_TIMEOUT_SECS", default_value_t = 30)]
    bigcommerce_timeout_secs: u64,
    /// Allow stores on loopback and private addresses (a WooCommerce on the company's own
    /// network). Off, storelink dials only public addresses.
    #[arg(long, env = "STORELINK_ALLOW_PRIVATE_STORE_ADDRESSES")]
    allow_private_store_addresses: bool,
    /// Seconds between the scheduled incremental syncs of each store.
    #[arg(long, env = "STORELINK_SYNC_INTERVAL_SECS", default_value_t = 600)]
    sync_interval_secs: u64,
    /// Milliseconds a server holds a sync job it claimed without renewing the claim; a job
    /// whose server died is taken over by another when this runs out.
    #[arg(long, env = "STORELINK_SYNC_LEASE_MS", default_value_t = 10_000)]
    sync_lease_ms: u64,
    /// Milliseconds between renewals of a claim (at most half the lease).
    #[arg(long, env = "STORELINK_SYNC_HEARTBEAT_MS", default_value_t = 2_000)]
    sync_heartbeat_ms: u64,
    /// Sync jobs this server runs at once.
    #[arg(long, env = "STORELINK_SYNC_MAX_JOBS", default_value_t = 8)]
    sync_max_jobs: usize,
    /// Take each client's address from the last X-Forwarded-For entry: only behind a load
    /// balancer that sets it (otherwise any client could pick its own address).
    #[arg(long, env = "STORELINK_TRUST_FORWARDED_FOR")]
    trust_forwarded_for: bool,
    /// Serve Prometheus metrics at /metrics, without sign-in: only where the operator's network
    /// alone reaches it.
    #[arg(long, env = "STORELINK_METRICS")]
    metrics: bool,
    /// Connections one client address may hold open at once; more are closed as they arrive
    /// (0: no limit). Behind a load balancer every connection comes from it: raise this.
    #[arg(long, env = "STORELINK_MAX_CONNECTIONS_PER_CLIENT", default_value_t = 256)]
    max_connections_per_client: usize,
    /// Also start the Shopify emulator with a demo store, and print what to type to register it.
    #[arg(long)]
    demo: bool,
    #[command(flatten)]
    db: DbArgs,
}

/// The demo store's credentials: the emulator's, not anyone's real Shopify.
const DEMO_TOKEN: &str = "shpat_d3m0d3m0d3m0d3m0d3m0d3m0d3m0d3m0";
const DEMO_KEY: &str = "d3m0k3yd3m0k3yd3m0k3yd3m0k3y0000";
const DEMO_SECRET: &str = "shpss_d3m0s3cr3td3m0s3cr3td3m0s3cr3t";
/// The demo store's Dev Dashboard app: a Client ID and secret, no password.
const DEMO_CLIENT_ID: &str = "d3m0c11e4t1dd3m0c11e4t1dd3m0c1d0";
const DEMO_CLIENT_SECRET: &str = "d3m0c11e4t5ecretd3m0c11e4t5ecret";
/// The demo WooCommerce site's API key.
const DEMO_WOO_KEY: &str = "ck_d3m0d3m0d3m0d3m0d3m0d3m0d3m0d3m0d3m0d3m0";
const DEMO_WOO_SECRET: &str = "cs_d3m0s3cr3td3m0s3cr3td3m0s3cr3td3m0s3cr3";
/// The demo BigCommerce store's store-level API account.
const DEMO_BC_TOKEN: &str = "d3m0bct0k3nd3m0bct0k3nd3m0bct0k";
const DEMO_BC_CLIENT_ID: &str = "d3m0bcc113nt1dd3m0bcc113";
const DEMO_BC_CLIENT_SECRET: &str = "d3m0bcc113nts3cr3td3m0bc";

#[derive(Args)]
struct EmulatorArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "STORELINK_EMULATOR_ADDR", default_value = "127.0.0.1:4000")]
    addr: SocketAddr,
    /// The JSON file describing the shops (see the README).
    #[arg(long, env = "STORELINK_EMULATOR_CONFIG")]
    config: PathBuf,
}

pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "storelink=info,warn".into()),
        )
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    match cli.command {
        Command::Serve(args) => serve(*args).await,
        Command::Emulator(args) => emulator(args).await,
        Command::RotateKey { secret_key, db } => rotate_key(secret_key.map(Secret::new), &db).await,
        Command::User { command: UserCommand::Add { email, role, org, db } } => {
            add_user(&db, &org, &email, &role).await
        }
        Command::User { command: UserCommand::List { org, db } } => list_users(&db, &org).await,
        Command::Token { command: TokenCommand::Create { name, org, db } } => create_token(&db, &org, &name).await,
        Command::Token { command: TokenCommand::List { org, db } } => list_tokens(&db, &org).await,
        Command::Token { command: TokenCommand::Revoke { id, org, db } } => revoke_token(&db, &org, id).await,
        Command::Operator { command: OperatorCommand::Add { email, db } } => add_operator(&db, &email).await,
        Command::Org { command: OrgCommand::List { db } } => list_orgs(&db).await,
        Command::Org { command: OrgCommand::Rename { name, new_name, db } } => {
            let pool = db.pool().await?;
            crate::organizations::rename(&pool, &name, &new_name, COMMAND_LINE)
                .await
                .map_err(|err| anyhow::anyhow!("{err}"))?;
            eprintln!("Renamed the organization {} to {}.", name.trim(), new_name.trim());
            Ok(())
        }
        Command::Org { command: OrgCommand::Create { name, disabled, db } } => {
            let pool = db.pool().await?;
            crate::organizations::create(&pool, &name, !disabled, COMMAND_LINE)
                .await
                .map_err(|err| anyhow::anyhow!("{err}"))?;
            let state = if disabled { "off" } else { "on" };
            eprintln!("Created the organization {} (e-commerce {state}).", name.trim());
            Ok(())
        }
        Command::Org { command: OrgCommand::Limit { name, stores, users, tokens, sync_jobs, db } } => {
            let pool = db.pool().await?;
            // What is not given stays as it is.
            let org = crate::organizations::repo::named(&pool, &name).await?;
            let Some(now) = crate::organizations::repo::list(&pool).await?.into_iter().find(|o| Some(o.id) == org)
            else {
                anyhow::bail!("{}", crate::organizations::no_such(&name));
            };
            let now = now.limits;
            let limits = crate::organizations::Limits {
                max_stores: stores.map_or(now.max_stores, |l| l.0),
                max_users: users.map_or(now.max_users, |l| l.0),
                max_api_tokens: tokens.map_or(now.max_api_tokens, |l| l.0),
                max_sync_jobs: sync_jobs.map_or(now.max_sync_jobs, |l| l.0),
            };
            crate::organizations::set_limits(&pool, &name, &limits, COMMAND_LINE)
                .await
                .map_err(|err| anyhow::anyhow!("{err}"))?;
            eprintln!("Set the limits of {}.", name.trim());
            Ok(())
        }
        Command::Org { command: OrgCommand::Remove { name, confirm, db } } => {
            let pool = db.pool().await?;
            let removed = crate::organizations::remove(&pool, &name, &confirm, COMMAND_LINE)
                .await
                .map_err(|err| anyhow::anyhow!("{err}"))?;
            eprintln!(
                "Removed the organization {}: {} stores, {} users, {} API tokens and {} audit entries. Its stores' webhooks at their platforms were left; their deliveries are refused.",
                name.trim(),
                removed.stores,
                removed.users,
                removed.api_tokens,
                removed.audit_entries
            );
            Ok(())
        }
        Command::Org { command: OrgCommand::Enable { name, db } } => set_enabled(&db, &name, true).await,
        Command::Org { command: OrgCommand::Disable { name, db } } => set_enabled(&db, &name, false).await,
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let (mut shopify_base_url, mut woocommerce_base_url, mut bigcommerce_base_url) =
        (args.shopify_base_url, args.woocommerce_base_url, args.bigcommerce_base_url);
    let demo = if args.demo {
        let emulator = start_demo_emulator().await?;
        shopify_base_url = Some(emulator.url());
        woocommerce_base_url = Some(emulator.url());
        bigcommerce_base_url = Some(emulator.url());
        Some(emulator)
    } else {
        None
    };
    if args.sync_heartbeat_ms == 0 || args.sync_heartbeat_ms * 2 > args.sync_lease_ms {
        anyhow::bail!("the sync heartbeat must be at least a millisecond and at most half the lease");
    }
    let settings = Settings {
        addr: args.addr,
        database_url: args.db.database_url,
        data_dir: args.db.data_dir,
        site_root: args.site_root,
        public_url: args.public_url,
        secret_key: args.secret_key.map(Secret::new),
        platforms: platforms::Settings {
            shopify_base_url,
            shopify_timeout: Duration::from_secs(args.shopify_timeout_secs),
            woocommerce_base_url,
            woocommerce_timeout: Duration::from_secs(args.woocommerce_timeout_secs),
            woocommerce_at_once: args.woocommerce_requests_at_once.max(1),
            bigcommerce_base_url,
            bigcommerce_timeout: Duration::from_secs(args.bigcommerce_timeout_secs),
            allow_private_addresses: args.allow_private_store_addresses,
            refresh_window: Duration::from_millis(500),
        },
        run_sync: true,
        sync_interval: Duration::from_secs(args.sync_interval_secs.max(1)),
        sync_claims: Claims {
            lease: Duration::from_millis(args.sync_lease_ms),
            heartbeat: Duration::from_millis(args.sync_heartbeat_ms),
            max_jobs: args.sync_max_jobs.max(1),
        },
        trust_forwarded_for: args.trust_forwarded_for,
        housekeeping_interval: Duration::from_secs(600),
        metrics: args.metrics,
        max_connections_per_client: args.max_connections_per_client,
    };
    let app = Application::build(settings).await?;
    let url = app.state.settings.public_url.clone().unwrap_or_else(|| format!("http://{}", app.local_addr()));
    println!("storelink is listening on {url}");
    if let Some((email, password)) = ensure_first_admin(&app.state.pool).await? {
        println!("First administrator created. Sign in with:\n  email:    {email}\n  password: {password}");
        println!("(This password is shown only once. Change it by creating your own administrator.)");
    }
    if let Some(emulator) = &demo {
        println!("Demo Shopify store, served by the built-in emulator at {}:", emulator.url());
        println!("  Store URL:     demo.myshopify.com\n  API Key:       {DEMO_KEY}");
        println!("  API Password:  {DEMO_TOKEN}\n  Shared Secret: {DEMO_SECRET}");
        println!("Sign in, choose ADD STORE, then Shopify, and paste these four values.");
        println!("Or connect it as a Dev Dashboard app: Store URL as above, API Password left empty, and");
        println!("  Client ID:     {DEMO_CLIENT_ID}   (into API Key)");
        println!("  Client secret: {DEMO_CLIENT_SECRET}   (into Shared Secret)");
        println!("Demo WooCommerce store (ADD STORE, then WooCommerce):");
        println!("  Store URL:       shop.demo-outfitters.example\n  Consumer key:    {DEMO_WOO_KEY}");
        println!("  Consumer secret: {DEMO_WOO_SECRET}");
        println!("Demo BigCommerce store (ADD STORE, then BigCommerce):");
        println!("  Store URL:     shop.demo-outfitters-bc.example\n  Access Token:  {DEMO_BC_TOKEN}");
        println!("  Client ID:     {DEMO_BC_CLIENT_ID}\n  API Context:   stores/d3m0bc1");
        println!("  Client secret: {DEMO_BC_CLIENT_SECRET}");
    }
    let (engine, sender) = (app.engine.clone(), app.sender.clone());
    tokio::select! {
        served = app.run() => served?,
        () = stop_requested() => {
            // Other servers take this one's syncs over at their next look, from their checkpoints,
            // and its shipments (looking first whether a send reached Shopify).
            engine.release().await;
            sender.release().await;
            tracing::info!("stopped; this server's sync jobs and shipments are handed over");
        }
    }
    Ok(())
}

/// SIGTERM (a service manager, a container stop) or Ctrl-C.
async fn stop_requested() {
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM can be watched");
    tokio::select! {
        _ = terminate.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

async fn start_demo_emulator() -> anyhow::Result<Emulator> {
    let config = Config::from_json(
        &serde_json::json!({"shops": [{
            "handle": "demo", "name": "Demo Outfitters", "access_token": DEMO_TOKEN, "api_key": DEMO_KEY,
            "shared_secret": DEMO_SECRET, "plan": "standard", "locations": 2, "products": 200, "customers": 500,
            "orders": 2000, "seed": 42, "latency_ms": 50,
            "dev_app": {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET},
            "scopes": ["read_orders", "read_all_orders", "read_products", "read_customers", "read_locations",
                       "read_inventory", "read_merchant_managed_fulfillment_orders", "read_shipping",
                       "read_assigned_fulfillment_orders", "read_third_party_fulfillment_orders",
                       "write_merchant_managed_fulfillment_orders"]
        }],
        "woocommerce": [{
            "site": "shop.demo-outfitters.example", "name": "Demo Outfitters (WooCommerce)",
            "consumer_key": DEMO_WOO_KEY, "consumer_secret": DEMO_WOO_SECRET, "shipment_tracking": true,
            "products": 120, "customers": 300, "orders": 1000, "seed": 42, "latency_ms": 50
        }],
        "bigcommerce": [{
            "store_hash": "d3m0bc1", "name": "Demo Outfitters (BigCommerce)", "domain": "shop.demo-outfitters-bc.example",
            "access_token": DEMO_BC_TOKEN, "client_id": DEMO_BC_CLIENT_ID, "client_secret": DEMO_BC_CLIENT_SECRET,
            "scopes": {"store_information": "read", "orders": "modify", "products": "read", "customers": "read",
                       "inventory": "read", "locations": "read"},
            "products": 120, "customers": 300, "orders": 1000, "locations": 2, "seed": 42, "latency_ms": 50,
            "allow_any_destination": true
        }]})
        .to_string(),
    )?;
    Emulator::start(&config, "127.0.0.1:0".parse()?).await
}

async fn emulator(args: EmulatorArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.config)
        .map_err(|err| anyhow::anyhow!("cannot read {}: {err}", args.config.display()))?;
    let config = Config::from_json(&text)?;
    let emulator = Emulator::start(&config, args.addr).await?;
    println!("Shopify emulator listening on {}", emulator.url());
    for shop in &config.shops {
        println!("  {}.myshopify.com", shop.handle);
    }
    tokio::signal::ctrl_c().await?;
    Ok(())
}

/// Creates an administrator with a random password when the database has no active one.
async fn ensure_first_admin(pool: &db::Pool) -> anyhow::Result<Option<(String, String)>> {
    if repo::count_active_admins(pool).await? > 0 {
        return Ok(None);
    }
    let email = "admin@storelink.local".to_owned();
    let password: String = rand::thread_rng().sample_iter(&Alphanumeric).take(20).map(char::from).collect();
    let hash = password::hash(password.clone()).await?;
    // The first organization's: on a fresh installation, the only one.
    let first =
        *crate::organizations::repo::ids(pool).await?.first().ok_or_else(|| anyhow::anyhow!("no organization"))?;
    let by = crate::audit::Actor { org: first, user: None, name: COMMAND_LINE };
    match users::create(pool, &email, Role::Admin, &hash, by).await {
        Ok(_) => Ok(Some((email, password))),
        // The address exists but was demoted or deactivated: make it an active admin again.
        Err(_) => {
            repo::restore_admin(pool, &email, &hash).await?;
            Ok(Some((email, password)))
        }
    }
}

/// Opens every sealed credential with the current key and seals it again with a new one, in
/// one transaction; then writes the new key where the old one came from.
async fn rotate_key(current: Option<Secret>, db: &DbArgs) -> anyhow::Result<()> {
    let pool = db.pool().await?;
    let old = Sealer::load(current.as_ref(), &db.data_dir)?;
    let new_key = Secret::new(Sealer::random_key());
    let new = Sealer::load(Some(&new_key), &db.data_dir)?;
    let count = crate::credentials::reseal_all(&pool, &old, &new).await?;
    match current {
        Some(_) => {
            println!(
                "Re-sealed {} stores' credentials. Set STORELINK_SECRET_KEY to this new key before restarting:",
                count
            );
            println!("{}", new_key.expose());
        }
        None => {
            Sealer::replace_key_file(&db.data_dir, &new_key)?;
            println!("Re-sealed {} stores' credentials; the new key is in the data directory's secret.key.", count);
        }
    }
    Ok(())
}

/// A new account's password, from standard input (its last line break dropped), hashed.
async fn password_from_stdin() -> anyhow::Result<String> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let password = input.trim_end_matches(['\r', '\n']).to_owned();
    users::check_password_strength(&password)?;
    Ok(password::hash(password).await?)
}

async fn add_operator(db: &DbArgs, email: &str) -> anyhow::Result<()> {
    let hash = password_from_stdin().await?;
    let pool = db.pool().await?;
    let operator = crate::operators::create(&pool, email, &hash).await?;
    println!("Created the operator {}: sign in at /operator.", operator.email);
    Ok(())
}

async fn add_user(db: &DbArgs, org: &OrgArg, email: &str, role: &str) -> anyhow::Result<()> {
    let email = users::normalize_email(email)?;
    let role = Role::parse(role)?;
    let hash = password_from_stdin().await?;
    let pool = db.pool().await?;
    let user = users::create(&pool, &email, role, &hash, command_line(&pool, org).await?).await?;
    println!("Created {} ({}).", user.email, user.role.label());
    Ok(())
}

async fn list_users(db: &DbArgs, org: &OrgArg) -> anyhow::Result<()> {
    let pool = db.pool().await?;
    for user in repo::list(&pool, command_line(&pool, org).await?.org).await? {
        let status = if user.active { "active" } else { "deactivated" };
        println!("{}\t{}\t{}", user.email, user.role.as_str(), status);
    }
    Ok(())
}

async fn list_orgs(db: &DbArgs) -> anyhow::Result<()> {
    let pool = db.pool().await?;
    for org in crate::organizations::repo::list(&pool).await? {
        let state = if org.enabled { "enabled" } else { "disabled" };
        let synced = org.last_synced_at.map_or_else(
            || "never synced".to_owned(),
            |at| {
                format!(
                    "last synced {} {:02}:{:02} UTC",
                    crate::db::day_text(at),
                    at.rem_euclid(86_400) / 3600,
                    at.rem_euclid(3600) / 60
                )
            },
        );
        let of = |n: i64, max: Option<i64>| max.map_or_else(|| n.to_string(), |max| format!("{n} of {max}"));
        println!(
            "{}\t{}\t{state}\t{} stores\t{} users\t{synced}",
            org.id,
            org.name,
            of(org.stores, org.limits.max_stores),
            of(org.users, org.limits.max_users)
        );
    }
    Ok(())
}

/// Who creates and revokes tokens from the command line, as the audit log names them.
const COMMAND_LINE: &str = "command line";

/// The command line as the audit log records it, in the organization `--org` names, or in the
/// installation's one organization when it has only one.
async fn command_line(pool: &db::Pool, org: &OrgArg) -> anyhow::Result<crate::audit::Actor<'static>> {
    let org = match org.org.as_deref() {
        Some(name) => crate::organizations::repo::named(pool, name)
            .await?
            .ok_or_else(|| anyhow::anyhow!("{}", crate::organizations::no_such(name)))?,
        None => match crate::organizations::repo::ids(pool).await?[..] {
            [org] => org,
            _ => anyhow::bail!(
                "This storelink serves several organizations: say which with --org NAME (see storelink org list)."
            ),
        },
    };
    Ok(crate::audit::Actor { org, user: None, name: COMMAND_LINE })
}

async fn set_enabled(db: &DbArgs, name: &str, enabled: bool) -> anyhow::Result<()> {
    let pool = db.pool().await?;
    crate::organizations::set_enabled(&pool, name, enabled, COMMAND_LINE)
        .await
        .map_err(|err| anyhow::anyhow!("{err}"))?;
    let state = if enabled { "on" } else { "off" };
    eprintln!("E-commerce is {state} for {}.", name.trim());
    Ok(())
}

async fn create_token(db: &DbArgs, org: &OrgArg, name: &str) -> anyhow::Result<()> {
    let pool = db.pool().await?;
    let (token, secret) = crate::api_tokens::create(&pool, name, command_line(&pool, org).await?)
        .await
        .map_err(|err| anyhow::anyhow!("{err}"))?;
    eprintln!("Created API token {} “{}”. It is shown this once; storelink keeps only its hash:", token.id, token.name);
    println!("{secret}");
    Ok(())
}

async fn list_tokens(db: &DbArgs, org: &OrgArg) -> anyhow::Result<()> {
    let pool = db.pool().await?;
    for token in crate::api_tokens::list(&pool, command_line(&pool, org).await?.org).await? {
        let state = if token.revoked_at.is_some() { "revoked" } else { "live" };
        println!("{}\t{}…\t{}\t{}", token.id, token.prefix, token.name, state);
    }
    Ok(())
}

async fn revoke_token(db: &DbArgs, org: &OrgArg, id: i64) -> anyhow::Result<()> {
    let pool = db.pool().await?;
    let token = crate::api_tokens::revoke(&pool, crate::ids::ApiTokenId(id), command_line(&pool, org).await?)
        .await
        .map_err(|err| anyhow::anyhow!("{err}"))?;
    println!("Revoked API token {} “{}”.", token.id, token.name);
    Ok(())
}
