//! Hostile and broken peers: a scripted fake server on loopback (the only place a
//! hand-written server is right). Each case must end with a clear error naming the
//! stage, within the configured deadlines, without unbounded buffering.

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mailsleuth::smtp::client::{FailKind, SessionConfig, Timeouts};
use mailsleuth::smtp::probe::{self, Attempt, QuitAfter, Spec, TlsMode, Verdict};
use mailsleuth::smtp::reply_reader::ReplyLimits;
use mailsleuth::smtp::target::Target;
use mailsleuth::smtp::Stage;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Serve one connection with `script`.
async fn fake<F, Fut>(script: F) -> SocketAddr
where
    F: FnOnce(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        if let Ok((s, _)) = l.accept().await {
            script(s).await;
        }
    });
    addr
}

fn spec(tls: TlsMode) -> Spec {
    Spec {
        from: "a@example.test".into(),
        to: "b@example.test".into(),
        tls,
        tls_insecure: false,
        auth: None,
        helo: "client.example.test".into(),
        data: None,
        quit_after: QuitAfter::Rcpt,
        cfg: SessionConfig {
            timeouts: Timeouts {
                connect: Duration::from_secs(1),
                greeting: Duration::from_secs(2),
                command: Duration::from_secs(2),
                data_end: Duration::from_secs(2),
                total: Duration::from_secs(5),
            },
            limits: ReplyLimits::default(),
            extra_roots: Default::default(),
        },
    }
}

async fn run(addr: SocketAddr, spec: &Spec) -> (Attempt, Duration) {
    let t = Target { host: "mx.example.test".into(), addr, mx_preference: None };
    let t0 = Instant::now();
    let a = probe::session(&t, spec).await;
    (a, t0.elapsed())
}

/// Failed at `stage`, with an error that names the stage; returns the failure kind.
fn failed_at(a: &Attempt, stage: Stage) -> FailKind {
    match &a.verdict {
        Verdict::Failed { stage: s, error, failure } => {
            assert_eq!(*s, stage, "{error}");
            assert!(error.starts_with(&format!("{}:", stage.name())), "error does not name the stage: {error}");
            failure.kind.clone()
        }
        other => panic!("expected a failure at {stage}, got {other:?}"),
    }
}

/// Read client lines until `want` (upper-case prefix) arrives.
async fn until(r: &mut BufReader<TcpStream>, want: &str) {
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).await.unwrap_or(0) == 0 || line.to_ascii_uppercase().starts_with(want) {
            return;
        }
    }
}

#[tokio::test]
async fn endless_line_without_crlf() {
    let addr = fake(|mut s| async move {
        let chunk = vec![b'2'; 8192];
        // Up to 64 MiB: far beyond every limit; stops when the client hangs up.
        for _ in 0..8192 {
            if s.write_all(&chunk).await.is_err() {
                return;
            }
        }
    })
    .await;
    let (a, took) = run(addr, &spec(TlsMode::None)).await;
    let k = failed_at(&a, Stage::Greeting);
    assert!(matches!(&k, FailKind::BadReply { error } if error.contains("longer than 4096")), "{k:?}");
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[tokio::test]
async fn one_megabyte_multiline_reply() {
    let addr = fake(|s| async move {
        let mut r = BufReader::new(s);
        r.get_mut().write_all(b"220 fake ESMTP\r\n").await.unwrap();
        until(&mut r, "EHLO").await;
        let line = format!("250-{}\r\n", "x".repeat(1000));
        for _ in 0..1024 {
            if r.get_mut().write_all(line.as_bytes()).await.is_err() {
                return;
            }
        }
        let _ = r.get_mut().write_all(b"250 end\r\n").await;
    })
    .await;
    let (a, took) = run(addr, &spec(TlsMode::None)).await;
    let k = failed_at(&a, Stage::Ehlo);
    assert!(matches!(&k, FailKind::BadReply { error } if error.contains("more than 200 lines") || error.contains("larger than")), "{k:?}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert!(a.transcript.len() < 2100, "transcript is capped");
}

#[tokio::test]
async fn one_byte_per_second() {
    let addr = fake(|mut s| async move {
        for b in b"220 slow.example ESMTP\r\n" {
            if s.write_all(&[*b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
    .await;
    let (a, took) = run(addr, &spec(TlsMode::None)).await;
    let k = failed_at(&a, Stage::Greeting);
    assert!(matches!(k, FailKind::Timeout { after_ms: 2000, total_deadline: false }), "{k:?}");
    assert!(took >= Duration::from_secs(2) && took < Duration::from_millis(2500), "{took:?}");
}

#[tokio::test]
async fn no_greeting() {
    let addr = fake(|s| async move {
        tokio::time::sleep(Duration::from_secs(10)).await;
        drop(s);
    })
    .await;
    let (a, took) = run(addr, &spec(TlsMode::None)).await;
    assert!(matches!(failed_at(&a, Stage::Greeting), FailKind::Timeout { .. }));
    assert!(took < Duration::from_millis(2500), "{took:?}");
}

#[tokio::test]
async fn total_deadline_cuts_a_slow_server() {
    // Each reply comes 1.5 s late: within the 2 s step limit, but the 5 s deadline ends the session.
    let addr = fake(|s| async move {
        let mut r = BufReader::new(s);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let _ = r.get_mut().write_all(b"220 fake ESMTP\r\n").await;
        let mut line = String::new();
        while r.read_line(&mut line).await.unwrap_or(0) > 0 {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            let _ = r.get_mut().write_all(b"250 ok\r\n").await;
            line.clear();
        }
    })
    .await;
    let (a, took) = run(addr, &spec(TlsMode::None)).await;
    let stage = a.verdict.stage();
    assert!(matches!(failed_at(&a, stage), FailKind::Timeout { total_deadline: true, .. }), "{:?}", a.verdict);
    assert!(took < Duration::from_millis(5500), "{took:?}");
}

#[tokio::test]
async fn close_mid_reply() {
    let addr = fake(|s| async move {
        let mut r = BufReader::new(s);
        r.get_mut().write_all(b"220 fake ESMTP\r\n").await.unwrap();
        until(&mut r, "EHLO").await;
        let _ = r.get_mut().write_all(b"250-fake\r\n250-PIPELI").await;
    })
    .await;
    let (a, _) = run(addr, &spec(TlsMode::None)).await;
    let k = failed_at(&a, Stage::Ehlo);
    assert!(matches!(&k, FailKind::BadReply { error } if error.contains("closed the connection in the middle of a reply")), "{k:?}");
}

#[tokio::test]
async fn invalid_codes() {
    let addr = fake(|mut s| async move {
        let _ = s.write_all(b"hello, I am not SMTP\r\n").await;
    })
    .await;
    let (a, _) = run(addr, &spec(TlsMode::None)).await;
    assert!(matches!(failed_at(&a, Stage::Greeting), FailKind::BadReply { error } if error.contains("not an SMTP reply line")));

    let addr = fake(|s| async move {
        let mut r = BufReader::new(s);
        r.get_mut().write_all(b"220 fake ESMTP\r\n").await.unwrap();
        until(&mut r, "EHLO").await;
        let _ = r.get_mut().write_all(b"250-fake\r\n251 mixed\r\n").await;
        until(&mut r, "MAIL").await;
        let _ = r.get_mut().write_all(b"999 what\r\n").await;
    })
    .await;
    let (a, _) = run(addr, &spec(TlsMode::None)).await;
    assert!(matches!(failed_at(&a, Stage::Ehlo), FailKind::BadReply { error } if error.contains("changed its code")));
}

#[tokio::test]
async fn eight_bit_garbage() {
    let addr = fake(|mut s| async move {
        let garbage: Vec<u8> = (0..3000u32).map(|i| (i * 7919 % 251) as u8 | 0x80).collect();
        let _ = s.write_all(&garbage).await;
        let _ = s.write_all(b"\r\n").await;
    })
    .await;
    let (a, took) = run(addr, &spec(TlsMode::None)).await;
    assert!(matches!(failed_at(&a, Stage::Greeting), FailKind::BadReply { .. }));
    assert!(took < Duration::from_secs(2));

    // A valid code followed by bytes that are not UTF-8 text.
    let addr = fake(|mut s| async move {
        let _ = s.write_all(b"220 \xff\xfe\xc3\x28 mx\r\n").await;
    })
    .await;
    let (a, _) = run(addr, &spec(TlsMode::None)).await;
    assert!(matches!(failed_at(&a, Stage::Greeting), FailKind::BadReply { error } if error.contains("not text")));
}

/// Greets, advertises STARTTLS, answers 220 to it, then `after` decides what happens.
async fn starttls_server(after: &'static [u8]) -> SocketAddr {
    fake(move |s| async move {
        let mut r = BufReader::new(s);
        r.get_mut().write_all(b"220 fake ESMTP\r\n").await.unwrap();
        until(&mut r, "EHLO").await;
        r.get_mut().write_all(b"250-fake\r\n250 STARTTLS\r\n").await.unwrap();
        until(&mut r, "STARTTLS").await;
        let _ = r.get_mut().write_all(after).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    })
    .await
}

#[tokio::test]
async fn starttls_handshake_fails() {
    let addr = starttls_server(b"220 go ahead\r\nthis is not a TLS record at all, just text\r\n").await;
    let (a, took) = run(addr, &spec(TlsMode::Starttls)).await;
    assert!(matches!(failed_at(&a, Stage::Starttls), FailKind::Tls { .. }));
    assert!(took < Duration::from_secs(3));

    // The server accepts STARTTLS and sends plain text in the same packet (command injection risk).
    let addr = starttls_server(b"220 go ahead\r\n250 injected\r\n").await;
    let (a, _) = run(addr, &spec(TlsMode::Starttls)).await;
    assert!(matches!(failed_at(&a, Stage::Starttls), FailKind::Tls { error } if error.contains("before TLS started")));
}

#[tokio::test]
async fn starttls_required_but_not_offered() {
    let addr = fake(|s| async move {
        let mut r = BufReader::new(s);
        r.get_mut().write_all(b"220 fake ESMTP\r\n").await.unwrap();
        until(&mut r, "EHLO").await;
        let _ = r.get_mut().write_all(b"250-fake\r\n250 8BITMIME\r\n").await;
        until(&mut r, "QUIT").await;
    })
    .await;
    let (a, _) = run(addr, &spec(TlsMode::Starttls)).await;
    assert!(matches!(failed_at(&a, Stage::Starttls), FailKind::Unsupported { .. }));
}

#[test]
fn cli_exit_code_names_the_stage() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let addr = rt.block_on(fake(|s| async move {
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(s);
    }));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
        .args(["probe", "--server", &addr.to_string(), "--from", "a@example.test", "--to", "b@example.test", "--greeting-timeout", "0.5"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(11), "{stdout}");
    assert!(stdout.contains("failed at greeting: timed out after 500 ms"), "{stdout}");
}

/// A scripted server that accepts everything (for the fallback test's second MX).
async fn accepting(s: TcpStream) {
    let mut r = BufReader::new(s);
    let _ = r.get_mut().write_all(b"220 ok.example ESMTP\r\n").await;
    let mut line = String::new();
    while r.read_line(&mut line).await.unwrap_or(0) > 0 {
        let reply: &[u8] = if line.starts_with("QUIT") { b"221 bye\r\n" } else { b"250 ok\r\n" };
        let _ = r.get_mut().write_all(reply).await;
        line.clear();
    }
}

#[tokio::test]
async fn next_mx_after_a_refusing_greeting() {
    use mailsleuth::dns::{Rec, Resolver, StaticZone};
    // MX 10 on 127.0.0.1 greets "554 no service"; MX 20 on 127.0.0.2 (same port) accepts.
    let l1 = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l1.local_addr().unwrap().port();
    let Ok(l2) = TcpListener::bind(("127.0.0.2", port)).await else {
        eprintln!("port {port} is taken on 127.0.0.2; skipping");
        return;
    };
    tokio::spawn(async move {
        if let Ok((mut s, _)) = l1.accept().await {
            let _ = s.write_all(b"554 5.3.2 no service here\r\n").await;
        }
    });
    tokio::spawn(async move {
        if let Ok((s, _)) = l2.accept().await {
            accepting(s).await;
        }
    });
    let mut z = StaticZone::new();
    z.add("dest.example", Rec::Mx { preference: 20, exchange: "mx2.dest.example".into() });
    z.add("dest.example", Rec::Mx { preference: 10, exchange: "mx1.dest.example".into() });
    z.add("mx1.dest.example", Rec::A("127.0.0.1".parse().unwrap()));
    z.add("mx2.dest.example", Rec::A("127.0.0.2".parse().unwrap()));
    let resolver = Resolver::from_static(z);
    let run = probe::run(&resolver, probe::Where::Mx { domain: "dest.example", port }, Default::default(), &spec(TlsMode::None)).await;
    let hosts: Vec<&str> = run.attempts.iter().map(|a| a.target.host.as_str()).collect();
    assert_eq!(hosts, ["mx1.dest.example", "mx2.dest.example"]);
    assert!(matches!(&run.attempts[0].verdict, Verdict::Rejected { stage: Stage::Greeting, reply, .. } if reply.code == 554));
    assert!(matches!(run.attempts[1].verdict, Verdict::Accepted { after: Stage::RcptTo }));
    assert_eq!(run.exit_code(), 0);
}

#[path = "hostile/secret_echo.rs"]
mod secret_echo;
