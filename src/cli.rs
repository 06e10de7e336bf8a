//! The `storelink` command line: `serve`, `user add`, `user list`.

use std::{io::Read, net::SocketAddr, path::PathBuf};

use clap::{Args, Parser, Subcommand};
use rand::{distributions::Alphanumeric, Rng};

use crate::{
    auth::password,
    server::{db, Application, Settings},
    users::{self, repo, Role},
};

#[derive(Parser)]
#[command(name = "storelink", version, about = "Connect online stores to a shipping desk")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server.
    Serve(ServeArgs),
    /// Run the Shopify Admin API emulator (for the demo, tests and benchmarks).
    Emulator(EmulatorArgs),
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
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
        db: DbArgs,
    },
    /// List the users.
    List {
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
        std::fs::create_dir_all(&self.data_dir)?;
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
    #[command(flatten)]
    db: DbArgs,
}

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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "storelink=info,warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve(args) => serve(args).await,
        Command::Emulator(args) => emulator(args).await,
        Command::User { command: UserCommand::Add { email, role, db } } => add_user(&db, &email, &role).await,
        Command::User { command: UserCommand::List { db } } => list_users(&db).await,
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let settings = Settings {
        addr: args.addr,
        database_url: args.db.database_url,
        data_dir: args.db.data_dir,
        site_root: args.site_root,
        public_url: args.public_url,
    };
    let app = Application::build(settings).await?;
    let url = app.state.settings.public_url.clone().unwrap_or_else(|| format!("http://{}", app.local_addr()));
    println!("storelink is listening on {url}");
    if let Some((email, password)) = ensure_first_admin(&app.state.pool).await? {
        println!("First administrator created. Sign in with:\n  email:    {email}\n  password: {password}");
        println!("(This password is shown only once. Change it by creating your own administrator.)");
    }
    app.run().await?;
    Ok(())
}

async fn emulator(args: EmulatorArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.config)
        .map_err(|err| anyhow::anyhow!("cannot read {}: {err}", args.config.display()))?;
    let config = crate::emulator::config::Config::from_json(&text)?;
    let emulator = crate::emulator::Emulator::start(&config, args.addr).await?;
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
    match repo::create(pool, &email, Role::Admin, &hash).await {
        Ok(_) => Ok(Some((email, password))),
        // The address exists but was demoted or deactivated: make it an active admin again.
        Err(_) => {
            sqlx::query("UPDATE users SET role = 'admin', active = 1, password_hash = ? WHERE email = ?")
                .bind(&hash)
                .bind(&email)
                .execute(pool)
                .await?;
            Ok(Some((email, password)))
        }
    }
}

async fn add_user(db: &DbArgs, email: &str, role: &str) -> anyhow::Result<()> {
    let email = users::normalize_email(email)?;
    let role = Role::parse(role)?;
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let password = input.trim_end_matches(['\r', '\n']).to_owned();
    users::check_password_strength(&password)?;
    let pool = db.pool().await?;
    let hash = password::hash(password).await?;
    let user = repo::create(&pool, &email, role, &hash).await?;
    println!("Created {} ({}).", user.email, user.role.label());
    Ok(())
}

async fn list_users(db: &DbArgs) -> anyhow::Result<()> {
    let pool = db.pool().await?;
    for user in repo::list(&pool).await? {
        let status = if user.active { "active" } else { "deactivated" };
        println!("{}\t{}\t{}", user.email, user.role.as_str(), status);
    }
    Ok(())
}
