//! What every open page hears: each change to a store's sync is announced here, its snapshot is
//! read from the database once, and every progress stream gets it. Whoever changes a store's
//! job or data (the sync engine, a webhook delivery) calls [`Hub::changed`]; whoever changes the
//! store itself (registering, reconnecting, disconnecting, removing it) calls
//! [`Hub::store_changed`], so every open Stores page of its organization reads its list again. A
//! stream carries its viewer's organization's stores only.
//!
//! On SQLite (one server) an announcement goes straight to this server's streams. On
//! PostgreSQL every server announces with `NOTIFY`, carrying only the kind, the store's id, the
//! announcing server and its sequence number; every server (itself included) listens and fans
//! each announcement out to its own streams. A gap in a server's sequence numbers, or a listener
//! that had to reconnect, makes it read every snapshot again, and so does a slow poll, so a
//! page never keeps a stale bar.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use futures::{stream, StreamExt};
use server_fn::codec::TextStream;
use tokio::sync::{broadcast, mpsc};

use crate::{
    auth,
    db::{self, Pool},
    error::AppError,
    ids::{OrgId, StoreId, UserId},
    jobs::{self, Live, StoreProgress},
    ndjson, stores,
};

/// The `NOTIFY` channel the servers announce on.
const CHANNEL: &str = "storelink_progress";

/// How often every snapshot is read again on PostgreSQL, in case an announcement was lost.
const BACKSTOP: Duration = Duration::from_secs(10);

/// How often an idle progress stream sends an empty line, so proxies and load balancers that
/// close quiet connections keep it open.
const KEEPALIVE: Duration = Duration::from_secs(15);

/// What is announced.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Notice {
    /// The store's job or data changed.
    Job(StoreId),
    /// The store itself changed (it carries its organization: a removed store's row is gone).
    Store(OrgId, StoreId),
    /// Shopify says a bulk operation of the store finished.
    BulkFinished(StoreId),
    /// Sessions of this user ended (signed out, or deactivated).
    SessionsEnded(UserId),
}

impl Notice {
    fn payload(self, server: &str, seq: u64) -> String {
        let (kind, id) = match self {
            Notice::Job(id) => ("job", id.0.to_string()),
            Notice::Store(org, id) => ("store", format!("{}@{}", id.0, org.0)),
            Notice::BulkFinished(id) => ("bulk", id.0.to_string()),
            Notice::SessionsEnded(id) => ("user", id.0.to_string()),
        };
        format!("{kind} {id} {server} {seq}")
    }

    /// The notice, who sent it, and its number among that server's.
    fn parse(payload: &str) -> Option<(Notice, &str, u64)> {
        let mut parts = payload.split(' ');
        let (kind, id, server, seq) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let notice = match kind {
            "job" => Notice::Job(StoreId(id.parse().ok()?)),
            "store" => {
                let (id, org) = id.split_once('@')?;
                Notice::Store(OrgId(org.parse().ok()?), StoreId(id.parse().ok()?))
            }
            "bulk" => Notice::BulkFinished(StoreId(id.parse().ok()?)),
            "user" => Notice::SessionsEnded(UserId(id.parse().ok()?)),
            _ => return None,
        };
        Some((notice, server, seq.parse().ok()?))
    }
}

/// The announcements and the snapshots; cheap to clone, one per server.
#[derive(Clone)]
pub struct Hub {
    pool: Pool,
    /// On PostgreSQL, where announcements go to be sent to every server.
    outbox: Option<mpsc::UnboundedSender<Notice>>,
    /// A store's job changed (`None`: any might have).
    changes: broadcast::Sender<Option<StoreId>>,
    snapshots: broadcast::Sender<Arc<StoreProgress>>,
    /// Stores whose bulk operation Shopify says has finished (its `bulk_operations/finish`
    /// webhook), so a sync waiting on it polls at once.
    bulk_finished: broadcast::Sender<StoreId>,
    /// Stores that were registered, reconnected, disconnected or removed, with their organization.
    stores: broadcast::Sender<(OrgId, StoreId)>,
    /// Users some of whose sessions ended (`None`: anyone's might have).
    sessions_ended: broadcast::Sender<Option<UserId>>,
    /// Counts every change heard to any store's data: what was computed from the data at one
    /// count holds until the next.
    generation: Arc<AtomicU64>,
}

/// Who watches a stream: it lasts only as long as their session.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user_id: UserId,
    /// What the stream carries is this organization's only.
    pub org: OrgId,
    /// And of its stores, those the viewer sees.
    pub access: crate::users::StoreAccess,
    /// The session's token hash, as the database keeps it.
    pub session_hash: String,
    /// When the session runs out, in Unix seconds.
    pub expires_at: i64,
}

impl Viewer {
    /// Whether the viewer hears of this store: their organization's, and one they see.
    fn hears(&self, of: OrgId, id: StoreId) -> bool {
        of == self.org && self.access.sees(id)
    }

    /// Whether the viewer's session is live and they see the stores they saw when it began.
    async fn still_sees(&self, pool: &Pool) -> Result<bool, AppError> {
        match auth::session::user_for_hash(pool, &self.session_hash).await? {
            Some(user) => Ok(crate::users::store_access(pool, &user).await? == self.access),
            None => Ok(false),
        }
    }

    /// The progress lines of those of `latest` the viewer hears of.
    fn heard(&self, latest: Vec<StoreProgress>) -> String {
        latest.iter().filter(|p| self.hears(p.org, p.store_id)).map(ndjson::line).collect()
    }
}

impl Hub {
    /// Starts the task that turns announcements into snapshots, and on PostgreSQL the ones that
    /// send and hear them.
    pub fn start(pool: Pool) -> Hub {
        let (changes, _) = broadcast::channel(1024);
        let (snapshots, _) = broadcast::channel(1024);
        let (bulk_finished, _) = broadcast::channel(256);
        let (stores, _) = broadcast::channel(256);
        let (sessions_ended, _) = broadcast::channel(256);
        tokio::spawn(publish(pool.clone(), changes.subscribe(), snapshots.clone()));
        let mut hub = Hub {
            pool,
            outbox: None,
            changes,
            snapshots,
            bulk_finished,
            stores,
            sessions_ended,
            generation: Arc::default(),
        };
        if let Pool::Postgres(pg) = &hub.pool {
            let (outbox, notices) = mpsc::unbounded_channel();
            let server = format!("{}-{:08x}", std::process::id(), rand::random::<u32>());
            tokio::spawn(announce(pg.clone(), notices, server));
            tokio::spawn(listen(pg.clone(), hub.clone()));
            hub.outbox = Some(outbox);
        }
        hub
    }

    fn announce(&self, notice: Notice) {
        match &self.outbox {
            Some(outbox) => {
                let _ = outbox.send(notice);
            }
            None => self.hear(notice),
        }
    }

    /// Hands an announcement to this server's streams (nobody watching is fine).
    fn hear(&self, notice: Notice) {
        if matches!(notice, Notice::Job(_) | Notice::Store(..)) {
            self.generation.fetch_add(1, Ordering::SeqCst);
        }
        match notice {
            Notice::Job(id) => {
                let _ = self.changes.send(Some(id));
            }
            Notice::Store(org, id) => {
                let _ = self.stores.send((org, id));
                let _ = self.changes.send(Some(id));
            }
            Notice::BulkFinished(id) => {
                let _ = self.bulk_finished.send(id);
            }
            Notice::SessionsEnded(id) => {
                let _ = self.sessions_ended.send(Some(id));
            }
        }
    }

    /// Reads everything again: every store might have changed unheard.
    async fn hear_everything(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        match stores::repo::ids(&self.pool).await {
            Ok(ids) => {
                for (id, org) in ids {
                    let _ = self.stores.send((org, id));
                }
            }
            Err(err) => tracing::warn!(error = %err, "could not list the stores to refresh"),
        }
        let _ = self.changes.send(None);
        let _ = self.sessions_ended.send(None);
    }

    /// Shopify says one of the store's bulk operations has finished.
    pub fn bulk_finished(&self, store_id: StoreId) {
        self.announce(Notice::BulkFinished(store_id));
    }

    /// Every store whose bulk operation finished, as Shopify tells it.
    pub fn bulk_finishes(&self) -> broadcast::Receiver<StoreId> {
        self.bulk_finished.subscribe()
    }

    /// Tells every progress stream that the store's job or data changed.
    pub fn changed(&self, store_id: StoreId) {
        self.announce(Notice::Job(store_id));
    }

    /// Tells every open page of the store's organization that the store itself changed (and
    /// its sync, if it did).
    pub fn store_changed(&self, org: OrgId, store_id: StoreId) {
        self.announce(Notice::Store(org, store_id));
    }

    /// Some of the user's sessions ended, or the stores they see changed (on any server): their
    /// streams look whether theirs did, and end if so (a page opens a new one, which sees what
    /// they see now).
    pub fn sessions_ended(&self, user_id: UserId) {
        self.announce(Notice::SessionsEnded(user_id));
    }

    /// How many changes to stores' data this server has heard: read it before computing from
    /// the data, and what was computed holds while it stays the same.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Progress streams open on this server now.
    pub fn streams(&self) -> usize {
        self.snapshots.receiver_count()
    }

    /// Every store's progress snapshot as it changes.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StoreProgress>> {
        self.snapshots.subscribe()
    }

    /// Newline-delimited JSON ([`Live`] lines): the current snapshot of one store's latest job
    /// (or every store's of the viewer's organization), then one line per change, for as long as
    /// the browser listens and the viewer's session lasts: it ends when the session expires, and
    /// when the user's sessions are said to have ended (signed out, deactivated) and this one is
    /// among them. A store of another organization is never heard of.
    pub async fn stream(&self, store_id: Option<StoreId>, viewer: Viewer) -> Result<TextStream<AppError>, AppError> {
        let org = viewer.org;
        let only = move |id: StoreId| store_id.is_none_or(|watched| watched == id);
        // A progress line is the snapshot itself: `Live` is untagged.
        let first = viewer.heard(jobs::repo::latest(&self.pool, Some(org), store_id).await?);
        let left = Duration::from_secs(u64::try_from(viewer.expires_at - db::now()).unwrap_or(0));
        let watching = Watching {
            pool: self.pool.clone(),
            viewer,
            snapshots: self.subscribe(),
            stores: self.stores.subscribe(),
            ended: self.sessions_ended.subscribe(),
            expiry: Box::pin(tokio::time::sleep(left)),
        };
        let updates = stream::unfold(watching, move |mut w| async move {
            loop {
                let text = tokio::select! {
                    biased;
                    _ = &mut w.expiry => return None,
                    gone = w.ended.recv() => match gone {
                        Ok(Some(user)) if user != w.viewer.user_id => continue,
                        Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => match w.viewer.still_sees(&w.pool).await {
                            Ok(true) => continue,
                            Ok(false) => return None,
                            Err(err) => return Some((Err(err), w)),
                        },
                        Err(broadcast::error::RecvError::Closed) => return None,
                    },
                    // An empty line: readers skip it (`ndjson::Lines`).
                    _ = tokio::time::sleep(KEEPALIVE) => "\n".to_owned(),
                    changed = w.stores.recv() => match changed {
                        Ok((of, id)) if only(id) && w.viewer.hears(of, id) => ndjson::line(&Live::Store { store_changed: id }),
                        Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(broadcast::error::RecvError::Closed) => return None,
                    },
                    snapshot = w.snapshots.recv() => match snapshot {
                        Ok(snapshot) if only(snapshot.store_id) && w.viewer.hears(snapshot.org, snapshot.store_id) => ndjson::line(&*snapshot),
                        Ok(_) => continue,
                        // Fell behind: send everything watched again.
                        Err(broadcast::error::RecvError::Lagged(_)) => match jobs::repo::latest(&w.pool, Some(org), store_id).await {
                            Ok(latest) => w.viewer.heard(latest),
                            Err(err) => return Some((Err(err), w)),
                        },
                        Err(broadcast::error::RecvError::Closed) => return None,
                    },
                };
                return Some((Ok(text), w));
            }
        });
        Ok(TextStream::new(stream::once(async move { Ok(first) }).chain(updates)))
    }
}

/// What one progress stream listens to.
struct Watching {
    pool: Pool,
    viewer: Viewer,
    snapshots: broadcast::Receiver<Arc<StoreProgress>>,
    stores: broadcast::Receiver<(OrgId, StoreId)>,
    /// Users some of whose sessions ended (`None`: anyone's might have).
    ended: broadcast::Receiver<Option<UserId>>,
    /// The viewer's session runs out.
    expiry: std::pin::Pin<Box<tokio::time::Sleep>>,
}

/// Reads each changed store's snapshot once and hands it to every progress stream, so a change
/// costs one query however many browsers watch.
async fn publish(
    pool: Pool,
    mut changes: broadcast::Receiver<Option<StoreId>>,
    snapshots: broadcast::Sender<Arc<StoreProgress>>,
) {
    loop {
        let changed = match changes.recv().await {
            Ok(changed) => changed,
            // Some stores' changes were missed: publish every store.
            Err(broadcast::error::RecvError::Lagged(_)) => None,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if snapshots.receiver_count() == 0 {
            continue;
        }
        match jobs::repo::latest(&pool, None, changed).await {
            Ok(latest) => {
                for snapshot in latest {
                    let _ = snapshots.send(Arc::new(snapshot));
                }
            }
            Err(err) => tracing::warn!(error = %err, "could not read sync progress"),
        }
    }
}

/// Sends this server's announcements, one after another so they arrive in the order of their
/// sequence numbers.
async fn announce(pool: sqlx::PgPool, mut notices: mpsc::UnboundedReceiver<Notice>, server: String) {
    let mut seq = 0;
    while let Some(notice) = notices.recv().await {
        seq += 1;
        if let Err(err) = db::notify(&pool, CHANNEL, &notice.payload(&server, seq)).await {
            // The listeners see the gap and read everything again.
            tracing::warn!(error = %err, "could not announce a progress change");
        }
    }
}

/// Hears every server's announcements and hands them to this server's streams; reads
/// everything again after a reconnect, a gap, and every [`BACKSTOP`].
async fn listen(pool: sqlx::PgPool, hub: Hub) {
    let mut backstop = tokio::time::interval(BACKSTOP);
    loop {
        let mut listener = match db::listen(&pool, CHANNEL).await {
            Ok(listener) => listener,
            Err(err) => {
                tracing::warn!(error = %err, "could not listen for progress changes; trying again");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        // Whatever was announced while nobody listened.
        hub.hear_everything().await;
        let mut last: HashMap<String, u64> = HashMap::new();
        loop {
            tokio::select! {
                heard = listener.try_recv() => match heard {
                    Ok(Some(notification)) => match Notice::parse(notification.payload()) {
                        Some((notice, server, seq)) => {
                            let previous = last.insert(server.to_owned(), seq);
                            if previous.is_some_and(|previous| seq != previous + 1) {
                                hub.hear_everything().await;
                            }
                            hub.hear(notice);
                        }
                        None => tracing::warn!(payload = notification.payload(), "an announcement storelink cannot read"),
                    },
                    // The connection dropped; the listener reconnects at the next call.
                    Ok(None) => {
                        last.clear();
                        hub.hear_everything().await;
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "lost the progress listener; reconnecting");
                        break;
                    }
                },
                _ = backstop.tick() => {
                    hub.generation.fetch_add(1, Ordering::SeqCst);
                    if hub.snapshots.receiver_count() > 0 {
                        let _ = hub.changes.send(None);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_announcement_carries_ids_and_a_number_and_reads_back() {
        let notices = [
            Notice::Job(StoreId(7)),
            Notice::Store(crate::ids::OrgId(3), StoreId(8)),
            Notice::BulkFinished(StoreId(9)),
            Notice::SessionsEnded(UserId(10)),
        ];
        for notice in notices {
            let payload = notice.payload("123-abcd", 42);
            assert_eq!(Notice::parse(&payload), Some((notice, "123-abcd", 42)), "{payload}");
        }
        assert_eq!(Notice::parse("job x s 1"), None);
        assert_eq!(Notice::parse("move 1 s 1"), None);
    }

    /// A standard user with a live session, as a stream knows its viewer.
    async fn signed_in(pool: &Pool) -> Viewer {
        let mut conn = pool.acquire().await.unwrap();
        let user = crate::users::repo::create(
            &mut conn,
            crate::ids::OrgId(1),
            "viewer@example.com",
            crate::users::Role::Standard,
            "x",
        )
        .await
        .unwrap();
        let token = auth::session::create(pool, user.id).await.unwrap();
        let session_hash = auth::session::token_hash(&token);
        let expires_at = auth::session::expires_at(pool, &session_hash).await.unwrap().unwrap();
        Viewer { user_id: user.id, org: user.org, access: Default::default(), session_hash, expires_at }
    }

    /// A proxy closes a connection that stays quiet too long; an idle stream speaks first.
    #[tokio::test]
    async fn an_idle_progress_stream_sends_an_empty_line_at_every_keepalive() {
        let dir = tempfile::tempdir().unwrap();
        let pool = db::fixtures::pool(&dir).await;
        let store = db::fixtures::connected_store(&pool).await;
        let postgres = pool.is_postgres();
        let viewer = signed_in(&pool).await;
        let hub = Hub::start(pool);
        let mut lines = hub.stream(Some(store), viewer).await.unwrap().into_inner();
        assert_eq!(lines.next().await.unwrap().unwrap(), "", "no job yet: nothing to show");

        let changed = format!("\"store_changed\":{store}");
        // When the stream last spoke: a keepalive is due that long after.
        let mut spoke = tokio::time::Instant::now();
        if postgres {
            // The listener reads every store again (and looks at every session) when it
            // connects, on the database's real time: let it, before the clock stops. A change
            // heard through the database shows it is listening.
            hub.store_changed(crate::ids::OrgId(1), store);
            let line = lines.next().await.unwrap().unwrap();
            assert!(line.contains(&changed), "{line}");
            spoke = tokio::time::Instant::now();
            while let Ok(Some(line)) = tokio::time::timeout(Duration::from_millis(500), lines.next()).await {
                assert!(line.unwrap().contains(&changed));
                spoke = tokio::time::Instant::now();
            }
        }
        // From here the clock moves only when every task waits, straight to the next timer.
        tokio::time::pause();
        let mut keepalives = 0;
        while keepalives < 2 {
            let line = lines.next().await.unwrap().unwrap();
            assert_eq!(line, "\n");
            assert!(spoke.elapsed() >= KEEPALIVE, "not before the keepalive is due: {:?}", spoke.elapsed());
            spoke = tokio::time::Instant::now();
            keepalives += 1;
        }
        // A change still comes through between keepalives (on PostgreSQL by way of the
        // database, in real time).
        tokio::time::resume();
        hub.store_changed(crate::ids::OrgId(1), store);
        let line = lines.next().await.unwrap().unwrap();
        assert!(line.contains(&changed), "{line}");
    }
}
