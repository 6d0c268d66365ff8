//! `rejection-texts` suite: the cause category `explain` gives each real rejection text
//! in rejection-texts/sender-rejection-fixtures.tsv, against the fixture's category.
//! The fixture uses its own category names; `accepted` maps each onto ours.
//! Goal (issue 6): >= 95 % match. The line reports every row honestly.

use std::path::Path;

use super::cause::Cause;
use crate::conformance::SuiteResult;

/// Our causes that agree with a fixture category.
pub fn accepted(fixture: &str) -> &'static [Cause] {
    use Cause::*;
    match fixture.trim() {
        "dmarc" | "dmarc (temporary)" | "policy/dmarc" => &[Dmarc],
        "spf" => &[Spf],
        "dkim" => &[Dkim],
        "spf+dkim" | "spf+dkim+dmarc" => &[Authentication],
        "sender-address-syntax" => &[AddressSyntax],
        "sender-domain" => &[UnknownSenderDomain],
        "sender-unverified" => &[EspIdentityUnverified, SenderVerifyFailed],
        "sender-domain-sandbox" => &[EspIdentityUnverified],
        "from-not-owned" | "submission" => &[SendAsDenied],
        "relay/sender-domain-not-registered" => &[RelayDenied],
        "null-mx" | "nullmx" => &[NullMx],
        "reputation" => &[Reputation],
        "rdns" | "ptr" => &[ReverseDns],
        _ => &[],
    }
}

/// The reply as a receiver would send it: code, enhanced code, text (`\n` escapes undone).
fn reply_line(code: &str, enhanced: &str, text: &str) -> String {
    let text = text.replace("\\n", "\n");
    [code.trim(), enhanced.trim(), text.as_str()].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(" ")
}

pub fn run(data: &Path) -> Result<Vec<SuiteResult>, String> {
    let path = data.join("rejection-texts/sender-rejection-fixtures.tsv");
    let body = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = body.lines();
    let header: Vec<&str> = lines.next().ok_or("empty fixture file")?.split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).ok_or_else(|| format!("{}: no column {name}", path.display()));
    let (c_rx, c_code, c_enh, c_text, c_cat) = (col("receiver")?, col("reply_code")?, col("enhanced_status")?, col("reply_text")?, col("category")?);
    let mut res = SuiteResult::new("rejection-texts");
    for (n, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let get = |i: usize| f.get(i).copied().unwrap_or("");
        let input = reply_line(get(c_code), get(c_enh), get(c_text));
        let x = super::explain(&input);
        let want = accepted(get(c_cat));
        res.check(want.contains(&x.cause), || {
            format!("row {} ({}): fixture {} -> got {} (rule {:?}): {}", n + 2, get(c_rx), get(c_cat), x.cause.as_str(), x.rule, crate::reply::parse::bounded(&input, 120))
        });
    }
    Ok(vec![res])
}
