//! What every platform's client shares: its connections. By default a call reaches only public
//! addresses, so a store address (typed by an administrator, or answered by a platform) can never
//! point storelink at this machine or its network.

use std::{net::IpAddr, sync::Arc, time::Duration};

use rand::Rng;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// How long a call that failed for a passing reason waits before its next try: 250 ms doubling
/// per attempt, capped at 8 s, with up to 50 % jitter.
pub fn backoff(attempt: u32) -> Duration {
    let base = 250u64.saturating_mul(1 << attempt.min(5)).min(8_000);
    Duration::from_millis(base + rand::thread_rng().gen_range(0..=base / 2))
}

/// A client builder with storelink's name, a connect timeout, and (`public_only`) the resolver
/// that refuses every address that is not public.
pub fn builder(timeout: Duration, public_only: bool) -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder().connect_timeout(Duration::from_secs(5).min(timeout)).user_agent(concat!(
        "storelink/",
        env!("CARGO_PKG_VERSION"),
        " (shipping desk store connector)"
    ));
    match public_only {
        true => builder.dns_resolver(Arc::new(PublicOnly)),
        false => builder,
    }
}

/// Resolves names like the system does, then drops loopback, private and link-local
/// addresses, so a store's name can never be pointed at this machine or its network.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = format!("{}:443", name.as_str());
            let addrs: Vec<_> = tokio::net::lookup_host(host).await?.filter(|a| is_public(a.ip())).collect();
            if addrs.is_empty() {
                return Err("the address is not public".into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Whether `ip` is on the public internet: not loopback, private, link-local, shared (CGNAT),
/// multicast, reserved or documentation space, in IPv4 or IPv6, and not an IPv4 address wrapped
/// in IPv6 (`::ffff:10.0.0.1`) that would be any of those.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let first = v6.segments()[0];
            let embeds_v4 = v6.segments()[..6] == [0; 6] || v6.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
            if embeds_v4 {
                // IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) addresses reach the
                // IPv4 address they carry.
                let [.., a, b] = v6.segments();
                let v4 = std::net::Ipv4Addr::from(((a as u32) << 16) | b as u32);
                return !v6.is_unspecified() && !v6.is_loopback() && is_public_v4(v4);
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (first & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
                || (first == 0x2001 && v6.segments()[1] == 0x0db8)) // documentation
        }
    }
}

fn is_public_v4(v4: std::net::Ipv4Addr) -> bool {
    let [a, b, c, _] = v4.octets();
    !(v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_documentation()
        || a == 0 // "this network" 0.0.0.0/8
        || (a == 100 && (b & 0xc0) == 64) // shared address space 100.64.0.0/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments 192.0.0.0/24
        || (a == 198 && (b & 0xfe) == 18) // benchmarking 198.18.0.0/15
        || a >= 240) // reserved 240.0.0.0/4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_bounded() {
        assert!(backoff(1) >= Duration::from_millis(500));
        assert!(backoff(20) <= Duration::from_millis(12_000));
    }

    #[test]
    fn only_public_addresses_are_dialled() {
        let refused = [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.4",
            "169.254.1.1",
            "0.0.0.0",
            "0.1.2.3",
            "100.64.0.1",
            "100.127.255.254",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.2.10",
            "198.18.0.1",
            "::1",
            "::",
            "fd00::1",
            "fc00::1",
            "fe80::1",
            "febf::1",
            "ff02::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::10.0.0.1",
            "64:ff9b::10.0.0.1",
            "2001:db8::1",
        ];
        for address in refused {
            assert!(!is_public(address.parse().unwrap()), "{address} must be refused");
        }
        let public = ["23.227.38.65", "100.128.0.1", "8.8.8.8", "2620:127:f00f::1", "::ffff:23.227.38.65"];
        for address in public {
            assert!(is_public(address.parse().unwrap()), "{address} is public");
        }
    }
}
