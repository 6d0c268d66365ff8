//! Exact category, vendor and rule for receiver texts whose wording alone must decide:
//! Postfix restriction texts (reverse hostname, client access, unlisted sender), bare
//! Microsoft 365 texts and Yahoo's bracketed codes. Postfix texts: smtpd_check.c of
//! Postfix 3.7 (reject_unknown_client_hostname, reject_unknown_reverse_client_hostname,
//! check_client_access REJECT, reject_unlisted_sender).

use mailsleuth::reply::explain;

const MS: &str = "Microsoft 365 / Outlook";
const YAHOO: &str = "Yahoo / AOL";

/// (reply text, cause, vendor, rule)
const CASES: &[(&str, &str, Option<&str>, Option<&str>)] = &[
    // Postfix reject_unknown_reverse_client_hostname / reject_unknown_client_hostname.
    ("450 4.7.1 Client host rejected: cannot find your reverse hostname, [198.51.100.9]", "reverse-dns", Some("Postfix"), Some("rdns")),
    ("450 4.7.25 Client host rejected: cannot find your reverse hostname, [198.51.100.9]", "reverse-dns", Some("Postfix"), Some("rdns")),
    ("450 4.7.25 Client host rejected: cannot find your hostname, [198.51.100.9]", "reverse-dns", Some("Postfix"), Some("rdns")),
    ("450 4.7.1 Client host rejected: cannot find your hostname, [198.51.100.9]", "reverse-dns", Some("Postfix"), Some("rdns")),
    // check_client_access REJECT: a local access table, not a blocklist.
    ("554 5.7.1 <unknown[198.51.100.9]>: Client host rejected: Access denied", "policy", Some("Postfix"), Some("client-access")),
    // A DNSBL named in the reply is still a listing.
    ("554 5.7.1 Service unavailable; Client host [198.51.100.9] blocked using zen.spamhaus.org", "reputation", Some("Postfix"), Some("blocklist")),
    // reject_unlisted_sender: the sender address, not the recipient.
    ("550 5.1.0 <bob@example.com>: Sender address rejected: User unknown in virtual mailbox table", "sender-verify-failed", Some("Postfix"), Some("unlisted-sender")),
    ("550 5.1.0 <bob@example.com>: Sender address rejected: User unknown in local recipient table", "sender-verify-failed", Some("Postfix"), Some("unlisted-sender")),
    ("550 5.1.0 <bob@example.com>: Sender address rejected: User unknown in relay recipient table", "sender-verify-failed", Some("Postfix"), Some("unlisted-sender")),
    // Recipients stay recipients.
    ("550 5.1.1 <carol@example.com>: Recipient address rejected: User unknown in virtual mailbox table", "not-sender-problem", Some("Postfix"), Some("recipient")),
    // Bare Microsoft 365 texts (no host name, no URL).
    ("550 5.7.509 Access denied, sending domain example.com does not pass DMARC verification and has a DMARC policy of reject.", "dmarc", Some(MS), Some("dmarc")),
    ("550 5.7.515 Access denied, sending domain example.com doesn't meet the required authentication level.", "authentication", Some(MS), Some("ms-auth-level")),
    ("550 5.7.23 The message was rejected because of Sender Policy Framework violation", "spf", Some(MS), Some("spf")),
    ("530 5.7.57 Client not authenticated to send mail. Error: 535 5.7.3 Authentication unsuccessful", "tls-or-auth-required", Some(MS), Some("auth-required")),
    ("550 5.7.60 SMTP; Client does not have permissions to send as this sender", "send-as-denied", Some(MS), Some("ms-sendas")),
    ("554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message", "send-as-denied", Some(MS), Some("ms-sendas")),
    // Yahoo's bracketed codes name Yahoo.
    ("421 4.7.0 [TSS04] Messages from 198.51.100.9 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1", "reputation", Some(YAHOO), Some("yahoo-complaints")),
    ("553 5.7.1 [BL21] Connections will not be accepted from 198.51.100.9, because the ip is in Spamhaus's list", "reputation", Some(YAHOO), Some("blocklist")),
    ("421 4.7.0 [GL01] Message from (198.51.100.9) temporarily deferred - 4.16.50", "rate-limit", Some(YAHOO), Some("rate-limit")),
    // Not Microsoft: the RFC 7372 code 5.7.23 from policyd-spf (Postfix lab).
    ("550 5.7.23 <postmaster@example.test>: Recipient address rejected: Message rejected due to: SPF fail - not authorized.", "spf", Some("Postfix"), Some("spf")),
];

#[test]
fn exact_category_vendor_and_rule() {
    let mut wrong = Vec::new();
    for (text, cause, vendor, rule) in CASES {
        let x = explain(text);
        let got = (x.cause.as_str(), x.vendor, x.rule);
        if got != (*cause, *vendor, *rule) {
            wrong.push(format!("{text}\n  want {:?}\n  got  {got:?}", (cause, vendor, rule)));
        }
    }
    assert!(wrong.is_empty(), "{} of {} wrong:\n{}", wrong.len(), CASES.len(), wrong.join("\n"));
}

#[test]
fn client_access_does_not_claim_a_listing() {
    let x = explain("554 5.7.1 <unknown[198.51.100.9]>: Client host rejected: Access denied");
    let note = x.note.expect("a note on what the rule means");
    assert!(note.contains("access table"), "{note}");
    assert!(!x.cause_summary.contains("blocklisted"), "{}", x.cause_summary);
    let x = explain("550 5.1.0 <bob@example.com>: Sender address rejected: User unknown in virtual mailbox table");
    assert!(x.sender_side);
    assert!(x.note.is_some_and(|n| n.contains("reject_unlisted_sender")));
}
