//! The real-resolver backend on hickory-resolver, with outcomes classified by
//! matching hickory's error enums (never by message text).

use std::net::SocketAddr;

use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use hickory_resolver::{Resolver, TokioResolver};

use super::{Answer, DnsConfig, DnsSetupError, Outcome, RType, Rec};

pub(super) struct HickoryBackend {
    resolver: TokioResolver,
    servers: String,
    /// Who answered, for the log: the server when there is one; with several, "one of"
    /// them (hickory-resolver does not report which one answered, and may ask two at once).
    answered_by: String,
    /// The same servers, for the hand-made AD-bit query (ad_bit.rs).
    addrs: Vec<SocketAddr>,
    timeout: std::time::Duration,
    /// Replaces the server list in reports (e.g. "embedded DNS server ...").
    label: Option<String>,
}

fn record_type(rtype: RType) -> RecordType {
    match rtype {
        RType::A => RecordType::A,
        RType::Aaaa => RecordType::AAAA,
        RType::Mx => RecordType::MX,
        RType::Txt => RecordType::TXT,
        RType::Ptr => RecordType::PTR,
        RType::Cname => RecordType::CNAME,
        RType::Ns => RecordType::NS,
        RType::Soa => RecordType::SOA,
        RType::Spf => RecordType::Unknown(99),
        RType::Ds => RecordType::DS,
    }
}

fn name_text(n: &Name) -> String {
    super::normalize(&n.to_ascii())
}

/// The name put on the wire for `name` (dot-separated labels, no escapes). A label may
/// hold any octet (RFC 2181 §11), and a name an SPF macro makes often holds '@', '+', '%'
/// or a space (RFC 7208 §7.3 still asks it): hickory's text parser refuses those, so such
/// a name is built from its raw labels. A backslash is an octet too, not an escape (the
/// text parser would read `\065` as another name). Empty labels, a label over 63 octets
/// and a name over 253 stay invalid.
fn wire_name(name: &str) -> Result<Name, String> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if let Some(why) = super::invalid_name(name) {
        return Err(why);
    }
    if !name.contains('\\') {
        if let Ok(n) = Name::from_ascii(format!("{name}.")) {
            return Ok(n);
        }
    }
    Name::from_labels(name.split('.').map(str::as_bytes)).map_err(|e| e.to_string())
}

pub(super) fn convert(rdata: &RData) -> Rec {
    match rdata {
        RData::A(a) => Rec::A(a.0),
        RData::AAAA(a) => Rec::Aaaa(a.0),
        RData::MX(mx) => Rec::Mx { preference: mx.preference, exchange: name_text(&mx.exchange) },
        RData::TXT(txt) => Rec::Txt(txt.txt_data.iter().map(|s| s.to_vec()).collect()),
        RData::PTR(p) => Rec::Ptr(name_text(&p.0)),
        RData::CNAME(c) => Rec::Cname(name_text(&c.0)),
        RData::NS(n) => Rec::Ns(name_text(&n.0)),
        RData::SOA(s) => Rec::Soa {
            mname: name_text(&s.mname),
            rname: name_text(&s.rname),
            serial: s.serial,
            minimum: s.minimum,
        },
        RData::Unknown { code: RecordType::DS, rdata } => Rec::Other(ds_text(rdata.anything.as_slice())),
        other => Rec::Other(other.to_string()),
    }
}

/// A DS record (RFC 4034 §5.3) in presentation form; hickory decodes DS only with its
/// DNSSEC features, so the wire data arrives as unknown data.
fn ds_text(b: &[u8]) -> String {
    if b.len() < 5 {
        return format!("DS (malformed, {} bytes)", b.len());
    }
    let digest: String = b[4..].iter().map(|x| format!("{x:02X}")).collect();
    format!("{} {} {} {digest}", u16::from_be_bytes([b[0], b[1]]), b[2], b[3])
}

/// The SPF RR type (99) arrives as unknown data whose wire format is TXT's.
fn convert_spf(rdata: &RData) -> Option<Rec> {
    if let RData::Unknown { rdata, .. } = rdata {
        let bytes = rdata.anything.as_slice();
        let mut parts = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let len = bytes[i] as usize;
            let end = (i + 1 + len).min(bytes.len());
            parts.push(bytes[i + 1..end].to_vec());
            i = end;
        }
        return Some(Rec::Txt(parts));
    }
    None
}

impl HickoryBackend {
    pub(super) fn new(cfg: &DnsConfig) -> Result<Self, DnsSetupError> {
        let (config, mut opts) = if cfg.servers.is_empty() {
            hickory_resolver::system_conf::read_system_conf()
                .map_err(|e| DnsSetupError::SystemConfig(e.to_string()))?
        } else {
            let mut config = ResolverConfig::from_name_servers(Vec::new());
            for addr in &cfg.servers {
                config.add_name_server(server(*addr));
            }
            (config, ResolverOpts::default())
        };
        if config.name_servers().is_empty() {
            return Err(DnsSetupError::NoServers);
        }
        let addrs: Vec<SocketAddr> = config
            .name_servers()
            .iter()
            .map(|ns| SocketAddr::new(ns.ip, ns.connections.first().map(|c| c.port).unwrap_or(53)))
            .collect();
        let servers = config
            .name_servers()
            .iter()
            .map(|ns| {
                let port = ns.connections.first().map(|c| c.port).unwrap_or(53);
                SocketAddr::new(ns.ip, port).to_string()
            })
            .collect::<Vec<_>>()
            .join(", ");
        opts.timeout = cfg.timeout;
        opts.attempts = cfg.attempts.max(1);
        // Every name we ask is fully qualified: no search-list surprises.
        opts.ndots = 0;
        opts.edns0 = true;
        opts.preserve_intermediates = true;
        opts.try_tcp_on_error = true;
        opts.max_active_requests = 128;
        // The per-run cache lives above this backend; hickory's is not needed.
        opts.cache_size = 0;
        let resolver = Resolver::builder_with_config(config, TokioRuntimeProvider::default())
            .with_options(opts)
            .build()
            .map_err(|e| DnsSetupError::Build(e.to_string()))?;
        let answered_by = if addrs.len() == 1 { servers.clone() } else { format!("one of {servers}") };
        Ok(HickoryBackend { resolver, servers, answered_by, addrs, timeout: cfg.timeout, label: None })
    }

    pub(super) fn set_label(&mut self, label: String) {
        self.label = Some(label);
    }

    pub(super) fn describe(&self) -> String {
        self.label.clone().unwrap_or_else(|| self.servers.clone())
    }

    /// The server named in the query log (see `answered_by`).
    pub(super) fn answered_by(&self) -> &str {
        &self.answered_by
    }

    pub(super) async fn query(&self, name: &str, rtype: RType) -> Answer {
        let fqdn = match wire_name(name) {
            Ok(n) => n,
            Err(e) => return Answer::failed(name, rtype, Outcome::Error, format!("invalid name: {e}"), &self.answered_by),
        };
        let wanted = record_type(rtype);
        if rtype == RType::Ds {
            // DNSSEC posture: also ask whether the resolver validates (the AD bit).
            let (mut answer, ad) = tokio::join!(self.lookup(name, rtype, fqdn.clone(), wanted), super::ad_bit::ad_bit(&self.addrs, &fqdn, wanted, self.timeout));
            answer.authentic = ad;
            return answer;
        }
        self.lookup(name, rtype, fqdn, wanted).await
    }

    async fn lookup(&self, name: &str, rtype: RType, fqdn: Name, wanted: RecordType) -> Answer {
        match self.resolver.lookup(fqdn, wanted).await {
            Ok(lookup) => {
                let mut records = Vec::new();
                let mut cnames = Vec::new();
                let mut ttl: Option<u32> = None;
                for rec in lookup.answers() {
                    if let RData::CNAME(c) = &rec.data {
                        if wanted != RecordType::CNAME {
                            cnames.push((name_text(&rec.name), name_text(&c.0)));
                            continue;
                        }
                    }
                    if rec.record_type() != wanted {
                        continue;
                    }
                    let converted = if rtype == RType::Spf { convert_spf(&rec.data) } else { Some(convert(&rec.data)) };
                    if let Some(r) = converted {
                        records.push(r);
                        ttl = Some(ttl.map_or(rec.ttl, |t: u32| t.min(rec.ttl)));
                    }
                }
                if records.is_empty() {
                    if let Some(chain) = cname_loop(name, &cnames) {
                        // What a recursive resolver answers SERVFAIL for: a failure, not NODATA.
                        let mut a = Answer::failed(name, rtype, Outcome::Error, format!("CNAME loop: {chain}"), &self.answered_by);
                        a.cnames = cnames;
                        return a;
                    }
                }
                let outcome = if records.is_empty() { Outcome::NoData } else { Outcome::Records };
                Answer::new(name, rtype, outcome, records, cnames, ttl, &self.answered_by)
            }
            Err(err) => {
                // NODATA without an SOA is not what an authoritative server says for an
                // empty name: it is how hickory reports an answer made only of CNAMEs
                // (the chain itself is dropped). Follow the chain to tell a CNAME loop.
                let odd = rtype != RType::Cname
                    && matches!(&err, NetError::Dns(DnsError::NoRecordsFound(nr)) if nr.response_code == ResponseCode::NoError && nr.soa.is_none());
                let answer = self.classify(name, rtype, err);
                if odd {
                    if let Some((chain, cnames)) = self.cname_loop_of(name).await {
                        let mut a = Answer::failed(name, rtype, Outcome::Error, format!("CNAME loop: {chain}"), &self.answered_by);
                        a.cnames = cnames;
                        return a;
                    }
                }
                answer
            }
        }
    }

    /// Ask for the CNAMEs from `name` on (at most 8 links): the chain when it loops.
    async fn cname_loop_of(&self, name: &str) -> Option<(String, Vec<(String, String)>)> {
        let mut cnames: Vec<(String, String)> = Vec::new();
        let mut current = super::normalize(name);
        for _ in 0..8 {
            let fqdn = wire_name(&current).ok()?;
            let lookup = self.resolver.lookup(fqdn, RecordType::CNAME).await.ok()?;
            let target = lookup.answers().iter().find_map(|r| match &r.data {
                RData::CNAME(c) => Some(name_text(&c.0)),
                _ => None,
            })?;
            cnames.push((current.clone(), target.clone()));
            if let Some(chain) = cname_loop(name, &cnames) {
                return Some((chain, cnames));
            }
            current = target;
        }
        None
    }

    fn classify(&self, name: &str, rtype: RType, err: NetError) -> Answer {
        let (outcome, why, ttl) = match &err {
            NetError::Dns(DnsError::NoRecordsFound(nr)) => {
                let outcome = if nr.response_code == ResponseCode::NXDomain { Outcome::NxDomain } else { Outcome::NoData };
                (outcome, None, nr.negative_ttl)
            }
            NetError::Dns(DnsError::ResponseCode(code)) => {
                let outcome = match *code {
                    ResponseCode::ServFail => Outcome::ServFail,
                    ResponseCode::Refused => Outcome::Refused,
                    ResponseCode::NXDomain => Outcome::NxDomain,
                    _ => Outcome::Error,
                };
                (outcome, Some(format!("response code {code}")), None)
            }
            NetError::Timeout => (Outcome::Timeout, Some("no answer before the timeout".to_string()), None),
            other => (Outcome::Error, Some(other.to_string()), None),
        };
        Answer { error: why, ..Answer::new(name, rtype, outcome, Vec::new(), Vec::new(), ttl, &self.answered_by) }
    }
}

/// The chain `a -> b -> a` when the CNAMEs followed from `name` come back to a name
/// already on the chain.
fn cname_loop(name: &str, cnames: &[(String, String)]) -> Option<String> {
    let mut chain = vec![super::normalize(name)];
    let mut current = chain[0].clone();
    for _ in 0..=cnames.len() {
        let Some((_, to)) = cnames.iter().find(|(from, _)| *from == current) else { return None };
        let looped = chain.contains(to);
        chain.push(to.clone());
        if looped {
            return Some(chain.join(" -> "));
        }
        current = to.clone();
    }
    None
}

fn server(addr: SocketAddr) -> NameServerConfig {
    let mut udp = ConnectionConfig::udp();
    udp.port = addr.port();
    let mut tcp = ConnectionConfig::tcp();
    tcp.port = addr.port();
    let mut ns = NameServerConfig::udp_and_tcp(addr.ip());
    ns.connections = vec![udp, tcp];
    ns.trust_negative_responses = true;
    ns
}

#[cfg(test)]
mod wire_name_tests {
    use super::wire_name;

    fn labels(name: &str) -> Vec<Vec<u8>> {
        wire_name(name).expect(name).iter().map(|l| l.to_vec()).collect()
    }

    #[test]
    fn any_octet_is_a_label_octet() {
        assert_eq!(labels("shop.example"), vec![b"shop".to_vec(), b"example".to_vec()]);
        assert_eq!(labels("bob@ms.t.example")[0], b"bob@ms".to_vec());
        assert_eq!(labels("a+b.p.example")[0], b"a+b".to_vec());
        assert_eq!(labels("a b.p.example")[0], b"a b".to_vec());
        assert_eq!(labels("a%b.p.example")[0], b"a%b".to_vec());
        // A backslash is an octet, not the start of an escape.
        assert_eq!(labels(r"a\065.p.example")[0], br"a\065".to_vec());
        assert!(wire_name("shop.example.").unwrap().is_fqdn());
    }

    #[test]
    fn empty_and_long_labels_stay_invalid() {
        assert_eq!(wire_name("a..example").unwrap_err(), "empty label");
        assert!(wire_name(&format!("{}.example", "x".repeat(64))).unwrap_err().contains("limit 63"));
        assert!(wire_name(&format!("{}.example", "abcdefgh.".repeat(30))).unwrap_err().contains("limit 253"));
    }
}
