//! `mailsleuth dmarc DOMAIN --mail-from/--spf-domain --dkim-domain --ip`: alignment
//! explained in words from identifiers on the command line, against the embedded world.

use std::process::Command;

fn zones() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let w = |name: &str, body: &str| std::fs::write(dir.path().join(name), format!("$TTL 300\n{body}")).unwrap();
    w("shop.example.zone", "$ORIGIN shop.example.\n@ IN A 192.0.2.10\n_dmarc IN TXT \"v=DMARC1; p=reject; rua=mailto:d@shop.example\"\nstrict IN A 192.0.2.11\n_dmarc.strict IN TXT \"v=DMARC1; p=quarantine; adkim=s; aspf=s; rua=mailto:d@shop.example\"\n@ IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\nbounce IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n");
    w(
        "t.example.zone",
        "$ORIGIN t.example.\npct0 IN A 192.0.2.50\n_dmarc.pct0 IN TXT \"v=DMARC1; p=reject; pct=0\"\npct30 IN A 192.0.2.51\n_dmarc.pct30 IN TXT \"v=DMARC1; p=reject; pct=30\"\nq0 IN A 192.0.2.52\n_dmarc.q0 IN TXT \"v=DMARC1; p=quarantine; pct=0\"\n",
    );
    w("esp.example.zone", "$ORIGIN esp.example.\nbounces IN TXT \"v=spf1 ip4:198.51.100.0/24 -all\"\n");
    dir
}

fn dmarc(dir: &tempfile::TempDir, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
        .arg("--zones")
        .arg(dir.path())
        .args(["--color", "never", "--dns-timeout", "0.5", "dmarc"])
        .args(args)
        .output()
        .expect("runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

#[test]
fn spf_evaluated_for_the_ip_and_explained() {
    let z = zones();
    let (code, out) = dmarc(&z, &["shop.example", "--mail-from", "x@bounces.esp.example", "--ip", "198.51.100.7"]);
    assert!(out.contains("SPF passed for bounces.esp.example, which is not aligned with shop.example: organizational domains esp.example ≠ shop.example"), "{out}");
    assert!(out.contains("check_host for 198.51.100.7: pass"), "{out}");
    assert!(out.contains("DMARC would fail: p=reject applies"), "{out}");
    assert_eq!(code, 1, "dmarc.fail under p=reject is an error: {out}");

    // the IP outside the range: SPF did not pass
    let (_, out) = dmarc(&z, &["shop.example", "--spf-domain", "bounces.esp.example", "--ip", "203.0.113.9"]);
    assert!(out.contains("SPF did not pass for bounces.esp.example"), "{out}");
    assert!(out.contains("check_host for 203.0.113.9: fail"), "{out}");

    // an aligned return-path from an authorised IP passes
    let (code, out) = dmarc(&z, &["shop.example", "--mail-from", "b@bounce.shop.example", "--ip", "192.0.2.9"]);
    assert!(out.contains("SPF passed for bounce.shop.example, which is aligned with shop.example: same organizational domain shop.example (aspf=r, relaxed)"), "{out}");
    assert!(out.contains("DMARC would pass"), "{out}");
    assert_eq!(code, 0, "{out}");
}

#[test]
fn dkim_domains_and_assumptions_without_ip() {
    let z = zones();
    let (code, out) = dmarc(&z, &["shop.example", "--spf-domain", "bounces.esp.example", "--dkim-domain", "esp.example", "--dkim-domain", "mail.shop.example"]);
    assert!(out.contains("DKIM passed for esp.example, which is not aligned with shop.example: organizational domains esp.example ≠ shop.example"), "{out}");
    assert!(out.contains("DKIM passed for mail.shop.example, which is aligned with shop.example"), "{out}");
    assert!(out.contains("DMARC would pass"), "{out}");
    assert!(out.contains("SPF for bounces.esp.example is assumed to pass (give --ip to evaluate it)"), "{out}");
    assert!(out.contains("assumed to verify"), "{out}");
    assert_eq!(code, 0, "{out}");

    // strict modes: a subdomain is not enough
    let (code, out) = dmarc(&z, &["strict.shop.example", "--dkim-domain", "shop.example", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let a = &v["alignment"];
    assert_eq!(a["adkim"], "strict");
    assert_eq!(a["checks"][0]["aligned"], false);
    assert!(a["checks"][0]["explanation"].as_str().unwrap().contains("adkim=s (strict) needs exactly strict.shop.example"), "{a}");
    assert_eq!(a["verdict"]["result"], "fail");
    assert!(v["findings"].as_array().unwrap().iter().any(|f| f["id"] == "dmarc.fail"));
    assert_eq!(code, 1);
}

#[test]
fn without_alignment_inputs_the_report_is_unchanged_and_bad_input_is_usage() {
    let z = zones();
    let (code, out) = dmarc(&z, &["shop.example"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("Alignment with"), "{out}");
    assert_eq!(dmarc(&z, &["shop.example", "--ip", "192.0.2.9"]).0, 2);
    assert_eq!(dmarc(&z, &["shop.example", "--dkim-domain", "not a domain"]).0, 2);
    assert_eq!(dmarc(&z, &["shop.example", "--mail-from", "nobody"]).0, 2);
    assert_eq!(dmarc(&z, &["shop.example", "--mail-from", "a@b.example", "--spf-domain", "c.example"]).0, 2);
}

/// RFC 7489 §6.3 pct / §6.6.4: the share of failing mail outside the pct= sample gets
/// the next weaker policy (reject -> quarantine, quarantine -> none); with pct=0 that
/// is all of it. Never "receivers reject it" under pct=0.
#[test]
fn pct_below_100_says_what_each_share_of_failing_mail_gets() {
    let z = zones();
    let (code, out) = dmarc(&z, &["pct0.t.example", "--dkim-domain", "other.example"]);
    assert!(out.contains("pct=0: receivers apply quarantine instead of reject to all failing mail"), "{out}");
    assert!(!out.contains("receivers reject it"), "{out}");
    assert!(out.contains("the other 100% gets the next weaker policy"), "{out}");
    assert_eq!(code, 1, "quarantine of all failing mail is still an error: {out}");

    let (_, out) = dmarc(&z, &["pct30.t.example", "--dkim-domain", "other.example"]);
    assert!(out.contains("pct=30: receivers apply reject to 30% of failing mail and quarantine to the other 70%"), "{out}");

    let (code, out) = dmarc(&z, &["q0.t.example", "--dkim-domain", "other.example"]);
    assert!(out.contains("pct=0: receivers apply none instead of quarantine to all failing mail"), "{out}");
    assert_eq!(code, 0, "nothing enforced under pct=0 and p=quarantine: a warning: {out}");
}
