//! Pull the basic and enhanced codes out of a reply, even when embedded in prose
//! ("host mx.example[192.0.2.1] said: 550 5.1.1 ... (in reply to RCPT TO command)").

use serde::Serialize;

/// An RFC 3463 enhanced status code: class.subject.detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct EnhancedCode {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl std::fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// A parsed reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reply {
    /// The basic reply code (e.g. 550), when one was found.
    pub code: Option<u16>,
    pub enhanced: Option<EnhancedCode>,
    /// The reply text with codes and line continuations removed, lines joined by spaces.
    pub text: String,
    /// The input as given.
    pub raw: String,
}

impl Reply {
    /// 5xx or a 5.x.x enhanced code.
    pub fn is_permanent(&self) -> bool {
        self.enhanced.map(|e| e.class == 5).or(self.code.map(|c| c / 100 == 5)).unwrap_or(false)
    }
    pub fn is_transient(&self) -> bool {
        self.enhanced.map(|e| e.class == 4).or(self.code.map(|c| c / 100 == 4)).unwrap_or(false)
    }
}

fn parse_enhanced(token: &str) -> Option<EnhancedCode> {
    let token = token.trim_end_matches([',', ';', ':', ')', '.']);
    let mut it = token.split('.');
    let class: u8 = it.next()?.parse().ok()?;
    let subject: u16 = it.next()?.parse().ok()?;
    let detail: u16 = it.next()?.parse().ok()?;
    if it.next().is_some() || !matches!(class, 2 | 4 | 5) || subject > 999 || detail > 999 {
        return None;
    }
    Some(EnhancedCode { class, subject, detail })
}

fn parse_basic(token: &str) -> Option<u16> {
    let core = token.trim_end_matches(['-', ',', ':']);
    if core.len() != 3 || !core.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let code: u16 = core.parse().ok()?;
    matches!(code / 100, 2..=5).then_some(code)
}

/// Parse a single- or multi-line reply, or prose that embeds one.
pub fn parse(input: &str) -> Reply {
    let mut code = None;
    let mut enhanced = None;
    let mut text_parts: Vec<String> = Vec::new();
    for line in input.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let tokens: Vec<&str> = line.split_whitespace().collect();
        let mut rest_from = 0;
        for (i, tok) in tokens.iter().enumerate() {
            // "550-5.7.1" (continuation) and "550 5.7.1" both occur.
            let (basic_part, tail) = match tok.split_once('-') {
                Some((b, t)) if b.len() == 3 => (b, Some(t)),
                _ => (*tok, None),
            };
            if code.is_none() {
                if let Some(c) = parse_basic(basic_part) {
                    code = Some(c);
                    rest_from = i + 1;
                    if let Some(t) = tail {
                        if enhanced.is_none() {
                            enhanced = parse_enhanced(t);
                        }
                    }
                    continue;
                }
            } else if parse_basic(basic_part) == code && i == rest_from {
                rest_from = i + 1;
                if let Some(t) = tail {
                    if enhanced.is_none() {
                        enhanced = parse_enhanced(t);
                    }
                }
                continue;
            }
            if enhanced.is_none() {
                if let Some(e) = parse_enhanced(tok) {
                    enhanced = Some(e);
                    if i == rest_from {
                        rest_from = i + 1;
                    }
                    continue;
                }
            } else if parse_enhanced(tok) == enhanced && i == rest_from {
                rest_from = i + 1;
                continue;
            }
        }
        let _ = rest_from;
        text_parts.push(line.to_string());
    }
    Reply { code, enhanced, text: text_parts.join(" "), raw: input.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_line() {
        let r = parse("553 5.1.7 <x@y>: Sender address rejected");
        assert_eq!(r.code, Some(553));
        assert_eq!(r.enhanced, Some(EnhancedCode { class: 5, subject: 1, detail: 7 }));
        assert!(r.is_permanent());
    }

    #[test]
    fn multi_line_gmail() {
        let r = parse("550-5.7.26 Unauthenticated email from shop.example is not accepted\n550-5.7.26 due to domain's DMARC policy.\n550 5.7.26 Please contact the administrator");
        assert_eq!(r.code, Some(550));
        assert_eq!(r.enhanced.map(|e| e.to_string()), Some("5.7.26".to_string()));
    }

    #[test]
    fn embedded_in_prose() {
        let r = parse("host mx.example[192.0.2.1] said: 450 4.1.8 <a@b.example>: Sender address rejected: Domain not found (in reply to RCPT TO command)");
        assert_eq!(r.code, Some(450));
        assert_eq!(r.enhanced.map(|e| e.to_string()), Some("4.1.8".to_string()));
        assert!(r.is_transient());
    }

    #[test]
    fn no_code() {
        let r = parse("Sender address rejected");
        assert_eq!(r.code, None);
        assert_eq!(r.enhanced, None);
    }
}
