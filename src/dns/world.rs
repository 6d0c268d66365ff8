//! The embedded DNS world: zone files served by an in-process authoritative server
//! (hickory-server) on an ephemeral loopback port, reached over real UDP and TCP.
//!
//! Names outside the loaded zones answer NXDOMAIN (an offline world), through an empty
//! root zone. Faults (SERVFAIL, REFUSED, no answer) can be injected per name, which is
//! how tests prove that failure is never reported as absence.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use hickory_proto::op::{Header, HeaderCounts, Metadata, MessageType, ResponseCode};
use hickory_proto::rr::{LowerName, Name};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, MessageResponseBuilder, ZoneHandler, ZoneType};
use hickory_server::Server;
use tokio::net::{TcpListener, UdpSocket};

use super::zonefile::{self, LoadedZone, ZoneError};
use super::{is_at_or_under, normalize, RType};

/// A fault injected for queries at or under a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    ServFail,
    Refused,
    /// Never answer: the client times out.
    NoAnswer,
}

#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    #[error(transparent)]
    Zone(#[from] ZoneError),
    #[error("{path}: zone {origin}: {message}")]
    Load { path: String, origin: String, message: String },
    #[error("cannot listen on loopback: {0}")]
    Bind(std::io::Error),
}

#[derive(Clone)]
struct FaultRule {
    name: String,
    rtype: Option<RType>,
    fault: Fault,
}

struct WorldHandler {
    catalog: Catalog,
    faults: Arc<RwLock<Vec<FaultRule>>>,
    /// Added before every answer, in microseconds (latency benchmarks: the kernel here
    /// has no netem, so the server itself waits).
    delay_us: Arc<std::sync::atomic::AtomicU64>,
}

fn rtype_of(rt: hickory_proto::rr::RecordType) -> Option<RType> {
    use hickory_proto::rr::RecordType as T;
    Some(match rt {
        T::A => RType::A,
        T::AAAA => RType::Aaaa,
        T::MX => RType::Mx,
        T::TXT => RType::Txt,
        T::PTR => RType::Ptr,
        T::CNAME => RType::Cname,
        T::NS => RType::Ns,
        T::SOA => RType::Soa,
        T::DS => RType::Ds,
        T::Unknown(99) => RType::Spf,
        _ => return None,
    })
}

#[async_trait::async_trait]
impl RequestHandler for WorldHandler {
    async fn handle_request<R: ResponseHandler, T: hickory_net::runtime::Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        let delay = self.delay_us.load(std::sync::atomic::Ordering::Relaxed);
        if delay > 0 {
            tokio::time::sleep(Duration::from_micros(delay)).await;
        }
        let fault = request.queries.queries().first().and_then(|q| {
            let name = normalize(&q.name().to_ascii());
            let rtype = rtype_of(q.query_type());
            let rules = self.faults.read().unwrap_or_else(|e| e.into_inner());
            rules
                .iter()
                .find(|r| is_at_or_under(&name, &r.name) && (r.rtype.is_none() || r.rtype == rtype))
                .map(|r| r.fault)
        });
        let code = match fault {
            None => return self.catalog.handle_request::<R, T>(request, response_handle).await,
            Some(Fault::NoAnswer) => {
                let mut metadata = Metadata::new(request.metadata.id, MessageType::Response, request.metadata.op_code);
                metadata.response_code = ResponseCode::ServFail;
                return ResponseInfo::from(Header { metadata, counts: HeaderCounts::default() });
            }
            Some(Fault::ServFail) => ResponseCode::ServFail,
            Some(Fault::Refused) => ResponseCode::Refused,
        };
        let response = MessageResponseBuilder::new(&request.queries, None).error_msg(&request.metadata, code);
        match response_handle.send_response(response).await {
            Ok(info) => info,
            Err(_) => {
                let mut metadata = Metadata::new(request.metadata.id, MessageType::Response, request.metadata.op_code);
                metadata.response_code = code;
                ResponseInfo::from(Header { metadata, counts: HeaderCounts::default() })
            }
        }
    }
}

/// A running embedded DNS world. Dropping it stops the server.
pub struct World {
    addr: SocketAddr,
    /// What is served, for reports ("zones from examples/world/zones").
    origin: String,
    apexes: Vec<String>,
    faults: Arc<RwLock<Vec<FaultRule>>>,
    delay_us: Arc<std::sync::atomic::AtomicU64>,
    _server: Server<WorldHandler>,
}

/// How many ephemeral ports to try before giving up on a UDP + TCP pair.
const PORT_PAIR_ATTEMPTS: usize = 64;

/// Bind UDP and TCP on the same address. With port 0 the OS picks a free UDP port, but
/// that port may be taken for TCP (any outgoing connection can hold it), so a fresh pair
/// is tried until both bind; a fixed port is tried once.
async fn bind_udp_and_tcp(bind: SocketAddr) -> Result<(UdpSocket, TcpListener, SocketAddr), WorldError> {
    let attempts = if bind.port() == 0 { PORT_PAIR_ATTEMPTS } else { 1 };
    let mut last = None;
    for _ in 0..attempts {
        let udp = UdpSocket::bind(bind).await.map_err(WorldError::Bind)?;
        let addr = udp.local_addr().map_err(WorldError::Bind)?;
        match TcpListener::bind(addr).await {
            Ok(tcp) => return Ok((udp, tcp, addr)),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => last = Some(e),
            Err(e) => return Err(WorldError::Bind(e)),
        }
    }
    Err(WorldError::Bind(last.unwrap_or_else(|| std::io::Error::from(std::io::ErrorKind::AddrInUse))))
}

impl World {
    /// Serve the zone file or folder at `path` on 127.0.0.1 (ephemeral port).
    pub async fn start(path: &Path) -> Result<World, WorldError> {
        let zones = zonefile::load_path(path)?;
        let mut world = Self::serve(zones, "127.0.0.1:0".parse().expect("literal address")).await?;
        world.origin = format!("zones from {}", path.display());
        Ok(world)
    }

    /// Serve already-loaded zones on `bind` (port 0 picks a free one).
    pub async fn serve(zones: Vec<LoadedZone>, bind: SocketAddr) -> Result<World, WorldError> {
        let mut catalog = Catalog::new();
        let mut apexes = Vec::new();
        let mut has_root = false;
        for zone in zones {
            let origin = zone.origin.clone();
            let path = zone.path.display().to_string();
            has_root |= origin.is_root();
            apexes.push(zone.apex());
            let handler = InMemoryZoneHandler::<hickory_net::runtime::TokioRuntimeProvider>::new(
                origin.clone(),
                zone.records,
                ZoneType::Primary,
                AxfrPolicy::Deny,
            )
            .map_err(|message| WorldError::Load { path, origin: origin.to_string(), message })?;
            let handlers: Vec<Arc<dyn ZoneHandler>> = vec![Arc::new(handler)];
            catalog.upsert(LowerName::new(&origin), handlers);
        }
        if !has_root {
            // An empty root zone makes every name outside the world NXDOMAIN, not REFUSED.
            let root = zonefile::parse_zone("", Path::new("root.zone"))?;
            let handler = InMemoryZoneHandler::<hickory_net::runtime::TokioRuntimeProvider>::new(
                Name::root(),
                root.records,
                ZoneType::Primary,
                AxfrPolicy::Deny,
            )
            .map_err(|message| WorldError::Load { path: "the empty root zone".into(), origin: ".".into(), message })?;
            let handlers: Vec<Arc<dyn ZoneHandler>> = vec![Arc::new(handler)];
            catalog.upsert(LowerName::new(&Name::root()), handlers);
        }
        let faults = Arc::new(RwLock::new(Vec::new()));
        let delay_us = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let handler = WorldHandler { catalog, faults: faults.clone(), delay_us: delay_us.clone() };
        let (udp, tcp, addr) = bind_udp_and_tcp(bind).await?;
        let mut server = Server::new(handler);
        server.register_socket(udp);
        server.register_listener(tcp, Duration::from_secs(5), 64 * 1024);
        Ok(World { addr, origin: "zones".to_string(), apexes, faults, delay_us, _server: server })
    }

    /// A short description: what is served and where.
    pub fn describe(&self) -> String {
        format!("embedded DNS server ({}) at {}", self.origin, self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The origins served, lower case without the trailing dot ("" is the root).
    pub fn apexes(&self) -> &[String] {
        &self.apexes
    }

    /// Make queries at or under `name` (optionally only of one type) fail.
    pub fn inject(&self, name: &str, rtype: Option<RType>, fault: Fault) {
        let rule = FaultRule { name: normalize(name), rtype, fault };
        self.faults.write().unwrap_or_else(|e| e.into_inner()).push(rule);
    }

    /// Delay every answer by `delay` (simulated network latency for benchmarks).
    pub fn set_delay(&self, delay: Duration) {
        self.delay_us.store(delay.as_micros() as u64, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn clear_faults(&self) {
        self.faults.write().unwrap_or_else(|e| e.into_inner()).clear();
    }
}
