//! Facts a diagnosis can take from the user's artefacts when not given directly.

use std::net::IpAddr;

/// The sending IP named in a rejection text, as receivers often write it:
/// Gmail "with the ip: [198.51.100.25]", Microsoft "[198.51.100.25]" after "sending IP",
/// Spamhaus-style "Client host [198.51.100.25] blocked". Returns the first public-looking
/// candidate that follows an IP-ish keyword.
pub fn sending_ip_in_text(text: &str) -> Option<IpAddr> {
    let lower = text.to_ascii_lowercase();
    const KEYS: [&str; 7] = ["ip:", "ip address", "sending ip", "client host", "client ip", "connecting ip", "ip ["];
    for key in KEYS {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(key) {
            let start = from + pos + key.len();
            if let Some(ip) = first_ip(&text[start..(start + 64).min(text.len())]) {
                return Some(ip);
            }
            from = start;
        }
    }
    None
}

fn first_ip(s: &str) -> Option<IpAddr> {
    s.split(|c: char| !(c.is_ascii_hexdigit() || c == '.' || c == ':'))
        .filter(|t| t.len() >= 3)
        .find_map(|t| t.trim_matches(|c| c == '.' || c == ':').parse::<IpAddr>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ips_in_replies() {
        let gmail = "550-5.7.26 The MAIL FROM domain [shop.example] has an SPF record with a hard fail policy (-all) but it fails to pass SPF checks with the ip: [198.51.100.25]. To best protect";
        assert_eq!(sending_ip_in_text(gmail), "198.51.100.25".parse().ok());
        assert_eq!(sending_ip_in_text("554 5.7.1 Service unavailable; Client host [203.0.113.9] blocked using zen.spamhaus.org"), "203.0.113.9".parse().ok());
        assert_eq!(sending_ip_in_text("SPF did not pass with ip: 2001:db8::25 here"), "2001:db8::25".parse().ok());
        assert_eq!(sending_ip_in_text("550 5.1.1 user unknown"), None);
        assert_eq!(sending_ip_in_text("ip: [not an address]"), None);
    }
}
