//! What kind of address the sending IP is, and its reverse-DNS name.
//!
//! A blocklist or PTR result for 10.0.0.1 means nothing: receivers on the internet
//! never see private, loopback or link-local addresses, so the report says so
//! instead of pretending to check them. Documentation ranges (RFC 5737, RFC 3849)
//! are checked normally (they are what test worlds use) but flagged.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;

/// The class of an address, as far as internet mail is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IpClass {
    /// Globally routable: every check means something.
    Public,
    /// Documentation / example ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32).
    Documentation,
    /// RFC 1918 private, RFC 4193 unique local (fc00::/7).
    Private,
    /// RFC 6598 shared address space (carrier-grade NAT, 100.64.0.0/10).
    SharedCgn,
    Loopback,
    LinkLocal,
    Unspecified,
    Multicast,
    Broadcast,
    /// Anything else IANA reserves (0/8, 240/4, 198.18/15, 192.0.0/24, ...).
    Reserved,
}

impl IpClass {
    /// Receivers on the internet can never see mail from this address.
    pub fn is_unroutable(self) -> bool {
        !matches!(self, IpClass::Public | IpClass::Documentation)
    }
    pub fn describe(self) -> &'static str {
        match self {
            IpClass::Public => "public address",
            IpClass::Documentation => "documentation range (RFC 5737 / RFC 3849), not routable on the internet",
            IpClass::Private => "private address (RFC 1918 / RFC 4193)",
            IpClass::SharedCgn => "carrier-grade NAT shared space (RFC 6598, 100.64.0.0/10)",
            IpClass::Loopback => "loopback address",
            IpClass::LinkLocal => "link-local address",
            IpClass::Unspecified => "unspecified address",
            IpClass::Multicast => "multicast address",
            IpClass::Broadcast => "broadcast address",
            IpClass::Reserved => "IANA-reserved address",
        }
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], bits: u32) -> bool {
    let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
    (u32::from(ip) & mask) == (u32::from(Ipv4Addr::from(net)) & mask)
}

fn in_v6(ip: Ipv6Addr, net: Ipv6Addr, bits: u32) -> bool {
    let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
    (u128::from(ip) & mask) == (u128::from(net) & mask)
}

pub fn classify_v4(ip: Ipv4Addr) -> IpClass {
    let o = ip.octets();
    if ip.is_unspecified() {
        IpClass::Unspecified
    } else if ip.is_broadcast() {
        IpClass::Broadcast
    } else if o[0] == 127 {
        IpClass::Loopback
    } else if in_v4(ip, [10, 0, 0, 0], 8) || in_v4(ip, [172, 16, 0, 0], 12) || in_v4(ip, [192, 168, 0, 0], 16) {
        IpClass::Private
    } else if in_v4(ip, [100, 64, 0, 0], 10) {
        IpClass::SharedCgn
    } else if in_v4(ip, [169, 254, 0, 0], 16) {
        IpClass::LinkLocal
    } else if in_v4(ip, [192, 0, 2, 0], 24) || in_v4(ip, [198, 51, 100, 0], 24) || in_v4(ip, [203, 0, 113, 0], 24) {
        IpClass::Documentation
    } else if in_v4(ip, [224, 0, 0, 0], 4) {
        IpClass::Multicast
    } else if o[0] == 0 || in_v4(ip, [240, 0, 0, 0], 4) || in_v4(ip, [198, 18, 0, 0], 15) || in_v4(ip, [192, 0, 0, 0], 24) {
        IpClass::Reserved
    } else {
        IpClass::Public
    }
}

pub fn classify(ip: IpAddr) -> IpClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => {
            // An IPv4-mapped address (::ffff:a.b.c.d) is the IPv4 sender.
            if let Some(v4) = v6.to_ipv4_mapped() {
                return classify_v4(v4);
            }
            if v6.is_unspecified() {
                IpClass::Unspecified
            } else if v6.is_loopback() {
                IpClass::Loopback
            } else if v6.is_multicast() {
                IpClass::Multicast
            } else if in_v6(v6, "fe80::".parse().expect("literal"), 10) {
                IpClass::LinkLocal
            } else if in_v6(v6, "fc00::".parse().expect("literal"), 7) {
                IpClass::Private
            } else if in_v6(v6, "2001:db8::".parse().expect("literal"), 32) {
                IpClass::Documentation
            } else if in_v6(v6, "2000::".parse().expect("literal"), 3) {
                IpClass::Public
            } else {
                IpClass::Reserved
            }
        }
    }
}

/// Collapse an IPv4-mapped IPv6 address to the IPv4 address it carries.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// The reversed labels used by reverse DNS and DNSBLs, without a suffix:
/// `25.100.51.198` for 198.51.100.25, 32 nibbles for IPv6 (RFC 3596 §2.5, RFC 5782 §2.4).
pub fn reversed_labels(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let mut parts = Vec::with_capacity(32);
            for byte in v6.octets().iter().rev() {
                parts.push(format!("{:x}", byte & 0x0f));
                parts.push(format!("{:x}", byte >> 4));
            }
            parts.join(".")
        }
    }
}

/// The PTR owner name: `25.100.51.198.in-addr.arpa` or `<nibbles>.ip6.arpa`.
pub fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(_) => format!("{}.in-addr.arpa", reversed_labels(ip)),
        IpAddr::V6(_) => format!("{}.ip6.arpa", reversed_labels(ip)),
    }
}

/// Parse an IP given by a user: plain, or bracketed (`[192.0.2.1]`, `[IPv6:2001:db8::1]`).
pub fn parse_ip(text: &str) -> Result<IpAddr, String> {
    let t = text.trim();
    let inner = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')).unwrap_or(t);
    let inner = inner.strip_prefix("IPv6:").or_else(|| inner.strip_prefix("ipv6:")).unwrap_or(inner);
    inner.parse::<IpAddr>().map(canonical).map_err(|_| {
        let shown: String = t.chars().take(60).collect();
        format!("{shown:?} is not an IPv4 or IPv6 address")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        let c = |s: &str| classify(s.parse().unwrap());
        assert_eq!(c("10.0.0.1"), IpClass::Private);
        assert_eq!(c("172.31.255.1"), IpClass::Private);
        assert_eq!(c("172.32.0.1"), IpClass::Public);
        assert_eq!(c("192.168.1.1"), IpClass::Private);
        assert_eq!(c("100.64.1.1"), IpClass::SharedCgn);
        assert_eq!(c("127.0.0.2"), IpClass::Loopback);
        assert_eq!(c("169.254.0.9"), IpClass::LinkLocal);
        assert_eq!(c("198.51.100.25"), IpClass::Documentation);
        assert_eq!(c("8.8.8.8"), IpClass::Public);
        assert_eq!(c("240.0.0.1"), IpClass::Reserved);
        assert_eq!(c("255.255.255.255"), IpClass::Broadcast);
        assert_eq!(c("::1"), IpClass::Loopback);
        assert_eq!(c("fd00::1"), IpClass::Private);
        assert_eq!(c("fe80::1"), IpClass::LinkLocal);
        assert_eq!(c("2001:db8::25"), IpClass::Documentation);
        assert_eq!(c("2a00:1450::1"), IpClass::Public);
        assert_eq!(c("::ffff:10.1.2.3"), IpClass::Private);
    }

    #[test]
    fn reverse_names() {
        assert_eq!(reverse_name("198.51.100.25".parse().unwrap()), "25.100.51.198.in-addr.arpa");
        assert_eq!(
            reverse_name("2001:db8::567:89ab".parse().unwrap()),
            "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
        );
    }

    #[test]
    fn parse_forms() {
        assert_eq!(parse_ip("[192.0.2.1]").unwrap(), "192.0.2.1".parse::<IpAddr>().unwrap());
        assert_eq!(parse_ip("[IPv6:2001:db8::1]").unwrap(), "2001:db8::1".parse::<IpAddr>().unwrap());
        assert_eq!(parse_ip("::ffff:192.0.2.1").unwrap(), "192.0.2.1".parse::<IpAddr>().unwrap());
        assert!(parse_ip("300.1.1.1").unwrap_err().contains("not an IPv4"));
        assert!(parse_ip("").is_err());
    }
}
