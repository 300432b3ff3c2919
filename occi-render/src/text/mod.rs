//! text/plain, text/occi+plain and text/occi (HTTP headers) renderings. Being built.
