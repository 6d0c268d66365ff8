//! How diagnose weighs a reply against the checks: rule-out evidence, contradictions that
//! say what differs, SPF temperror as a cause. On the scenario world (tests/scenarios/_world)
//! served by the embedded DNS server on loopback.

use std::path::Path;
use std::time::Duration;

use mailsleuth::diagnose::{self, Cause, Context, Diagnosis, Status, rank};
use mailsleuth::dns::{DnsConfig, Fault, Resolver, World};
use mailsleuth::finding::{Finding, Severity};

async fn world() -> (World, Resolver) {
    let world = World::start(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scenarios/_world"))).await.expect("world");
    let cfg = DnsConfig { servers: vec![], timeout: Duration::from_millis(800), attempts: 2 };
    let resolver = Resolver::for_world(&world, &cfg).expect("resolver");
    (world, resolver)
}

fn ctx(resolver: Resolver, sender: &str, ip: Option<&str>, reply: &str) -> Context {
    let mut c = Context::new(resolver, sender);
    c.ip = ip.map(|i| i.parse().unwrap());
    c.reply = Some(mailsleuth::reply::parse(reply));
    c.options.no_dnsbl = true;
    c
}

fn cause<'a>(d: &'a Diagnosis, id: &str) -> &'a Cause {
    d.causes.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no cause {id}: {:#?}", d.causes))
}

const GMAIL_SPF: &str = "550 5.7.26 The MAIL FROM domain [good.example] has an SPF record with a hard fail policy (-all) but it fails to pass SPF checks with the ip: [198.51.100.25]";

#[tokio::test]
async fn spf_rejection_while_spf_passes_here_is_explained_as_a_discrepancy() {
    let (_w, r) = world().await;
    let d = diagnose::diagnose(&ctx(r, "news@good.example", Some("198.51.100.25"), GMAIL_SPF)).await;
    let top = &d.causes[0];
    assert_eq!((top.id.as_str(), top.status), ("spf-fail", Status::Contradicted), "{:#?}", d.causes);
    let next = top.next.as_deref().unwrap();
    assert!(next.starts_with("good.example with 198.51.100.25 checks clean here"), "{next}");
    assert!(next.contains("another sending IP or envelope sender") && next.contains("--bounce"), "{next}");
    // A clean evaluation rules out a broken record just as it rules out a failing one.
    let err = cause(&d, "spf-error");
    assert_eq!(err.status, Status::Contradicted);
    assert!(err.against.iter().any(|a| a.contains("[spf.pass]")) && err.against.iter().any(|a| a.contains("[spf.record]")), "{:?}", err.against);
    assert!(!d.causes.iter().any(|c| c.next.as_deref().is_some_and(|n| n.contains("give the sender address"))));
    assert_eq!(d.exit_code(), 0);
}

#[tokio::test]
async fn without_an_ip_a_parseable_record_rules_out_spf_error_and_spf_fail_asks_for_the_ip() {
    let (_w, r) = world().await;
    let d = diagnose::diagnose(&ctx(r, "news@good.example", None, "550 5.7.23 SPF validation failed")).await;
    assert_eq!(d.causes[0].id, "spf-fail", "{:#?}", d.causes);
    assert_eq!(d.causes[0].status, Status::Reported);
    assert!(d.causes[0].next.as_deref().unwrap().contains("--ip"));
    assert_eq!(cause(&d, "spf-error").status, Status::Contradicted);
}

#[tokio::test]
async fn spf_temperror_is_a_cause_when_dns_otherwise_answers() {
    let (w, r) = world().await;
    w.inject("_spf.flakyhost.example", None, Fault::ServFail);
    let d = diagnose::diagnose(&ctx(r, "news@flaky.example", Some("198.51.100.25"), "451 4.7.1 SPF check temporarily failed, try again later")).await;
    let top = &d.causes[0];
    assert_eq!((top.id.as_str(), top.status), ("spf-temperror", Status::Confirmed), "{:#?}", d.causes);
    assert_eq!(top.finding.as_ref().unwrap().id, "spf.temperror");
    // It is still a check that could not complete, and the mail was only deferred.
    assert!(d.unchecked.iter().any(|f| f.id == "spf.temperror"));
    assert_eq!(d.exit_code(), 3, "{:#?}", d.causes.iter().map(|c| (&c.id, c.status, c.score, &c.why)).collect::<Vec<_>>());
    // spf-fail could not be decided: not "checked clean".
    assert_eq!(cause(&d, "spf-fail").status, Status::Unchecked);
}

#[tokio::test]
async fn no_dns_at_all_is_not_blamed_on_the_domain() {
    let (w, r) = world().await;
    w.inject("flaky.example", None, Fault::ServFail);
    w.inject("_spf.flakyhost.example", None, Fault::ServFail);
    let d = diagnose::diagnose(&ctx(r, "news@flaky.example", Some("198.51.100.25"), "451 4.7.1 SPF check temporarily failed")).await;
    assert!(!d.causes.iter().any(|c| c.id == "spf-temperror" && c.status == Status::Confirmed), "{:#?}", d.causes);
    assert_eq!(d.exit_code(), 3);
    // The sender was given: what is missing is an answer, not an input.
    let spf = cause(&d, "spf-fail");
    assert_eq!(spf.status, Status::Unchecked);
    assert_eq!(spf.next.as_deref(), Some("could not check it: a DNS lookup failed (see Could not check); run again when it answers"));
}

#[tokio::test]
async fn clean_checks_rule_out_what_the_reply_names() {
    let (_w, r) = world().await;
    // A valid address: the receiver's "bad syntax" is contradicted (address.ok).
    let d = diagnose::diagnose(&ctx(r.clone(), "news@good.example", None, "501 5.1.7 Bad sender address syntax")).await;
    let c = cause(&d, "address-syntax");
    assert_eq!(c.status, Status::Contradicted, "{:#?}", d.causes);
    assert!(c.against.iter().any(|a| a.contains("[address.ok]")));
    // Forward-confirmed rDNS for the ESP's IP: "no PTR" is contradicted (host.fcrdns-ok).
    let d = diagnose::diagnose(&ctx(
        r.clone(),
        "news@good.example",
        Some("198.51.100.25"),
        "550 5.7.25 [198.51.100.25] The IP address sending this message does not have a PTR record setup, or the corresponding forward DNS entry does not point to the sending IP.",
    ))
    .await;
    let c = cause(&d, "rdns");
    assert_eq!(c.status, Status::Contradicted, "{:#?}", d.causes);
    assert!(c.against.iter().any(|a| a.contains("[host.fcrdns-ok]")));
    // The sender domain exists with mail hosts: "domain not found" is contradicted (domain.ok).
    let d = diagnose::diagnose(&ctx(r.clone(), "news@good.example", None, "450 4.1.8 <news@good.example>: Sender address rejected: Domain not found")).await;
    let c = cause(&d, "domain-missing");
    assert_eq!(c.status, Status::Contradicted, "{:#?}", d.causes);
    assert!(c.against.iter().any(|a| a.contains("[domain.ok]")));
    // Blocklists that answered and do not list the IP (host.not-listed).
    let mut c = ctx(r, "news@good.example", Some("198.51.100.25"), "554 5.7.1 Service unavailable; Client host [198.51.100.25] blocked using zen.spamhaus.org");
    c.options.no_dnsbl = false;
    let d = diagnose::diagnose(&c).await;
    let c = cause(&d, "blocklisted");
    assert_eq!(c.status, Status::Contradicted, "{:#?}", d.causes);
    assert!(c.against.iter().any(|a| a.contains("[host.not-listed]")));
}

#[tokio::test]
async fn an_accepted_probe_rules_out_login_and_tls_causes() {
    let r = Resolver::replay(Vec::new(), "none".into());
    for (reply, id) in [("553 5.7.1 <a@good.example>: Sender address rejected: not owned by user bob", "login-not-owner"), ("530 5.7.0 Must issue a STARTTLS command first", "tls-auth-required")] {
        let c = ctx(r.clone(), "a@good.example", None, reply);
        let accepted = Finding::new("smtp.accepted", Severity::Ok, "every step up to RCPT TO was accepted");
        let (causes, _, _) = rank(vec![accepted], &c);
        let cause = causes.iter().find(|x| x.id == id).unwrap_or_else(|| panic!("{id}: {causes:#?}"));
        assert_eq!(cause.status, Status::Contradicted, "{id}");
        assert!(cause.against.iter().any(|a| a.contains("[smtp.accepted]")), "{id}");
    }
}

/// Regression: a reply that names a blocklist, in an offline world that serves no list
/// zone. The lists were skipped, not asked: the blocklist cause is not "checked clean"
/// (PTR findings of the same family are no blocklist check), it ranks first on the reply's
/// word, and its next step says the lists were not asked, not "give --ip" (the IP was taken
/// from the reply).
#[test]
fn blocklist_reply_with_lists_not_asked_is_not_checked_clean() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.example.zone"), "$ORIGIN t.example.\n$TTL 300\n@ IN MX 10 mx\nmx IN A 192.0.2.10\n@ IN TXT \"v=spf1 mx -all\"\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
        .arg("--zones")
        .arg(dir.path())
        .args(["--json", "diagnose", "a@t.example", "--reply", "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let top = &doc["causes"][0];
    assert_eq!(top["id"], "blocklisted", "{doc:#}");
    assert!(!top["against"].to_string().contains("found nothing"), "{top:#}");
    let next = top["next"].as_str().unwrap();
    assert!(next.starts_with("not checked here: ") && next.contains("host.dnsbl-skipped"), "{next}");
}
