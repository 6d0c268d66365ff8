//! A minimal scripted SMTP server on 127.0.0.1 for tests that need a peer, not Postfix:
//! it greets, answers each command line with `answer(verb, line)`, and counts connections.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Start it; returns its port and the number of connections it has accepted so far.
/// `answer` gets the upper-cased verb (first four letters) and the whole line.
pub fn start(answer: fn(&str, &str) -> &'static [u8]) -> (u16, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for conn in l.incoming().flatten() {
            seen.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || {
                let mut w = conn.try_clone().unwrap();
                let _ = w.write_all(b"220 mx.loop.test ESMTP\r\n");
                for line in BufReader::new(conn).lines().map_while(Result::ok) {
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    if w.write_all(answer(&verb, &line)).is_err() || verb == "QUIT" {
                        break;
                    }
                }
            });
        }
    });
    (port, count)
}

/// The answers of a server that knows no user: RCPT TO is refused, the rest accepted.
pub fn no_such_user(verb: &str, _line: &str) -> &'static [u8] {
    match verb {
        "EHLO" | "HELO" => b"250 mx.loop.test\r\n",
        "MAIL" => b"250 2.1.0 Ok\r\n",
        "RCPT" => b"550 5.1.1 <nobody@loop.test>: Recipient address rejected: User unknown\r\n",
        "QUIT" => b"221 2.0.0 Bye\r\n",
        _ => b"250 2.0.0 Ok\r\n",
    }
}
