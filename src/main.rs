#[tokio::main]
async fn main() -> anyhow::Result<()> {
    storelink::cli::run().await
}
