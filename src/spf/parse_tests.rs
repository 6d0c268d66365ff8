//! Parser tests: the grammar, strict errors with positions, random inputs.

use super::*;

fn p(s: &str) -> Record {
    parse_record(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}
fn e(s: &str) -> ParseError {
    parse_record(s).expect_err(s)
}

#[test]
fn full_grammar() {
    let r = p("v=spf1 +a -mx:mail.example.com/24//64 ~ptr ?exists:%{ir}.%{v}._spf.%{d} include:_spf.google.com ip4:192.0.2.0/24 ip6:2001:db8::/32 a//64 redirect=_spf.example.com exp=exp.%{d} foo=bar -all");
    assert_eq!(r.terms.len(), 12);
    let ds: Vec<&Directive> = r.directives().collect();
    assert_eq!(ds[0].mechanism, Mechanism::A { domain: None, cidr: DualCidr::default() });
    match &ds[1].mechanism {
        Mechanism::Mx { domain: Some(d), cidr } => {
            assert_eq!(d.raw, "mail.example.com");
            assert_eq!(*cidr, DualCidr { v4: Some(24), v6: Some(64) });
        }
        m => panic!("{m:?}"),
    }
    assert_eq!(ds[1].qualifier, Qualifier::Fail);
    assert_eq!(ds[2].qualifier, Qualifier::SoftFail);
    assert_eq!(ds[3].qualifier, Qualifier::Neutral);
    assert_eq!(ds[5].mechanism, Mechanism::Ip4 { addr: Ipv4Addr::new(192, 0, 2, 0), prefix: 24 });
    assert_eq!(ds[7].mechanism, Mechanism::A { domain: None, cidr: DualCidr { v4: None, v6: Some(64) } });
    assert_eq!(r.redirect().unwrap().value.raw, "_spf.example.com");
    assert!(r.modifier("foo").is_some());
    assert!(r.has_all());
}

#[test]
fn macros_all_forms() {
    let m = parse_macro_string("%{S}%{l1r-}%{o}%{d2}%{i}%{p}%{h}%{v}%{ir.-+,/_=}%%%_%-x", 0, false).unwrap();
    let ex: Vec<&MacroExpand> = m.parts.iter().filter_map(|p| if let MacroPart::Expand(e) = p { Some(e) } else { None }).collect();
    assert_eq!(ex.len(), 9);
    assert!(ex[0].url_escape);
    assert_eq!((ex[1].digits, ex[1].reverse, ex[1].delimiters.as_str()), (Some(1), true, "-"));
    assert_eq!(ex[8].delimiters, ".-+,/_=");
    assert_eq!(m.parts.last(), Some(&MacroPart::Literal("% %20x".into())));
    // c, r, t only in explanations
    assert!(parse_record("v=spf1 exists:%{c}.example.com").is_err());
    assert!(parse_macro_string("%{c} %{r} %{t}", 0, true).is_ok());
    assert!(parse_record("v=spf1 exists:%{l0}.example.com").is_err());
    assert!(parse_record("v=spf1 exists:%{x}.example.com").is_err());
    assert!(parse_record("v=spf1 exists:%(ir).example.com").is_err());
    assert!(parse_record("v=spf1 exists:foo%.example.com").is_err());
    assert!(parse_record("v=spf1 exists:%{i").is_err());
    assert!(parse_record("v=spf1 a:%{d}").is_ok());
}

#[test]
fn strict_errors_with_position() {
    let x = e("v=spf1 ip4:999.1.1.1");
    assert_eq!(x.pos, 11);
    assert!(x.reason.contains("999.1.1.1"), "{x}");
    let x = e("v=spf1 ip4:1.2.3.4/33");
    assert!(x.reason.contains("/33"), "{x}");
    assert!(e("v=spf1 ip6:::1/129").reason.contains("129"));
    let x = e("v=spf1 a -foo:bar");
    assert_eq!(x.pos, 10);
    assert!(x.reason.contains("unknown mechanism"));
    assert!(e("v=spf1 redirect=a.example.com redirect=b.example.com").reason.contains("more than once"));
    assert!(e("v=spf1 exp=a.example.com exp=b.example.com").reason.contains("more than once"));
    assert!(e("v=spf1 ip4:01.2.3.4").reason.contains("dotted-quad"));
    assert!(e("v=spf1 a/024").reason.contains("prefix"));
    assert!(e("v=spf1 a:").reason.contains("needs a domain"));
    assert!(e("v=spf1 include").reason.contains("needs"));
    assert!(e("v=spf1 all:foo").reason.contains("no argument"));
    assert!(e("v=spf1 a:111.222.33.44").reason.contains("top-level"));
    assert!(e("v=spf1 a:museum").reason.contains("top-level"));
    assert!(e("v=spf1 1x=foo").reason.contains("letter"));
    assert!(e("v=spf1 -exp=foo.example.com").reason.contains("start with a letter"));
    assert!(e("v=spf1 exp=").reason.contains("empty"));
    assert!(e("v=spf1 a\u{e9}").reason.contains("non-ASCII"));
    assert!(e("v=spf1\ta").reason.contains("control"));
    assert!(e("v=spf10 a").reason.contains("v=spf1"));
    assert!(e("v=spf1 ptr/24").reason.contains("unexpected"));
}

#[test]
fn lenient_where_the_rfc_is() {
    p("v=spf1");
    p("V=SPF1 A MX -ALL");
    p("v=spf1   a   -all  ");
    p("v=spf1 a:foo.example.com. -all");
    p("v=spf1 unknown-mod=%{l}stuff x= -all");
    p("v=spf1 ip6:::ffff:1.2.3.4/128 ip4:0.0.0.0/0");
    p("v=spf1 a:example.com/32//128");
    p("v=spf1 a:foo-bar.x-y");
}

#[test]
fn spf1_detection() {
    assert!(is_spf1("v=spf1"));
    assert!(is_spf1("v=spf1 -all"));
    assert!(is_spf1("V=SPF1 -all"));
    assert!(!is_spf1("v=spf10"));
    assert!(!is_spf1("v=spf1-all"));
    assert!(!is_spf1(" v=spf1"));
}

#[test]
fn hostile_inputs_are_bounded() {
    let big = format!("v=spf1 {}", "ip4:192.0.2.1 ".repeat(500));
    assert_eq!(p(&big).terms.len(), 500);
    let huge = format!("v=spf1 {}", "a".repeat(20_000));
    assert!(e(&huge).reason.contains("limit"));
    let digits = format!("v=spf1 exists:%{{d{}}}", "9".repeat(50));
    p(&digits);
}

/// Random inputs (the fuzz target's property, run deterministically under `cargo test`):
/// the parser never panics, and errors point inside the record.
mod random_inputs {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn never_panics_and_positions_are_in_range() {
        let atoms = [
            "a", "mx", "ptr", "all", "ip4:", "ip6:", "include:", "exists:", "redirect=", "exp=", "%{", "}", "%", "/", "//", ":",
            "=", "-", "+", "~", "?", ".", "1", "32", "999", "::", "example.com", "%{ir}", "%{d2}", "%%", "%_", "%-", " ", "\u{e9}",
            "\t", "x", "_", "0", "128", "v=spf1",
        ];
        let mut rng = rand::rngs::StdRng::seed_from_u64(4408);
        for _ in 0..20_000 {
            let n = rng.gen_range(0..12);
            let body: String = (0..n).map(|_| atoms[rng.gen_range(0..atoms.len())]).collect();
            let rec = format!("v=spf1 {body}");
            match parse_record(&rec) {
                Ok(r) => assert!(r.terms.iter().all(|t| t.pos() < rec.len())),
                Err(e) => assert!(e.pos <= rec.len(), "{rec:?}: {e}"),
            }
            let _ = parse_macro_string(&body, 0, true);
        }
    }
}
