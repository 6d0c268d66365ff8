//! Messages signed here with mail-auth's signer (the dkimpy test key), then verified:
//! each failure reason the verifier can give is named precisely.

#[path = "support/dkim_key.rs"]
mod dkim_key;
use dkim_key::{public_record, signing_key};

use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;
use mailsleuth::conformance::require_data_dir;
use mailsleuth::dkim::verify::{verify_message, SigResult};
use mailsleuth::dns::{Rec, Resolver, StaticZone};

const MESSAGE: &str = "From: Shop <billing@example.com>\r\nTo: someone@example.org\r\nSubject: Invoice 42\r\nDate: Thu, 03 Dec 2026 10:00:00 +0000\r\nMessage-ID: <42@example.com>\r\n\r\nYour invoice is attached.\r\n";



fn resolver(record: &str) -> Resolver {
    let mut z = StaticZone::new();
    z.add("test._domainkey.example.com", Rec::Txt(vec![record.as_bytes().to_vec()]));
    Resolver::from_static(z)
}

fn sign(expire: Option<u64>, body_length: bool) -> Vec<u8> {
    let mut signer = DkimSigner::from_key(signing_key()).domain("example.com").selector("test").headers(["From", "To", "Subject", "Date"]);
    if let Some(x) = expire {
        signer = signer.expiration(x);
    }
    let signer = signer.body_length(body_length);
    let sig = signer.sign(MESSAGE.as_bytes()).unwrap();
    let mut out = sig.to_header().into_bytes();
    out.extend_from_slice(MESSAGE.as_bytes());
    out
}

async fn reason(record: &str, msg: &[u8]) -> (SigResult, &'static str) {
    let m = verify_message(&resolver(record), msg).await.unwrap();
    (m.signatures[0].result, m.signatures[0].reason_id)
}

#[tokio::test]
async fn reasons_are_precise() {
    let rec = public_record();
    let good = sign(None, false);
    assert_eq!(reason(&rec, &good).await, (SigResult::Pass, "dkim.pass"));

    // the ESP or a list changed the Subject
    let changed = String::from_utf8(good.clone()).unwrap().replace("Invoice 42", "[list] Invoice 42").into_bytes();
    assert_eq!(reason(&rec, &changed).await.1, "dkim.signature-mismatch");
    // a footer was appended
    let mut footer = good.clone();
    footer.extend_from_slice(b"--\r\nSent by a gateway\r\n");
    assert_eq!(reason(&rec, &footer).await, (SigResult::Fail, "dkim.body-hash-mismatch"));
    // the key was rotated: another key is published
    let other = std::fs::read_to_string(require_data_dir("dkim").join("dkim/dkimpy-testdata/2048_testkey_wo_markers.pub.txt")).unwrap();
    assert_eq!(reason(other.trim(), &good).await.1, "dkim.signature-mismatch");
    // revoked
    assert_eq!(reason("v=DKIM1; k=rsa; p=", &good).await.1, "dkim.key-revoked");
    // an Ed25519 key for an rsa-sha256 signature
    assert_eq!(reason("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", &good).await.1, "dkim.unsupported-algorithm");
    // l= present: refused
    let l = sign(None, true);
    let m = verify_message(&resolver(&rec), &l).await.unwrap();
    assert_eq!(m.signatures[0].reason_id, "dkim.length-tag");
    assert!(m.signatures[0].body_length.is_some());
}

#[tokio::test]
async fn expired_signature() {
    let msg = sign(Some(1), false);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(reason(&public_record(), &msg).await, (SigResult::Fail, "dkim.signature-expired"));
}

#[tokio::test]
async fn key_lookup_failure_is_temperror_not_missing() {
    let mut z = StaticZone::new();
    z.fail("test._domainkey.example.com", mailsleuth::dns::RType::Txt, mailsleuth::dns::Outcome::ServFail);
    let m = verify_message(&Resolver::from_static(z), &sign(None, false)).await.unwrap();
    assert_eq!((m.signatures[0].result, m.signatures[0].reason_id), (SigResult::TempError, "dkim.key-dns-failure"));
}
