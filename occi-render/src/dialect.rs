//! The family of wire formats a peer speaks.

/// The family of wire formats a peer speaks: what `application/occi+json` means, and the
/// habits of its text renderings.
///
/// A client learns it from the server's answers; a server is configured with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Dialect {
    /// The OCCI specifications (1.1 and 1.2 text renderings, GFD.225 JSON).
    #[default]
    Occi,
    /// PySSF 0.4.7 and the Hurtle peers built on it: `application/occi+json` is PySSF's
    /// pre-standard JSON ([`crate::json::pyssf`]), requests are written as `text/occi`, every
    /// value arrives quoted, creates may answer 200, deletes answer `OK`, and the query
    /// interface gives absolute locations in the text renderings and relative ones in JSON.
    PySsf,
}
