//! Findings about the sender address itself: what a receiver's parser would say.

use super::parse::{parse_input, Domain};
use crate::finding::{Finding, Fix, Severity};

/// Findings for the raw sender text (syntax, limits, non-FQDN, literals, SMTPUTF8, IDN).
pub fn check(raw: &str) -> Vec<Finding> {
    let mailbox = match parse_input(raw) {
        Ok(m) => m,
        Err(e) => {
            let pointer = format!("{}{}", " ".repeat(e.position.min(raw.chars().count())), "^");
            let mut f = Finding::new("address.syntax", Severity::Error, format!("The sender address is not valid: {}", e.reason))
                .evidence(format!("address: {raw}"))
                .evidence(format!("         {pointer} position {}", e.position))
                .detail("Receivers reject a malformed MAIL FROM outright (Postfix: 501 5.1.7 Bad sender address syntax; a bare name draws 504 5.5.2 need fully-qualified address).")
                .subject(raw);
            f = f.fix(Fix::setting("Send from a valid address of the form local-part@domain (RFC 5321 §4.1.2); check the application's configured From/Return-Path."));
            return vec![f];
        }
    };
    let mut out = Vec::new();
    let shown = mailbox.to_ascii_string();
    match &mailbox.domain {
        Domain::Literal { ip } => out.push(
            Finding::new("address.literal", Severity::Warning, format!("The sender domain is an address literal ([{ip}])"))
                .evidence(format!("address: {shown}"))
                .detail("Most receivers reject address-literal senders: there is no domain to check SPF, DMARC or the MX against.")
                .fix(Fix::setting("Send from an address at a registered domain."))
                .subject(shown.clone()),
        ),
        Domain::Name { ascii, unicode } => {
            if !ascii.contains('.') {
                out.push(
                    Finding::new("address.non-fqdn", Severity::Error, format!("The sender domain \"{ascii}\" is not fully qualified"))
                        .evidence(format!("address: {shown}"))
                        .detail("Receivers with reject_non_fqdn_sender (Postfix) answer 504 5.5.2 <...>: Sender address rejected: need fully-qualified address.")
                        .fix(Fix::setting(format!("Use the full domain (e.g. user@{ascii}.example.com): set the application's sender domain or Postfix myorigin.")))
                        .subject(ascii.clone()),
                );
            }
            if mailbox.idn {
                out.push(
                    Finding::new("address.idn", Severity::Info, format!("Internationalised domain {unicode} is {ascii} on the wire"))
                        .evidence(format!("address: {raw}"))
                        .subject(ascii.clone()),
                );
            }
        }
    }
    if mailbox.needs_smtputf8 {
        out.push(
            Finding::new("address.smtputf8", Severity::Warning, "The local part is not ASCII: every server on the path must support SMTPUTF8")
                .evidence(format!("local part: {}", mailbox.local))
                .detail("RFC 6531: a server without the SMTPUTF8 extension must refuse this sender (e.g. 553 5.6.7 or 550 5.6.7).")
                .fix(Fix::setting("Use an ASCII local part, or make sure the receiving servers advertise SMTPUTF8."))
                .subject(shown.clone()),
        );
    }
    if out.iter().all(|f| f.severity < Severity::Warning) {
        out.insert(0, Finding::new("address.ok", Severity::Ok, format!("{shown} is a valid RFC 5321 address")).subject(shown));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(raw: &str) -> Vec<(String, Severity)> {
        check(raw).into_iter().map(|f| (f.id, f.severity)).collect()
    }

    #[test]
    fn each_finding() {
        assert_eq!(ids("billing@shop.example"), vec![("address.ok".into(), Severity::Ok)]);
        assert_eq!(ids("billing@shop_example.com"), vec![("address.syntax".into(), Severity::Error)]);
        assert_eq!(ids("billing@localhost"), vec![("address.non-fqdn".into(), Severity::Error)]);
        assert_eq!(ids("billing@[192.0.2.1]"), vec![("address.literal".into(), Severity::Warning)]);
        assert_eq!(ids("jörg@shop.example"), vec![("address.smtputf8".into(), Severity::Warning)]);
        assert_eq!(
            ids("info@bücher.example"),
            vec![("address.ok".into(), Severity::Ok), ("address.idn".into(), Severity::Info)]
        );
    }

    #[test]
    fn syntax_error_points_at_the_position() {
        let f = &check("a@ex_ample.com")[0];
        assert!(f.evidence[1].contains("    ^ position 4"), "{:?}", f.evidence);
    }
}
