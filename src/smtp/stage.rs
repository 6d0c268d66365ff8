//! The stages of an SMTP session, in order. A rejection or failure is always attributed
//! to exactly one stage, because the client sends one command at a time.

use serde::Serialize;

use crate::cli::exit;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    Connect,
    Greeting,
    Ehlo,
    Starttls,
    Auth,
    MailFrom,
    RcptTo,
    Data,
    EndOfData,
    Rset,
    Quit,
}

impl Stage {
    /// The name users know from transcripts.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Connect => "connect",
            Stage::Greeting => "greeting",
            Stage::Ehlo => "EHLO",
            Stage::Starttls => "STARTTLS",
            Stage::Auth => "AUTH",
            Stage::MailFrom => "MAIL FROM",
            Stage::RcptTo => "RCPT TO",
            Stage::Data => "DATA",
            Stage::EndOfData => "end of data",
            Stage::Rset => "RSET",
            Stage::Quit => "QUIT",
        }
    }

    /// The exit code of `mailsleuth probe` when the session stopped at this stage
    /// (docs/exit-codes.md). RSET/QUIT problems come after the verdict: they do not count.
    pub fn exit_code(self) -> u8 {
        match self {
            Stage::Connect => exit::SMTP_CONNECT,
            Stage::Greeting => exit::SMTP_GREETING,
            Stage::Ehlo => exit::SMTP_EHLO,
            Stage::Starttls => exit::SMTP_TLS,
            Stage::Auth => exit::SMTP_AUTH,
            Stage::MailFrom => exit::SMTP_MAIL,
            Stage::RcptTo => exit::SMTP_RCPT,
            Stage::Data | Stage::EndOfData => exit::SMTP_DATA,
            Stage::Rset | Stage::Quit => exit::OK,
        }
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
