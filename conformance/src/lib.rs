//! The OCCI conformance suite.
//!
//! This crate holds the foundation of `occi-conformance`:
//!
//! - [`catalogue`]: the requirement catalogue (`requirements.toml`), its validation, and
//!   selection by profile and by id globs ([`glob`]);
//! - [`outcome`]: outcomes of checks and tests, and grading by requirement level;
//! - [`exchange`]: recorded HTTP exchanges, secret redaction and `curl` replay commands;
//! - [`results`]: the run report, its JSON results file, the summary and the verdict;
//! - [`reporters`]: the terminal, JUnit XML and HTML reports rendered from a run report.
//!
//! The checks that drive a live server and the offline `lint` are built on top of these.

pub mod catalogue;
pub mod checks;
pub mod exchange;
pub mod glob;
pub mod lint;
pub mod outcome;
pub mod reporters;
pub mod results;
pub mod runner;
pub mod transport;

pub use occi_model;
pub use occi_render;
