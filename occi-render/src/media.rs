//! Media types: `Accept` and `Content-Type` parsing and the choice of a rendering. Being built.
