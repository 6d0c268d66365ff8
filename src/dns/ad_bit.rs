//! The AD (authenticated data) bit, asked for explicitly. hickory-resolver built without
//! its DNSSEC features never sets DO or AD in a query, and a validating resolver only sets
//! AD in its answer when the query asked for it (RFC 6840 §5.7). So for DS queries (the
//! DNSSEC posture check) one extra query is sent by hand, with AD=1 and EDNS DO=1, to the
//! same servers, and only the AD bit of its answer is read. Bounded: one UDP datagram of
//! at most 4 KiB per server, one timeout each.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::op::{Edns, Message, Query};
use hickory_proto::rr::{Name, RecordType};
use tokio::net::UdpSocket;

/// What the resolver said about validation.
pub async fn ad_bit(servers: &[SocketAddr], name: &Name, rtype: RecordType, timeout: Duration) -> Option<bool> {
    for server in servers {
        if let Ok(Some(ad)) = tokio::time::timeout(timeout, ask(*server, name, rtype)).await {
            return Some(ad);
        }
    }
    None
}

async fn ask(server: SocketAddr, name: &Name, rtype: RecordType) -> Option<bool> {
    let mut msg = Message::query();
    msg.metadata.recursion_desired = true;
    msg.metadata.authentic_data = true;
    msg.queries.push(Query::query(name.clone(), rtype));
    let mut edns = Edns::new();
    edns.set_max_payload(1232).set_dnssec_ok(true);
    msg.edns = Some(edns);
    let id = msg.metadata.id;
    let bytes = msg.to_vec().ok()?;
    let bind: SocketAddr = if server.is_ipv4() { "0.0.0.0:0".parse().ok()? } else { "[::]:0".parse().ok()? };
    let sock = UdpSocket::bind(bind).await.ok()?;
    sock.connect(server).await.ok()?;
    sock.send(&bytes).await.ok()?;
    let mut buf = vec![0u8; 4096];
    loop {
        let n = sock.recv(&mut buf).await.ok()?;
        // A truncated answer still carries its header, and the AD bit is in the header.
        if let Ok(reply) = Message::from_vec(&buf[..n]) {
            if reply.metadata.id == id {
                return Some(reply.metadata.authentic_data);
            }
        }
    }
}
