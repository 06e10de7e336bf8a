//! Serving connections under limits that keep one client from holding the server: a request's
//! header must arrive within [`HEADER_READ`] (on a kept-alive connection the wait for the next
//! request counts too, so an idle connection is closed as well), one client address holds at most
//! so many connections at once (more are closed as they arrive), and the process may open as
//! many files as the system lets it. A stream being answered (the progress stream) is never cut:
//! the limits apply while the server waits for a client, not while it sends.

use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{extract::ConnectInfo, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tower::ServiceExt;

/// How long a client may take to send a request's header, or to start the next one.
pub const HEADER_READ: Duration = Duration::from_secs(10);

/// Connections open per client network (see [`crate::auth::throttle::network`]).
#[derive(Clone, Default)]
struct Open {
    counts: Arc<Mutex<HashMap<String, usize>>>,
}

/// One connection's place among its client's, given back when it closes.
struct Place {
    open: Open,
    client: String,
}

impl Open {
    /// A place for a new connection from `client`, unless it holds `limit` already (0: no limit).
    fn admit(&self, client: IpAddr, limit: usize) -> Option<Place> {
        let client = crate::auth::throttle::network(client);
        let mut counts = self.counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = counts.entry(client.clone()).or_default();
        if limit > 0 && *count >= limit {
            return None;
        }
        *count += 1;
        Some(Place { open: self.clone(), client })
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut counts = self.open.counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = counts.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.client);
            }
        }
    }
}

/// Accepts connections on `listener` for ever and serves each with `router` (HTTP/1.1, which
/// browsers and proxies speak to an application server), the peer's address in every request's
/// [`ConnectInfo`]; at most `per_client` at once from one client address (0: no limit).
pub async fn serve(listener: TcpListener, router: Router, per_client: usize) -> std::io::Result<()> {
    let open = Open::default();
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of file descriptors, or a connection reset before it was taken: the listener
            // itself is fine; wait a moment rather than spin.
            Err(err) => {
                tracing::warn!(error = %err, "could not accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some(place) = open.admit(peer.ip(), per_client) else {
            crate::metrics::CONNECTIONS_REFUSED.inc();
            continue;
        };
        let service = router.clone().map_request(move |mut request: axum::extract::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            request.map(axum::body::Body::new)
        });
        tokio::spawn(async move {
            let _place = place;
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ)
                .serve_connection(TokioIo::new(stream), hyper_util::service::TowerToHyperService::new(service))
                .with_upgrades();
            if let Err(err) = connection.await {
                tracing::debug!(error = %err, %peer, "a connection ended with an error");
            }
        });
    }
}

/// Raises this process's limit of open files to the most the system allows it, so a crowd of
/// connections meets the per-client limit and the header timeout before it meets this one.
/// The limits before and after, or `None` when they cannot be read.
pub fn raise_open_file_limit() -> Option<(u64, u64)> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit only read and write the struct they are given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        let before = limit.rlim_cur;
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Some((before, before));
            }
        }
        Some((before, limit.rlim_cur))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_holds_at_most_its_share_and_gets_each_place_back() {
        let open = Open::default();
        let client: IpAddr = "203.0.113.9".parse().unwrap();
        let other: IpAddr = "203.0.113.10".parse().unwrap();
        let held: Vec<Place> = (0..3).map(|_| open.admit(client, 3).expect("within the limit")).collect();
        assert!(open.admit(client, 3).is_none(), "a fourth is refused");
        assert!(open.admit(other, 3).is_some(), "another client is not");
        // The same client arriving IPv4-mapped is the same client.
        assert!(open.admit("::ffff:203.0.113.9".parse().unwrap(), 3).is_none());
        drop(held);
        assert!(open.admit(client, 3).is_some(), "closed connections give their places back");
        let unlimited: Vec<Place> = (0..100).filter_map(|_| open.admit(client, 0)).collect();
        assert_eq!(unlimited.len(), 100, "0: no limit");
    }

    #[test]
    fn the_open_file_limit_is_raised_to_what_the_system_allows() {
        let (before, after) = raise_open_file_limit().expect("the limit can be read");
        assert!(after >= before);
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: as above.
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
        assert_eq!(limit.rlim_cur, limit.rlim_max);
    }
}
