//! TLS for the probe: the handshake always completes (so the user can see what the
//! server presents), while a recording verifier notes whether the chain is trusted
//! (webpki-roots) and the name matches. The caller decides whether to continue.

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, Error as TlsError, RootCertStore, SignatureScheme};
use serde::Serialize;

/// What the handshake and the certificate showed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TlsInfo {
    pub version: String,
    pub cipher: String,
    /// The name the certificate was checked against.
    pub server_name: String,
    /// The chain leads to a root in webpki-roots and the name matches.
    pub trusted: bool,
    /// Why verification failed, in rustls' words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_error: Option<String>,
    /// The certificate names the server (SAN, with wildcards), checked separately from trust.
    pub hostname_match: bool,
    pub subject: String,
    pub issuer: String,
    pub self_signed: bool,
    pub dns_names: Vec<String>,
    pub not_after: String,
    pub expired: bool,
    pub days_left: i64,
}

/// Wraps the WebPKI verifier: records its verdict instead of failing the handshake.
/// Signatures are still checked, so the peer must hold the certificate's key.
#[derive(Debug)]
struct Recorder {
    inner: Arc<WebPkiServerVerifier>,
    verdict: Mutex<Option<Result<(), TlsError>>>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        let r = self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now);
        *self.verdict.lock().unwrap_or_else(|e| e.into_inner()) = Some(r.map(|_| ()));
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, TlsError> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, TlsError> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A client config for one handshake, and the slot its verdict lands in.
pub struct Prepared {
    pub config: Arc<ClientConfig>,
    recorder: Arc<Recorder>,
}

pub fn prepare(extra_roots: &[CertificateDer<'static>]) -> Result<Prepared, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for c in extra_roots {
        roots.add(c.clone()).map_err(|e| format!("--tls-ca: {e}"))?;
    }
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build().map_err(|e| e.to_string())?;
    let recorder = Arc::new(Recorder { inner, verdict: Mutex::new(None) });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    Ok(Prepared { config: Arc::new(config), recorder })
}

/// Certificates from a PEM file (`--tls-ca`), each checked to be usable as a trust anchor.
pub fn load_pem_certs(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, String> {
    use base64::Engine;
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.len() > 4 << 20 {
        return Err(format!("{}: larger than 4 MiB", path.display()));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    let mut b64: Option<String> = None;
    for line in text.lines().map(str::trim) {
        match (&mut b64, line) {
            (None, "-----BEGIN CERTIFICATE-----") => b64 = Some(String::new()),
            (Some(acc), "-----END CERTIFICATE-----") => {
                let der = base64::engine::general_purpose::STANDARD.decode(acc.as_bytes()).map_err(|e| format!("{}: bad base64 in a certificate: {e}", path.display()))?;
                out.push(CertificateDer::from(der));
                b64 = None;
            }
            (Some(acc), l) => acc.push_str(l),
            (None, _) => {}
        }
    }
    if out.is_empty() {
        return Err(format!("{}: no PEM certificate (-----BEGIN CERTIFICATE-----) found", path.display()));
    }
    let mut check = RootCertStore::empty();
    for c in &out {
        check.add(c.clone()).map_err(|e| format!("{}: not usable as a trust anchor: {e}", path.display()))?;
    }
    Ok(out)
}

/// `name` may be a host name or an IP address.
pub fn server_name(name: &str) -> Result<ServerName<'static>, String> {
    ServerName::try_from(name.to_string()).map_err(|e| format!("{name:?} is not a valid TLS server name: {e}"))
}

fn name_matches(pattern: &str, host: &str) -> bool {
    let (p, h) = (pattern.to_ascii_lowercase(), host.trim_end_matches('.').to_ascii_lowercase());
    match p.strip_prefix("*.") {
        Some(rest) => h.split_once('.').is_some_and(|(label, tail)| !label.is_empty() && tail == rest),
        None => p == h,
    }
}

/// rustls' verdict in the words of a mail admin.
fn describe(e: &TlsError) -> String {
    use rustls::CertificateError as C;
    match e {
        TlsError::InvalidCertificate(c) => match c {
            C::UnknownIssuer => "issued by a CA that is not in the trusted roots (webpki-roots), or the chain is incomplete".into(),
            C::NotValidForName | C::NotValidForNameContext { .. } => "the certificate does not name this host".into(),
            C::Expired | C::ExpiredContext { .. } => "the certificate has expired".into(),
            C::NotValidYet | C::NotValidYetContext { .. } => "the certificate is not valid yet".into(),
            C::Revoked => "the certificate is revoked".into(),
            C::Other(o) if format!("{o:?}").contains("CaUsedAsEndEntity") => "self-signed certificate (a CA certificate used as the server's own)".into(),
            other => format!("invalid certificate: {other:?}"),
        },
        other => other.to_string(),
    }
}

/// Collect the facts after a completed handshake.
pub fn facts(prepared: &Prepared, conn: &rustls::ClientConnection, name: &str) -> TlsInfo {
    let mut info = TlsInfo { server_name: name.to_string(), ..TlsInfo::default() };
    info.version = conn.protocol_version().map(|v| format!("{v:?}").replace('_', ".")).unwrap_or_default();
    info.cipher = conn.negotiated_cipher_suite().map(|c| format!("{:?}", c.suite())).unwrap_or_default();
    match prepared.recorder.verdict.lock().unwrap_or_else(|e| e.into_inner()).take() {
        Some(Ok(())) => info.trusted = true,
        Some(Err(e)) => info.trust_error = Some(describe(&e)),
        None => info.trust_error = Some("no certificate was verified".into()),
    }
    let cert = conn.peer_certificates().and_then(|c| c.first());
    if let Some(Ok((_, x))) = cert.map(|c| x509_parser::parse_x509_certificate(c.as_ref())) {
        info.subject = x.subject().to_string();
        info.issuer = x.issuer().to_string();
        info.self_signed = x.subject() == x.issuer();
        if let Ok(Some(san)) = x.subject_alternative_name() {
            for gn in &san.value.general_names {
                match gn {
                    x509_parser::extensions::GeneralName::DNSName(d) => info.dns_names.push(d.to_string()),
                    x509_parser::extensions::GeneralName::IPAddress(b) => {
                        let ip = match b.len() {
                            4 => Some(std::net::IpAddr::from(<[u8; 4]>::try_from(*b).unwrap_or_default())),
                            16 => Some(std::net::IpAddr::from(<[u8; 16]>::try_from(*b).unwrap_or_default())),
                            _ => None,
                        };
                        if let Some(ip) = ip {
                            info.dns_names.push(ip.to_string());
                        }
                    }
                    _ => {}
                }
            }
        }
        let not_after = x.validity().not_after.timestamp();
        let now = chrono::Utc::now().timestamp();
        info.not_after = chrono::DateTime::from_timestamp(not_after, 0).map(|d| d.to_rfc3339()).unwrap_or_default();
        info.expired = now > not_after || now < x.validity().not_before.timestamp();
        info.days_left = (not_after - now).div_euclid(86400);
    }
    info.hostname_match = info.dns_names.iter().any(|n| name_matches(n, name));
    info
}

#[cfg(test)]
mod tests {
    #[test]
    fn wildcards() {
        use super::name_matches as m;
        assert!(m("mx.example.com", "MX.example.com."));
        assert!(m("*.example.com", "mx.example.com"));
        assert!(!m("*.example.com", "a.b.example.com"));
        assert!(!m("*.example.com", "example.com"));
    }
}
