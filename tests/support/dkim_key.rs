//! The dkimpy test key (read from ../shared/data at run time, never copied) for tests that
//! sign messages with mail-auth's signer.
#![allow(dead_code)]

use base64::Engine;
use mail_auth::common::crypto::{RsaKey, Sha256};
use mailsleuth::conformance::require_data_dir;

/// The private key of selector `test` (dkim/dkimpy-testdata/test.private).
pub fn signing_key() -> RsaKey<Sha256> {
    let d = require_data_dir("dkim/dkimpy-testdata/test.private");
    let pem = std::fs::read_to_string(d.join("dkim/dkimpy-testdata/test.private")).unwrap();
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
    let der = rustls::pki_types::PrivateKeyDer::Pkcs1(rustls::pki_types::PrivatePkcs1KeyDer::from(der));
    RsaKey::<Sha256>::from_key_der(der).unwrap()
}

/// Its public key record (dkim/dkimpy-testdata/test.txt).
pub fn public_record() -> String {
    let d = require_data_dir("dkim/dkimpy-testdata/test.txt");
    std::fs::read_to_string(d.join("dkim/dkimpy-testdata/test.txt")).unwrap().trim().to_string()
}
