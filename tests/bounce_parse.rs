//! The bounce parser on real messages: formats, line endings, mbox/maildir input, odd
//! input, and `read_for_diagnosis`.

use std::path::{Path, PathBuf};

use mailsleuth::bounce::{self, input, parse_message, NotBounce};

fn corpus() -> PathBuf {
    mailsleuth::conformance::require_data_dir("bounces/sisimai/maildir/bsd").join("bounces/sisimai")
}

fn summary(raw: &[u8]) -> Vec<(String, Option<String>, Option<u16>)> {
    match parse_message(raw) {
        Ok(b) => b.failures.iter().map(|f| (f.recipient.clone(), f.status.map(|s| s.to_string()), f.reply_code)).collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn crlf_and_cr_copies_read_like_the_lf_originals() {
    let base = corpus().join("maildir");
    let mut compared = 0;
    for sub in ["dos", "mac"] {
        for p in input::folder_files(&base.join(sub)).unwrap() {
            let name = p.file_name().unwrap();
            let lf = base.join("bsd").join(name);
            if !lf.exists() {
                continue;
            }
            let a = summary(&std::fs::read(&lf).unwrap());
            let b = summary(&std::fs::read(&p).unwrap());
            assert_eq!(a, b, "{sub}/{} differs from bsd/", name.to_string_lossy());
            compared += 1;
        }
    }
    assert!(compared >= 100, "only {compared} copies compared");
}

#[test]
fn postfix_dsn_fields() {
    let raw = b"From: MAILER-DAEMON@mx.shop.example (Mail Delivery System)\nTo: billing@shop.example\nSubject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nThis is the mail system at host mx.shop.example.\n\n<bob@example.org>: host mx.example.org[192.0.2.1] said: 550 5.7.26 Unauthenticated\n    email from shop.example is not accepted due to domain's DMARC policy (in reply\n    to end of DATA command)\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.shop.example\nX-Postfix-Sender: rfc822; billing@shop.example\nArrival-Date: Mon, 30 Nov 2026 10:00:00 +0000 (UTC)\n\nFinal-Recipient: rfc822; bob@example.org\nOriginal-Recipient: rfc822;bob@example.org\nAction: failed\nStatus: 5.7.26\nRemote-MTA: dns; mx.example.org\nDiagnostic-Code: smtp; 550 5.7.26 Unauthenticated email from shop.example is not\n    accepted due to domain's DMARC policy\nLast-Attempt-Date: Mon, 30 Nov 2026 10:00:01 +0000 (UTC)\n\n--B\nContent-Type: text/rfc822-headers\n\nReturn-Path: <billing@shop.example>\nFrom: Shop <billing@shop.example>\nDKIM-Signature: v=1; a=rsa-sha256; d=shop.example; s=sel2026;\n    h=from:to:subject; bh=abc=; b=def=\nMessage-ID: <1@shop.example>\n\n--B--\n";
    let b = parse_message(raw).unwrap();
    assert_eq!(b.format, "rfc3464");
    assert_eq!(b.reporting_mta.as_deref(), Some("mx.shop.example"));
    assert_eq!(b.sender.as_deref(), Some("billing@shop.example"));
    assert_eq!(b.from_header.as_deref(), Some("billing@shop.example"));
    assert_eq!(b.dkim, vec![("shop.example".to_string(), "sel2026".to_string())]);
    let f = &b.failures[0];
    assert_eq!(f.recipient, "bob@example.org");
    assert_eq!(f.action.as_deref(), Some("failed"));
    assert_eq!(f.status.map(|s| s.to_string()).as_deref(), Some("5.7.26"));
    assert_eq!(f.reply_code, Some(550));
    assert_eq!(f.remote_host.as_deref(), Some("mx.example.org"));
    assert_eq!(f.explanation.cause, mailsleuth::reply::Cause::Dmarc);
    assert!(f.sender_side());
}

#[test]
fn not_bounces_and_tiny_inputs() {
    let base = corpus();
    for p in input::folder_files(&base.join("maildir/not")).unwrap() {
        // Read as the CLI reads it: a file that starts with "From " is an mbox.
        let raw = std::fs::read(&p).unwrap();
        let msgs = if input::is_mbox(&raw) { input::split_mbox(&raw) } else { vec![&raw[..]] };
        for m in msgs {
            assert!(parse_message(m).is_err(), "{} read as a bounce", p.display());
        }
    }
    for p in input::folder_files(&base.join("mailbox")).unwrap() {
        let raw = std::fs::read(&p).unwrap();
        if raw.len() <= 2 {
            assert!(parse_message(&raw).is_err());
        }
        for m in input::split_mbox(&raw) {
            let _ = parse_message(m);
        }
    }
    assert_eq!(parse_message(b"").unwrap_err(), NotBounce::Empty);
    assert!(parse_message(b"\r").is_err());
    assert!(parse_message(b"Subject: hi\n\nhello\n").is_err());
}

#[test]
fn hostile_inputs_are_bounded() {
    // Truncated MIME, 8-bit headers, a huge attachment, a bounce of a bounce.
    let mut big = b"From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail\nContent-Type: multipart/report; boundary=\"Z\"\n\n--Z\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b.example\nStatus: 5.1.1\n\n--Z\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n".to_vec();
    big.extend(std::iter::repeat_n(b'A', 20 * 1024 * 1024));
    let b = parse_message(&big).unwrap();
    assert_eq!(b.failures[0].status.map(|s| s.to_string()).as_deref(), Some("5.1.1"));
    let trunc = b"From: MAILER-DAEMON@x\nSubject: failure notice\nContent-Type: multipart/report; boundary=\"Q\"\n\n--Q\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; \xff\xfe@\xc3";
    let _ = parse_message(trunc);
    let eight = b"From: \xe9\xe8 <MAILER-DAEMON@x>\nSubject: \xff Undeliverable\n\n<a@b.example>: host x[192.0.2.1] said: 550 5.1.1 unknown\n";
    let _ = parse_message(eight);
    let inner = std::fs::read(corpus().join("maildir/bsd/lhost-postfix-01.eml")).unwrap();
    let mut nested = b"From: MAILER-DAEMON@outer.example\nSubject: Undelivered Mail Returned to Sender\nContent-Type: multipart/mixed; boundary=\"N\"\n\n--N\nContent-Type: text/plain\n\nThe bounce could not be delivered.\n\n--N\nContent-Type: message/rfc822\n\n".to_vec();
    nested.extend(&inner);
    nested.extend(b"\n--N--\n");
    let _ = parse_message(&nested);
}

#[test]
fn read_for_diagnosis_on_a_bounce() {
    let f = bounce::read_for_diagnosis(&corpus().join("maildir/bsd/lhost-postfix-01.eml")).unwrap();
    assert!(f.recipient.is_some());
    assert!(f.reply.is_some());
    assert!(f.sender.as_deref().is_some_and(|s| s.contains('@')));
    assert!(bounce::read_for_diagnosis(Path::new("/nonexistent/file.eml")).is_err());
}

#[test]
fn cli_reads_a_folder_and_an_mbox() {
    let dir = tempfile::tempdir().unwrap();
    let bsd = corpus().join("maildir/bsd");
    let mut mbox = Vec::new();
    for name in ["lhost-postfix-01.eml", "lhost-exim-01.eml", "lhost-qmail-01.eml"] {
        let raw = std::fs::read(bsd.join(name)).unwrap_or_default();
        std::fs::write(dir.path().join(name), &raw).unwrap();
        mbox.extend(b"From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n");
        mbox.extend(&raw);
        mbox.extend(b"\n");
    }
    let mbox_path = dir.path().join("box.mbox");
    std::fs::write(&mbox_path, &mbox).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailsleuth")).args(["--json", "bounce"]).arg(dir.path()).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // 3 files + the mbox's 3 messages.
    assert_eq!(v["summary"]["messages"], 6);
    assert!(v["summary"]["bounces"].as_u64().unwrap() >= 4);
}

#[test]
fn a_single_non_bounce_says_so() {
    let f = corpus().join("maildir/not/is-not-bounce-01.eml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailsleuth")).args(["--color", "never", "bounce"]).arg(&f).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert_eq!(stdout.trim(), format!("{} not a bounce", f.display()));
}

#[test]
fn bulk_mode_streams_in_a_stable_order() {
    // The same folder on 1 and 2 workers: identical output, in file order; the pool hands
    // results back in input order whatever finishes first, unreadable inputs included.
    let bsd = corpus().join("maildir/bsd");
    let run = |jobs: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailsleuth")).args(["--color", "never", "bounce", "--jobs", jobs]).arg(&bsd).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let (one, two) = (run("1"), run("2"));
    assert!(one.lines().count() > 500, "{}", one.lines().count());
    assert_eq!(one, two);
    let sources: Vec<&str> = one.lines().filter(|l| !l.starts_with(' ')).map(|l| l.split(' ').next().unwrap()).collect();
    let mut sorted = sources.clone();
    sorted.sort();
    assert_eq!(sources, sorted, "results are printed in file order");
    let mut got = Vec::new();
    mailsleuth::bounce::bulk::run_pool(
        (0..200).map(|i| (format!("m{i:03}"), if i % 7 == 0 { Err("unreadable".to_string()) } else { Ok(b"Subject: x\n\nnot a bounce\n".to_vec()) })),
        2,
        |it| got.push(it.source),
    );
    assert_eq!(got, (0..200).map(|i| format!("m{i:03}")).collect::<Vec<_>>());
}

/// A multipart/report with no text part: the MIME delimiters are no recipient's
/// diagnostic (they used to end the last recipient's: "Status: 2.0.0 --BB--").
#[test]
fn closing_boundary_is_not_part_of_a_diagnostic() {
    for (boundary, eol, blank_before_close) in [("BB", "\r\n", true), ("BB", "\n", false), ("=_Part:0.1", "\r\n", false)] {
        let close_gap = if blank_before_close { eol } else { "" };
        let raw = [
            "From: MAILER-DAEMON@mx.example",
            "To: a@shop.example",
            "Subject: Delivery report",
            "MIME-Version: 1.0",
            &format!("Content-Type: multipart/report; report-type=delivery-status; boundary=\"{boundary}\""),
            "",
            &format!("--{boundary}"),
            "Content-Type: message/delivery-status",
            "",
            "Reporting-MTA: dns; mx.example",
            "",
            "Final-Recipient: rfc822; y@remote.example",
            "Action: failed",
            "Status: 5.1.1",
            "Diagnostic-Code: smtp; 550 5.1.1 no such user",
            "",
            "Final-Recipient: rfc822; x@remote.example",
            "Action: relayed",
            "Status: 2.0.0",
        ]
        .join(eol)
            + eol
            + close_gap
            + &format!("--{boundary}--{eol}");
        let b = parse_message(raw.as_bytes()).unwrap_or_else(|e| panic!("{boundary}: {e:?}"));
        assert_eq!(b.format, "rfc3464");
        assert_eq!(b.failures.len(), 2, "{boundary}: {:#?}", b.failures);
        assert_eq!(b.failures[0].diagnostic.as_deref(), Some("550 5.1.1 no such user"));
        let last = &b.failures[1];
        assert_eq!(last.recipient, "x@remote.example");
        assert_eq!(last.status.map(|s| s.to_string()).as_deref(), Some("2.0.0"));
        assert_eq!(last.action.as_deref(), Some("relayed"));
        // The report gives it no diagnostic; its own fields are not one either.
        assert_eq!(last.diagnostic, None, "{boundary}");
        for f in &b.failures {
            let d = f.diagnostic.as_deref().unwrap_or("");
            assert!(!d.contains(&format!("--{boundary}")), "{boundary}: {d:?}");
        }
    }
}
