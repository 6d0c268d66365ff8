//! Well-known sending services: the SPF include each one documents, and the
//! organisational domains their sending hosts' PTR names fall under. Used to name
//! includes in lint output and to try the documented include first when a fix is needed.

/// One email sending service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Esp {
    pub name: &'static str,
    /// The include the service documents for customers.
    pub include: &'static str,
    /// Organisational domains of its sending hosts' reverse DNS names.
    pub ptr_orgs: &'static [&'static str],
    /// Other include names it is known under (regional, legacy).
    pub other_includes: &'static [&'static str],
}

pub const ESPS: &[Esp] = &[
    Esp { name: "Google Workspace", include: "_spf.google.com", ptr_orgs: &["google.com"], other_includes: &["_netblocks.google.com", "_netblocks2.google.com", "_netblocks3.google.com"] },
    Esp { name: "Microsoft 365", include: "spf.protection.outlook.com", ptr_orgs: &["outlook.com"], other_includes: &["spf.protection.office365.us"] },
    Esp { name: "SendGrid", include: "sendgrid.net", ptr_orgs: &["sendgrid.net"], other_includes: &[] },
    Esp { name: "Mailgun", include: "mailgun.org", ptr_orgs: &["mailgun.net", "mailgun.org"], other_includes: &["eu.mailgun.org", "_spf.mailgun.org"] },
    Esp { name: "Amazon SES", include: "amazonses.com", ptr_orgs: &["amazonses.com"], other_includes: &[] },
    Esp { name: "Mailchimp", include: "servers.mcsv.net", ptr_orgs: &["mcsv.net", "mcdlv.net", "rsgsv.net"], other_includes: &[] },
    Esp { name: "Mandrill", include: "spf.mandrillapp.com", ptr_orgs: &["mandrillapp.com"], other_includes: &[] },
    Esp { name: "Postmark", include: "spf.mtasv.net", ptr_orgs: &["mtasv.net"], other_includes: &[] },
    Esp { name: "Zoho Mail", include: "zoho.com", ptr_orgs: &["zoho.com", "zohomail.com", "zoho.eu"], other_includes: &["zoho.eu", "zoho.in", "zohomail.com"] },
    Esp { name: "SparkPost", include: "sparkpostmail.com", ptr_orgs: &["sparkpostmail.com"], other_includes: &["_spf.sparkpostmail.com", "_spf.eu.sparkpostmail.com"] },
    Esp { name: "Brevo", include: "spf.brevo.com", ptr_orgs: &["brevo.com", "sendinblue.com", "sendibm3.com"], other_includes: &["spf.sendinblue.com"] },
];

/// The service an include name belongs to.
pub fn by_include(name: &str) -> Option<&'static Esp> {
    let name = crate::dns::normalize(name);
    ESPS.iter().find(|e| e.include == name || e.other_includes.contains(&name.as_str()))
}

/// The service whose sending hosts live under this organisational domain.
pub fn by_ptr_org(org: &str) -> Option<&'static Esp> {
    let org = crate::dns::normalize(org);
    ESPS.iter().find(|e| e.ptr_orgs.contains(&org.as_str()))
}

/// The service a domain belongs to by organisational domain (e.g. `spf.sendgrid.net`, or
/// a wrong `sendgrid.com`-style guess sharing the documented include's organisation).
pub fn by_domain(name: &str) -> Option<&'static Esp> {
    let name = crate::dns::normalize(name);
    let org = psl::domain_str(&name)?;
    by_include(&name).or_else(|| by_ptr_org(org)).or_else(|| ESPS.iter().find(|e| psl::domain_str(e.include) == Some(org)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(by_include("_spf.google.com.").unwrap().name, "Google Workspace");
        assert_eq!(by_include("spf.sendinblue.com").unwrap().name, "Brevo");
        assert_eq!(by_ptr_org("outlook.com").unwrap().include, "spf.protection.outlook.com");
        assert!(by_include("example.com").is_none());
        assert_eq!(by_domain("spf.mailgun.net").unwrap().name, "Mailgun");
        assert_eq!(by_domain("_spf.outlook.com").unwrap().name, "Microsoft 365");
        assert!(by_domain("shop.example").is_none());
        assert_eq!(ESPS.len(), 11);
    }
}
