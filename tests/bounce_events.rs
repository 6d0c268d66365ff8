//! ESP event JSON: each provider's documented shape, detected automatically and
//! normalised, explained, and usable by `diagnose --bounce`.

use std::path::PathBuf;

use mailsleuth::bounce::events;
use mailsleuth::reply::Cause;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/events").join(name)
}

fn load(name: &str) -> Vec<events::Event> {
    events::parse(&std::fs::read(fixture(name)).unwrap()).unwrap()
}

#[test]
fn ses_sns_notification() {
    let e = load("ses-sns-bounce.json");
    assert_eq!(e.len(), 1);
    let e = &e[0];
    assert_eq!(e.provider, "ses");
    assert_eq!(e.recipient, "alice@example.org");
    assert_eq!(e.sender.as_deref(), Some("bounces@mail.shop.example"));
    assert_eq!(e.from_header.as_deref(), Some("billing@shop.example"));
    assert_eq!(e.status.map(|s| s.to_string()).as_deref(), Some("5.7.26"));
    assert_eq!(e.reply_code, Some(550));
    assert_eq!(e.permanence, Some("permanent"));
    assert_eq!(e.explanation.as_ref().unwrap().cause, Cause::Dmarc);
}

#[test]
fn sendgrid_skips_delivered() {
    let e = load("sendgrid-webhook.json");
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].provider, "sendgrid");
    assert_eq!(e[0].recipient, "dave@example.com");
    assert_eq!(e[0].explanation.as_ref().unwrap().cause, Cause::Reputation);
}

#[test]
fn mailgun_webhook() {
    let e = &load("mailgun-webhook.json")[0];
    assert_eq!(e.provider, "mailgun");
    assert_eq!(e.reply_code, Some(553));
    assert_eq!(e.remote_host.as_deref(), Some("smtp.partner.example"));
    assert_eq!(e.sender.as_deref(), Some("bounce+a1b2c3@mg.shop.example"));
    assert_eq!(e.from_header.as_deref(), Some("news@shop.example"));
    assert_eq!(e.explanation.as_ref().unwrap().cause, Cause::SendAsDenied);
}

#[test]
fn postmark_bounce() {
    let e = &load("postmark-bounce.json")[0];
    assert_eq!(e.provider, "postmark");
    assert_eq!(e.recipient, "frank@example.org");
    assert_eq!(e.status.map(|s| s.to_string()).as_deref(), Some("5.1.1"));
    assert_eq!(e.permanence, Some("permanent"));
    assert_eq!(e.explanation.as_ref().unwrap().cause, Cause::NotSenderProblem);
}

#[test]
fn sparkpost_webhook() {
    let e = &load("sparkpost-webhook.json")[0];
    assert_eq!(e.provider, "sparkpost");
    assert_eq!(e.recipient, "grace@example.com");
    assert_eq!(e.reply_code, Some(550));
    assert_eq!(e.explanation.as_ref().unwrap().cause, Cause::Spf);
    // sending_ip is SparkPost's own IP, not the remote MTA; ip_address equals it here, so
    // the event names no remote host.
    assert_eq!(e.remote_host, None);
}

#[test]
fn sparkpost_remote_host_is_the_receiving_host() {
    let raw = std::fs::read_to_string(fixture("sparkpost-webhook.json")).unwrap();
    // ip_address: "IP address of the host to which SparkPost delivered this message".
    let other = raw.replace("\"ip_address\": \"192.0.2.44\"", "\"ip_address\": \"203.0.113.7\"");
    let e = &mailsleuth::bounce::events::parse(other.as_bytes()).unwrap()[0];
    assert_eq!(e.remote_host.as_deref(), Some("203.0.113.7"));
    let none = raw.replace("\"ip_address\": \"192.0.2.44\",", "");
    let e = &mailsleuth::bounce::events::parse(none.as_bytes()).unwrap()[0];
    assert_eq!(e.remote_host, None);
}

#[test]
fn diagnose_bounce_reads_events() {
    let f = mailsleuth::bounce::read_for_diagnosis(&fixture("ses-sns-bounce.json")).unwrap();
    assert_eq!(f.recipient.as_deref(), Some("alice@example.org"));
    assert_eq!(f.sender.as_deref(), Some("bounces@mail.shop.example"));
    assert_eq!(f.reply.unwrap().enhanced.map(|e| e.to_string()).as_deref(), Some("5.7.26"));
    assert_eq!(f.source, "event:ses");
}

#[test]
fn bounce_cli_on_event_json() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
        .args(["--json", "bounce"])
        .arg(fixture("mailgun-webhook.json"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["items"][0]["events"][0]["provider"], "mailgun");
    assert_eq!(v["summary"]["sender_side"], 1);
    assert_eq!(out.status.code(), Some(1));
}
