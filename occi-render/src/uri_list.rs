//! The text/uri-list rendering (RFC 2483). Being built.
