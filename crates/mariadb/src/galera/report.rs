//! What a Galera member of this image tells on its state port, one line per connection:
//! what the members tell each other to decide who bootstraps, and what the database proxy's
//! health checks read (`crates/dbproxy`: HAProxy expects [`READY`]).

use super::position::Position;

/// The port members answer on.
pub const STATE_PORT: u16 = 4560;
/// The word that starts every answer.
pub const PREFIX: &str = "galera";
/// The answer of a member ready for clients: in a primary component, synced.
pub const READY: &str = "galera primary";

/// What a member says on [`STATE_PORT`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// Not started: waiting to know who bootstraps, at this position.
    Waiting(Position),
    /// `mariadbd` started, not yet ready for clients.
    Starting,
    /// In a primary component and synced: others may join, clients may use it.
    Primary,
}

impl Report {
    /// One line: `galera waiting <uuid> <seqno> <safe>`, `galera starting`, `galera primary`.
    pub fn line(&self) -> String {
        match self {
            Report::Waiting(p) => format!(
                "{} waiting {} {} {}\n",
                PREFIX,
                p.uuid,
                p.seqno,
                u8::from(p.safe_to_bootstrap)
            ),
            Report::Starting => format!("{} starting\n", PREFIX),
            Report::Primary => format!("{}\n", READY),
        }
    }

    /// The inverse of [`Report::line`].
    pub fn parse(line: &str) -> Option<Report> {
        if line.trim_end() == READY {
            return Some(Report::Primary);
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [PREFIX, "starting"] => Some(Report::Starting),
            [PREFIX, "waiting", uuid, seqno, safe] => Some(Report::Waiting(Position {
                uuid: (*uuid).to_owned(),
                seqno: seqno.parse().ok()?,
                safe_to_bootstrap: *safe == "1",
            })),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_reads_back() {
        let p = Position {
            uuid: "9acf4d34-acdb-11e6-bcc3-d3e36276629f".into(),
            seqno: 42,
            safe_to_bootstrap: true,
        };
        assert_eq!(
            Report::parse(&Report::Waiting(p.clone()).line()),
            Some(Report::Waiting(p))
        );
        assert_eq!(
            Report::parse(&Report::Starting.line()),
            Some(Report::Starting)
        );
        assert_eq!(Report::parse("galera primary\n"), Some(Report::Primary));
        assert_eq!(Report::Primary.line(), format!("{READY}\n"));
        assert_eq!(Report::parse("HTTP/1.1 400"), None);
    }
}
