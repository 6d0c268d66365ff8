//! A server that echoes what it got in AUTH (`535 5.7.8 ... bad AUTH PLAIN AGFsaWNl...`):
//! the password and every encoding we sent of it must appear nowhere — text, JSON, and
//! the evidence bundle of `diagnose --smtp --record`.

use base64::engine::general_purpose::{STANDARD as B64, STANDARD_NO_PAD as B64_NO_PAD};
use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const USER: &str = "alice";
const PASSWORD: &str = "S3cr3tPW!";

/// Every form of the secret that could leak.
fn forbidden() -> Vec<String> {
    let plain = format!("\0{USER}\0{PASSWORD}");
    let xoauth = format!("user={USER}\x01auth=Bearer {PASSWORD}\x01\x01");
    let mut v = vec![PASSWORD.to_string()];
    for blob in [PASSWORD.to_string(), plain, xoauth] {
        v.push(B64.encode(&blob));
        v.push(B64_NO_PAD.encode(&blob));
        // The first 16 characters: what the cut-off echo shows.
        let full = B64.encode(&blob);
        v.push(full[..full.len().min(16)].to_string());
    }
    v
}

/// Echo every AUTH line back in the rejection, decoded too; serve any number of sessions.
async fn echoing_server() -> std::net::SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut r = BufReader::new(s);
                let _ = r.get_mut().write_all(b"220 echo.example ESMTP\r\n").await;
                let mut line = String::new();
                let mut login = 0;
                while r.read_line(&mut line).await.unwrap_or(0) > 0 {
                    let l = line.trim_end().to_string();
                    line.clear();
                    let decoded = |b: &str| String::from_utf8_lossy(&B64.decode(b.trim()).unwrap_or_default()).replace('\0', " ");
                    let reply = if l.starts_with("EHLO") {
                        "250-echo.example\r\n250-AUTH PLAIN LOGIN XOAUTH2\r\n250 OK\r\n".to_string()
                    } else if l == "AUTH LOGIN" {
                        login = 1;
                        "334 VXNlcm5hbWU6\r\n".into()
                    } else if login == 1 {
                        login = 2;
                        "334 UGFzc3dvcmQ6\r\n".into()
                    } else if login == 2 {
                        login = 0;
                        format!("535-5.7.8 bad password line {l}\r\n535 5.7.8 that is {}\r\n", decoded(&l))
                    } else if let Some(blob) = l.strip_prefix("AUTH PLAIN ").or_else(|| l.strip_prefix("AUTH XOAUTH2 ")) {
                        // A cut-off echo first (servers truncate long lines), then the whole line.
                        let cut = &blob[..blob.len().min(16)];
                        format!("535-5.7.8 line starts {cut}\r\n535 5.7.8 Error: authentication failed: bad {l} ({})\r\n", decoded(blob))
                    } else if l.starts_with("QUIT") {
                        "221 bye\r\n".into()
                    } else {
                        format!("250 ok, you said {l}\r\n")
                    };
                    if r.get_mut().write_all(reply.as_bytes()).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

fn mailsleuth(args: &[&str]) -> String {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
        .args(args)
        .env("MAILSLEUTH_SMTP_PASSWORD", PASSWORD)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

fn assert_clean(what: &str, out: &str) {
    for f in forbidden() {
        assert!(!out.contains(&f), "{what}: {f:?} in the output:\n{out}");
    }
}

#[test]
fn an_echoed_secret_is_masked_everywhere() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let addr = rt.block_on(echoing_server()).to_string();
    for mech in ["plain", "login", "xoauth2"] {
        for json in [false, true] {
            let mut args = if json { vec!["--json"] } else { vec![] };
            args.extend(["probe", "--server", &addr, "--tls", "none", "--auth-user", USER, "--auth-mech", mech, "--from", "a@example.test", "--to", "b@example.test"]);
            let out = mailsleuth(&args);
            // The server's reply is there (the test is not vacuous), only the secret is masked.
            assert!(out.contains("535"), "{mech}: no rejection shown:\n{out}");
            assert!(out.contains("********"), "{mech}: nothing masked:\n{out}");
            assert_clean(mech, &out);
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("b.json");
    let out = mailsleuth(&["--zones", "examples/world/zones", "--json", "diagnose", "news@good.example", "--no-dnsbl", "--smtp", &addr, "--auth-user", USER, "--record", bundle.to_str().unwrap()]);
    assert!(out.contains("535"), "diagnose: no rejection shown:\n{out}");
    assert_clean("diagnose", &out);
    let saved = std::fs::read_to_string(&bundle).unwrap();
    assert!(saved.contains("535"), "the bundle holds the transcript");
    assert_clean("bundle", &saved);
}
