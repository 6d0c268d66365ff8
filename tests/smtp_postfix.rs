//! `mailsleuth probe` and `diagnose --smtp` against a real Postfix 3.7 on loopback
//! (lab/postfix), whose DNS is our own embedded world (lab/dns/zones) on a loopback
//! port 53. Needs root and the packages scripts/test installs; skips with a visible
//! reason otherwise, and fails instead under CI=true.

// No tests/support/mod.rs: other suites may keep their own helpers in tests/support.
#[path = "support/lab.rs"]
mod lab;

use lab::{finding_ids, probe_json, reply_line, DELAY_PORT, NODELAY_PORT};

fn has(ids: &[String], id: &str) -> bool {
    ids.iter().any(|i| i == id)
}

#[allow(clippy::too_many_arguments)]
/// Probe `from` on `server` (to postmaster@example.test); check exit code, stage, reply start and findings.
fn case(test: &str, server: &str, from: &str, extra: &[&str], envs: &[(&str, &str)], exit: i32, stage: &str, reply: &str, ids: &[&str]) -> serde_json::Value {
    let Some(_lab) = lab::lab(test) else { return serde_json::Value::Null };
    let mut args = vec!["--server", server, "--from", from, "--to", "postmaster@example.test"];
    // The lab's certificate is self-signed: go on past STARTTLS unless the case is about TLS.
    if !extra.iter().any(|a| a.starts_with("--tls")) {
        args.push("--tls-insecure");
    }
    args.extend_from_slice(extra);
    let (code, v, all) = probe_json(&args, envs);
    assert_eq!(v["stage"], stage, "{test}: stage\n{all}");
    assert!(reply_line(&v).starts_with(reply), "{test}: reply {:?} does not start with {reply:?}\n{all}", reply_line(&v));
    let found = finding_ids(&v);
    for id in ids {
        assert!(has(&found, id), "{test}: finding {id} missing from {found:?}\n{all}");
    }
    assert_eq!(code, exit, "{test}: exit code\n{all}");
    v
}

#[test]
fn baseline_accepted_with_data() {
    let v = case("baseline_accepted_with_data", DELAY_PORT, "carol@example.test", &["--data"], &[], 0, "end-of-data", "0 ", &["smtp.accepted"]);
    if v.is_null() {
        return;
    }
    // Opportunistic STARTTLS with the lab's self-signed certificate: reported, session goes on inside TLS.
    assert!(has(&finding_ids(&v), "smtp.tls-untrusted"));
    let steps = v["probe"]["attempts"][0]["steps"].as_array().unwrap();
    let eod = steps.iter().find(|s| s["stage"] == "end-of-data").expect("end-of-data step");
    assert_eq!(eod["code"], 250);
    assert_eq!(eod["tls"], true);
    assert!(steps.iter().all(|s| s["elapsed_ms"].as_f64().is_some()), "per-step timings");
}

#[test]
fn non_fqdn_sender_at_rcpt() {
    case("non_fqdn_sender_at_rcpt", DELAY_PORT, "user@nodots", &[], &[], 16, "rcpt-to", "504 5.5.2", &["smtp.non-fqdn-sender", "smtp.sender-rejected-at-rcpt"]);
    case("non_fqdn_sender_bare_local_part", DELAY_PORT, "user", &[], &[], 16, "rcpt-to", "504 5.5.2", &["smtp.non-fqdn-sender"]);
}

#[test]
fn non_fqdn_sender_at_mail() {
    case("non_fqdn_sender_at_mail", NODELAY_PORT, "user@nodots", &[], &[], 15, "mail-from", "504 5.5.2", &["smtp.non-fqdn-sender"]);
}

#[test]
fn unknown_sender_domain_nxdomain() {
    case("unknown_sender_domain_nxdomain", DELAY_PORT, "user@nx.test", &[], &[], 16, "rcpt-to", "450 4.1.8", &["smtp.sender-domain-unknown", "smtp.sender-rejected-at-rcpt"]);
    case("unknown_sender_domain_nxdomain_at_mail", NODELAY_PORT, "user@nx.test", &[], &[], 15, "mail-from", "450 4.1.8", &["smtp.sender-domain-unknown"]);
}

#[test]
fn unknown_sender_domain_no_address() {
    case("unknown_sender_domain_no_address", DELAY_PORT, "user@noaddr.test", &[], &[], 16, "rcpt-to", "450 4.1.8", &["smtp.sender-domain-unknown"]);
    case("unknown_sender_domain_no_address_at_mail", NODELAY_PORT, "user@noaddr.test", &[], &[], 15, "mail-from", "450 4.1.8", &["smtp.sender-domain-unknown"]);
}

#[test]
fn null_mx_sender() {
    case("null_mx_sender", DELAY_PORT, "user@nullmx.test", &[], &[], 16, "rcpt-to", "550 5.7.27", &["smtp.sender-null-mx"]);
    case("null_mx_sender_at_mail", NODELAY_PORT, "user@nullmx.test", &[], &[], 15, "mail-from", "550 5.7.27", &["smtp.sender-null-mx"]);
}

#[test]
fn login_not_owner() {
    let env = [("MAILSLEUTH_SMTP_PASSWORD", "alicepw")];
    let v = case("login_not_owner", DELAY_PORT, "bob@example.test", &["--auth-user", "alice@example.test"], &env, 16, "rcpt-to", "553 5.7.1", &["smtp.login-not-owner"]);
    if v.is_null() {
        return;
    }
    let f = v["findings"].as_array().unwrap().iter().find(|f| f["id"] == "smtp.login-not-owner").unwrap();
    assert!(f["title"].as_str().unwrap().contains("alice@example.test"), "{f}");
    assert!(f["fix"]["text"].as_str().unwrap().contains("smtpd_sender_login_maps"), "{f}");
    case("login_not_owner_at_mail", NODELAY_PORT, "bob@example.test", &["--auth-user", "alice@example.test"], &env, 15, "mail-from", "553 5.7.1", &["smtp.login-not-owner"]);
}

#[test]
fn not_logged_in() {
    case("not_logged_in", DELAY_PORT, "bob@example.test", &[], &[], 16, "rcpt-to", "553 5.7.1", &["smtp.not-logged-in"]);
    case("not_logged_in_at_mail", NODELAY_PORT, "bob@example.test", &[], &[], 15, "mail-from", "553 5.7.1", &["smtp.not-logged-in"]);
}

#[test]
fn auth_mechanisms_accepted() {
    let env = [("MAILSLEUTH_SMTP_PASSWORD", "alicepw")];
    for mech in ["plain", "login", "cram-md5"] {
        let v = case(&format!("auth_{mech}_ok"), DELAY_PORT, "alice@example.test", &["--auth-user", "alice@example.test", "--auth-mech", mech], &env, 0, "rcpt-to", "0 ", &["smtp.accepted"]);
        if v.is_null() {
            return;
        }
        let text = v.to_string();
        assert!(!text.contains("alicepw"), "{mech}: password in output");
    }
}

#[test]
fn wrong_password_never_shown() {
    let secret = "Wr0ng-S3cret-pw";
    let Some(_lab) = lab::lab("wrong_password_never_shown") else { return };
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    for mech in ["plain", "login"] {
        let (code, v, all) = probe_json(&["--server", DELAY_PORT, "--tls-insecure", "--from", "alice@example.test", "--to", "postmaster@example.test", "--auth-user", "alice@example.test", "--auth-mech", mech], &[("MAILSLEUTH_SMTP_PASSWORD", secret)]);
        assert_eq!(code, 14, "{all}");
        assert_eq!(v["stage"], "auth");
        assert!(reply_line(&v).starts_with("535 5.7.8"), "{all}");
        assert!(has(&finding_ids(&v), "smtp.auth-failed"));
        for leak in [secret.to_string(), b64.encode(secret), b64.encode(format!("\0alice@example.test\0{secret}"))] {
            assert!(!all.contains(&leak), "{mech}: {leak:?} appears in the output");
        }
        assert!(all.contains("AUTH PLAIN ********") || mech != "plain", "{all}");
        // and in the human text output too
        let z = lab::zones();
        let (_, out, err) = lab::mailsleuth(&["--zones", z.to_str().unwrap(), "probe", "--server", DELAY_PORT, "--tls", "none", "--from", "alice@example.test", "--to", "postmaster@example.test", "--auth-user", "alice@example.test", "--auth-mech", mech], &[("MAILSLEUTH_SMTP_PASSWORD", secret)]);
        assert!(!out.contains(secret) && !err.contains(secret) && !out.contains(&b64.encode(secret)));
        assert!(out.contains("535 5.7.8"), "{out}");
    }
}

#[test]
fn sender_access_rejects() {
    case("sender_access_at_rcpt", DELAY_PORT, "blocked@example.test", &[], &[], 16, "rcpt-to", "553 5.1.7", &["smtp.sender-access-denied", "smtp.sender-rejected-at-rcpt"]);
    case("sender_access_at_mail", NODELAY_PORT, "blocked@example.test", &[], &[], 15, "mail-from", "553 5.1.7", &["smtp.sender-access-denied"]);
}

#[test]
fn unverified_sender() {
    let v = case("unverified_sender_at_rcpt", DELAY_PORT, "nobody@verify.test", &[], &[], 16, "rcpt-to", "450 4.1.7", &["smtp.unverified-sender", "smtp.sender-rejected-at-rcpt"]);
    if v.is_null() {
        return;
    }
    let f = v["findings"].as_array().unwrap().iter().find(|f| f["id"] == "smtp.unverified-sender").unwrap();
    assert!(f["evidence"].to_string().contains("mx2.verify.test[127.0.0.2] answered the receiver's callout: 550 5.1.1"), "{f}");
    assert!(!finding_ids(&v).contains(&"smtp.sender-worded-as-recipient".to_string()));
    case("unverified_sender_at_mail", NODELAY_PORT, "nobody@verify.test", &[], &[], 15, "mail-from", "550 5.1.7", &["smtp.unverified-sender"]);
}

#[test]
fn callout_to_sender_mx() {
    let Some(_lab) = lab::lab("callout_to_sender_mx") else { return };
    // The "remote MX" of verify.test listens on 127.0.0.2:2526.
    let (code, v, all) = probe_json(&["--callout", "nobody@verify.test", "--mx-port", "2526"], &[]);
    assert_eq!(code, 16, "{all}");
    assert!(has(&finding_ids(&v), "smtp.callout-rejected"), "{all}");
    let steps = v["callout"]["attempts"][0]["steps"].to_string();
    assert!(steps.contains("MAIL FROM:<>") && steps.contains("RCPT TO:<nobody@verify.test>"), "{steps}");
    let (code, v, all) = probe_json(&["--callout", "somebody@verify.test", "--mx-port", "2526"], &[]);
    assert_eq!(code, 0, "{all}");
    assert!(has(&finding_ids(&v), "smtp.callout-ok"), "{all}");
}

#[test]
fn spf_fail_via_policyd_spf() {
    case("spf_fail_via_policyd_spf", DELAY_PORT, "user@spffail.test", &[], &[], 16, "rcpt-to", "550 5.7.23", &["smtp.spf-fail", "smtp.sender-worded-as-recipient"]);
}

#[test]
fn starttls_self_signed() {
    let v = case("starttls_self_signed_refused", DELAY_PORT, "carol@example.test", &["--tls", "starttls"], &[], 13, "starttls", "0 ", &["smtp.tls-refused", "smtp.tls-untrusted"]);
    if v.is_null() {
        return;
    }
    let tls = &v["probe"]["attempts"][0]["tls"];
    assert_eq!(tls["trusted"], false);
    assert_eq!(tls["self_signed"], true);
    assert!(tls["version"].as_str().unwrap().starts_with("TLSv1."), "{tls}");
    // No MAIL FROM was sent after the untrusted handshake.
    assert!(!v["probe"]["attempts"][0]["steps"].to_string().contains("MAIL FROM"));
    // The default mode (STARTTLS when offered) stops at the untrusted certificate too.
    let Some(_lab) = lab::lab("starttls_self_signed_auto") else { return };
    let (code, v, all) = probe_json(&["--server", DELAY_PORT, "--from", "carol@example.test", "--to", "postmaster@example.test"], &[]);
    assert_eq!((code, v["stage"].as_str()), (13, Some("starttls")), "{all}");
    assert!(all.contains("--tls-insecure"), "the error says how to continue: {all}");
    let v = case("starttls_self_signed_insecure", DELAY_PORT, "carol@example.test", &["--tls", "starttls", "--tls-insecure"], &[], 0, "rcpt-to", "0 ", &["smtp.accepted", "smtp.tls-untrusted"]);
    let lines = v["probe"]["attempts"][0]["transcript"].as_array().unwrap();
    let rcpt = lines.iter().find(|l| l["text"].as_str().is_some_and(|t| t.starts_with("RCPT TO"))).unwrap();
    assert_eq!(rcpt["tls"], true, "RCPT TO went inside TLS");
}

#[test]
fn mx_lookup_tries_hosts_in_order() {
    let Some(_lab) = lab::lab("mx_lookup_tries_hosts_in_order") else { return };
    // twomx.test: MX 10 down (127.0.0.9, refused), MX 20 mx.example.test (::1 refused, then 127.0.0.1).
    let (code, v, all) = probe_json(&["--from", "carol@example.test", "--to", "someone@twomx.test", "--mx-port", "2525", "--tls-insecure"], &[]);
    assert_eq!(code, 0, "{all}");
    let attempts = v["probe"]["attempts"].as_array().unwrap();
    let tried: Vec<String> = attempts.iter().map(|a| a["target"]["addr"].as_str().unwrap().to_string()).collect();
    assert_eq!(tried, vec!["127.0.0.9:2525", "[::1]:2525", "127.0.0.1:2525"], "{all}");
    assert_eq!(attempts[0]["verdict"]["stage"], "connect");
    let (code, v, all) = probe_json(&["-4", "--from", "carol@example.test", "--to", "someone@twomx.test", "--mx-port", "2525", "--tls", "none"], &[]);
    assert_eq!(code, 0, "{all}");
    assert_eq!(v["probe"]["attempts"].as_array().unwrap().len(), 2, "-4 skips ::1: {all}");
    // A null MX recipient domain: nowhere to connect.
    let (code, v, all) = probe_json(&["--from", "carol@example.test", "--to", "x@nullmx.test"], &[]);
    assert_eq!(code, 10, "{all}");
    assert!(has(&finding_ids(&v), "smtp.no-mail-host"), "{all}");
}

#[test]
fn diagnose_ranks_the_probe_rejection() {
    let Some(_lab) = lab::lab("diagnose_ranks_the_probe_rejection") else { return };
    let z = lab::zones();
    let (code, out, err) = lab::mailsleuth(
        &["--zones", z.to_str().unwrap(), "--json", "diagnose", "bob@example.test", "--to", "postmaster@example.test", "--smtp", DELAY_PORT, "--auth-user", "alice@example.test", "--helo", "client.example.test", "--no-dnsbl"],
        &[("MAILSLEUTH_SMTP_PASSWORD", "alicepw")],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    assert_eq!(v["reply"]["code"], 553, "{out}");
    assert_eq!(v["causes"][0]["finding"]["id"], "smtp.login-not-owner", "{out}");
    assert_eq!(code, 1);
    assert!(!out.contains("alicepw"));
    // Unverified sender: diagnose runs the callout itself (the lab's remote MX is on port 2526).
    let (_, out, err) = lab::mailsleuth(
        &["--zones", z.to_str().unwrap(), "--json", "diagnose", "nobody@verify.test", "--to", "postmaster@example.test", "--smtp", DELAY_PORT, "--helo", "client.example.test", "--no-dnsbl"],
        &[("MAILSLEUTH_MX_PORT", "2526")],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    let all = v.to_string();
    assert!(all.contains("smtp.unverified-sender") && all.contains("smtp.callout-rejected"), "{out}");
    // A pasted "Sender verify failed" reply (no --smtp): diagnose runs the callout itself.
    let (_, out, err) = lab::mailsleuth(
        &["--zones", z.to_str().unwrap(), "--json", "diagnose", "nobody@verify.test", "--reply", "550 5.1.7 <nobody@verify.test>: Sender verify failed", "--no-dnsbl"],
        &[("MAILSLEUTH_MX_PORT", "2526")],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    assert!(v.to_string().contains("smtp.callout-rejected"), "{out}");
    // ... and for an address that exists at its MX, the callout says so.
    let (_, out, _) = lab::mailsleuth(
        &["--zones", z.to_str().unwrap(), "--json", "diagnose", "somebody@verify.test", "--reply", "450 4.1.7 <somebody@verify.test>: Sender address rejected: unverified address: Address verification in progress", "--no-dnsbl"],
        &[("MAILSLEUTH_MX_PORT", "2526")],
    );
    assert!(out.contains("smtp.callout-ok"), "{out}");
}

/// Prints the human output of a few sessions (run with --ignored --nocapture to look).
#[test]
#[ignore]
fn show_text_output() {
    let Some(_lab) = lab::lab("show_text_output") else { return };
    let z = lab::zones();
    for args in [
        vec!["probe", "--server", DELAY_PORT, "--tls-insecure", "--from", "bob@example.test", "--to", "postmaster@example.test", "--auth-user", "alice@example.test", "--helo", "client.example.test"],
        vec!["probe", "--from", "user@spffail.test", "--to", "postmaster@twomx.test", "--mx-port", "2525", "--helo", "client.example.test", "--tls", "none"],
        vec!["--json", "probe", "--server", NODELAY_PORT, "--tls", "none", "--from", "bob@example.test", "--to", "postmaster@example.test", "--helo", "client.example.test"],
        vec!["diagnose", "bob@example.test", "--to", "postmaster@example.test", "--smtp", DELAY_PORT, "--auth-user", "alice@example.test", "--no-dnsbl"],
        vec!["diagnose", "user@spffail.test", "--to", "postmaster@example.test", "--smtp", DELAY_PORT, "--no-dnsbl", "--ip", "127.0.0.1"],
        vec!["diagnose", "nobody@verify.test", "--to", "postmaster@example.test", "--smtp", DELAY_PORT, "--no-dnsbl"],
    ] {
        let mut full = vec!["--zones", z.to_str().unwrap()];
        full.extend(args);
        let (code, out, err) = lab::mailsleuth(&full, &[("MAILSLEUTH_SMTP_PASSWORD", "alicepw"), ("MAILSLEUTH_MX_PORT", "2526")]);
        println!("{out}{err}exit {code}\n--------");
    }
}

#[test]
fn implicit_tls_self_signed() {
    // 127.0.0.1:2465: smtpd_tls_wrappermode (like port 465). Untrusted: stops at TLS unless --tls-insecure.
    let v = case("implicit_tls_self_signed_refused", "127.0.0.1:2465", "carol@example.test", &["--tls", "implicit"], &[], 13, "starttls", "0 ", &["smtp.tls-refused", "smtp.tls-untrusted"]);
    if v.is_null() {
        return;
    }
    let v = case("implicit_tls_self_signed_insecure", "127.0.0.1:2465", "carol@example.test", &["--tls", "implicit", "--tls-insecure"], &[], 0, "rcpt-to", "0 ", &["smtp.accepted"]);
    let lines = v["probe"]["attempts"][0]["transcript"].as_array().unwrap();
    let greeting = lines.iter().find(|l| l["text"].as_str().is_some_and(|t| t.starts_with("220 "))).unwrap();
    assert_eq!(greeting["tls"], true, "the greeting came inside TLS");
}

#[test]
fn data_and_end_of_data_rejections() {
    // smtpd_data_restrictions refuses DATA for this sender.
    case("data_refused", DELAY_PORT, "dataonly@example.test", &["--data"], &[], 17, "data", "554 5.7.1", &["smtp.rejected"]);
    // header_checks refuses the message after the final ".": --data FILE.
    let Some(_lab) = lab::lab("end_of_data_refused") else { return };
    let dir = tempfile::tempdir().unwrap();
    let msg = dir.path().join("msg.eml");
    std::fs::write(&msg, "From: <carol@example.test>\nTo: <postmaster@example.test>\nSubject: please reject-me\n\n.leading dot line\nbody\n").unwrap();
    let v = case("end_of_data_refused", DELAY_PORT, "carol@example.test", &["--data", msg.to_str().unwrap()], &[], 17, "end-of-data", "550 5.7.1", &["smtp.rejected"]);
    let f = v["findings"].as_array().unwrap().iter().find(|f| f["id"] == "smtp.rejected").unwrap();
    assert_eq!(f["severity"], "error", "{f}");
    assert!(f["title"].as_str().unwrap().contains("rejected at end of data"), "{f}");
}

#[test]
fn starttls_trusted_with_private_ca() {
    let Some(lab) = lab::lab("starttls_trusted_with_private_ca") else { return };
    let ca = lab.dir.join("pf/tls/ca.pem");
    let ca = ca.to_str().unwrap();
    // By name (resolved through the lab zones to 127.0.0.1), CA given: trusted, name matches.
    let (code, v, all) = probe_json(&["--server", "mx.example.test:2587", "--tls", "starttls", "--tls-ca", ca, "--from", "carol@example.test", "--to", "postmaster@example.test"], &[]);
    assert_eq!(code, 0, "{all}");
    // mx.example.test also has AAAA ::1, where nothing listens: the last attempt is 127.0.0.1.
    let tls = &v["probe"]["attempts"].as_array().unwrap().last().unwrap()["tls"];
    assert_eq!((tls["trusted"].as_bool(), tls["hostname_match"].as_bool(), tls["self_signed"].as_bool()), (Some(true), Some(true), Some(false)), "{tls}");
    assert!(tls["days_left"].as_i64().unwrap() > 3000, "{tls}");
    assert!(finding_ids(&v).contains(&"smtp.tls-ok".to_string()), "{all}");
    // Same certificate, no --tls-ca: unknown issuer.
    let (code, v, all) = probe_json(&["--server", "mx.example.test:2587", "--tls", "starttls", "--from", "carol@example.test", "--to", "postmaster@example.test"], &[]);
    assert_eq!(code, 13, "{all}");
    assert!(v["probe"]["attempts"].as_array().unwrap().last().unwrap()["tls"]["trust_error"].as_str().unwrap().contains("not in the trusted roots"), "{all}");
    // CA given, but reached by IP: the certificate does not name 127.0.0.1.
    let (code, v, all) = probe_json(&["--server", "127.0.0.1:2587", "--tls", "starttls", "--tls-ca", ca, "--from", "carol@example.test", "--to", "postmaster@example.test"], &[]);
    assert_eq!(code, 13, "{all}");
    let tls = &v["probe"]["attempts"][0]["tls"];
    assert_eq!(tls["hostname_match"], false, "{tls}");
    assert!(tls["trust_error"].as_str().unwrap().contains("does not name"), "{tls}");
}

#[test]
fn probe_evidence_is_recorded_and_replayed_offline() {
    let Some(_lab) = lab::lab("probe_evidence_is_recorded_and_replayed_offline") else { return };
    let z = lab::zones();
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("probe.json");
    let bundle = bundle.to_str().unwrap();
    let (code, live, err) = lab::mailsleuth(
        &["--zones", z.to_str().unwrap(), "--json", "diagnose", "bob@example.test", "--to", "postmaster@example.test", "--smtp", DELAY_PORT, "--auth-user", "alice@example.test", "--helo", "client.example.test", "--no-dnsbl", "--record", bundle],
        &[("MAILSLEUTH_SMTP_PASSWORD", "alicepw")],
    );
    assert_eq!(code, 1, "{live}\n{err}");
    let v: serde_json::Value = serde_json::from_str(&live).unwrap();
    let transcript = v["smtp_transcript"].to_string();
    assert!(transcript.contains("MAIL FROM:<bob@example.test>") && transcript.contains("553 5.7.1"), "{transcript}");
    let saved = std::fs::read_to_string(bundle).unwrap();
    assert!(!saved.contains("alicepw"), "the bundle must not hold the password");
    // The replay speaks no SMTP and resolves nothing: same JSON, same exit code.
    let (rcode, replay, err) = lab::mailsleuth(&["--json", "diagnose", "--replay", bundle], &[]);
    assert_eq!(rcode, code, "{err}");
    assert_eq!(replay, live);
}
