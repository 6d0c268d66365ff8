//! The MTA-STS policy fetch over real HTTPS on loopback: a private CA (made with openssl)
//! signs the policy host's certificate; the embedded DNS world points mta-sts.<domain>
//! at 127.0.0.1.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use mailsleuth::dns::{DnsConfig, Resolver, World};
use mailsleuth::finding::Severity;
use mailsleuth::host::mta_sts::FetchOptions;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn openssl(dir: &Path, args: &[&str]) {
    let st = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl is installed (scripts/test installs it)");
    assert!(st.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&st.stderr));
}

/// A CA and a certificate for `names`, as (ca.pem path, leaf DER, key DER).
fn make_certs(dir: &Path, names: &[&str]) -> (std::path::PathBuf, Vec<u8>, Vec<u8>) {
    openssl(dir, &["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=mailsleuth test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-keyout", "ca.key", "-out", "ca.pem"]);
    openssl(dir, &["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=policy host", "-keyout", "leaf.key", "-out", "leaf.csr"]);
    let san = names.iter().map(|n| format!("DNS:{n}")).collect::<Vec<_>>().join(",");
    std::fs::write(dir.join("leaf.ext"), format!("basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName={san}\n")).unwrap();
    openssl(dir, &["x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "leaf.ext", "-outform", "DER", "-out", "leaf.der"]);
    openssl(dir, &["pkcs8", "-topk8", "-nocrypt", "-in", "leaf.key", "-outform", "DER", "-out", "leaf.key.der"]);
    (dir.join("ca.pem"), std::fs::read(dir.join("leaf.der")).unwrap(), std::fs::read(dir.join("leaf.key.der")).unwrap())
}

/// An HTTPS server answering every request with `policy` (by Host header).
async fn serve(cert: Vec<u8>, key: Vec<u8>, policies: Vec<(&'static str, &'static str)>) -> u16 {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(cert)], PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)))
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        for _ in 0..20 {
            let Ok((tcp, _)) = listener.accept().await else { return };
            let acceptor = acceptor.clone();
            let policies = policies.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut buf = vec![0u8; 4096];
                let n = tls.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let body = policies.iter().find(|(h, _)| req.contains(&format!("Host: {h}"))).map(|(_, b)| *b);
                let resp = match body {
                    Some(b) => format!("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n{b}"),
                    None => "HTTP/1.0 404 Not Found\r\n\r\n".to_string(),
                };
                let _ = tls.write_all(resp.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

#[tokio::test]
async fn policy_is_fetched_parsed_and_checked_against_the_mx() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = make_certs(dir.path(), &["mta-sts.sts.example", "mta-sts.gap.example", "mta-sts.junk.example"]);
    let port = serve(
        cert,
        key,
        vec![
            ("mta-sts.sts.example", "version: STSv1\r\nmode: enforce\r\nmx: mail.sts.example\r\nmax_age: 604800\r\n"),
            ("mta-sts.gap.example", "version: STSv1\nmode: enforce\nmx: old-mx.gap.example\nmax_age: 86400\n"),
            ("mta-sts.junk.example", "<html>not a policy</html>"),
        ],
    )
    .await;
    let zones = dir.path().join("zones");
    std::fs::create_dir(&zones).unwrap();
    for d in ["sts", "gap", "junk", "offline"] {
        std::fs::write(
            zones.join(format!("{d}.example.zone")),
            format!("$TTL 60\n@ IN MX 10 mail.{d}.example.\nmail IN A 192.0.2.1\n_mta-sts IN TXT \"v=STSv1; id=2026\"\nmta-sts IN A 127.0.0.1\n"),
        )
        .unwrap();
    }
    // offline.example: the policy host does not resolve.
    std::fs::write(zones.join("offline.example.zone"), "$TTL 60\n@ IN MX 10 mail.offline.example.\n_mta-sts IN TXT \"v=STSv1; id=1\"\n").unwrap();
    let world = World::start(&zones).await.unwrap();
    let r = Resolver::for_world(&world, &DnsConfig { servers: vec![], timeout: Duration::from_millis(500), attempts: 1 }).unwrap();
    let opts = FetchOptions { port, extra_roots: mailsleuth::smtp::tls::load_pem_certs(&ca).unwrap() };
    let get = |fs: Vec<mailsleuth::finding::Finding>, id: &str| fs.into_iter().find(|f| f.id == id);

    let sts = mailsleuth::host::posture::check_with(&r, "sts.example", &opts).await;
    let p = get(sts.clone(), "host.mta-sts-policy").expect("policy finding");
    assert_eq!(p.severity, Severity::Ok, "{p:?}");
    assert!(p.title.contains("mode enforce, max_age 604800"), "{p:?}");
    assert!(get(sts, "host.mta-sts-mx-mismatch").is_none());

    let gap = get(mailsleuth::host::posture::check_with(&r, "gap.example", &opts).await, "host.mta-sts-mx-mismatch").expect("mismatch");
    assert_eq!(gap.severity, Severity::Warning);
    assert!(gap.title.contains("mail.gap.example"), "{gap:?}");

    let junk = get(mailsleuth::host::posture::check_with(&r, "junk.example", &opts).await, "host.mta-sts-policy").unwrap();
    assert_eq!(junk.severity, Severity::Warning);
    assert!(junk.title.contains("invalid"), "{junk:?}");

    let off = get(mailsleuth::host::posture::check_with(&r, "offline.example", &opts).await, "host.mta-sts-policy").unwrap();
    assert_eq!(off.severity, Severity::Info);
    assert!(off.evidence[0].contains("does not resolve"), "{off:?}");

    // Without the private CA the certificate is not trusted: senders would ignore the policy.
    let untrusted = get(mailsleuth::host::posture::check_with(&r, "sts.example", &FetchOptions { port, extra_roots: vec![] }).await, "host.mta-sts-policy").unwrap();
    assert!(untrusted.evidence[0].contains("not trusted"), "{untrusted:?}");
}
