//! The OCCI conformance suite.
//!
//! This crate holds the foundation of `occi-conformance`:
//!
//! - [`catalogue`]: the requirement catalogue (`requirements.toml`), its validation, and
//!   selection by profile and by id globs ([`glob`]);
//! - [`outcome`]: outcomes of checks and tests, and grading by requirement level;
//! - [`exchange`]: recorded HTTP exchanges, secret redaction and `curl` replay commands;
//! - [`results`]: the run report, its JSON results file, the summary and the verdict;
//! - [`reporters`]: the terminal, JUnit XML and HTML reports rendered from a run report;
//! - [`transport`]: sending requests, over HTTP/1.1 (TLS through rustls, no redirects) or
//!   in process to any `tower` service;
//! - [`schema`]: validation of `application/occi+json` documents against the normative JSON
//!   Schema, independent of occi-render's parser;
//! - [`runner`]: discovery, the plan, the context tests run in, clean-up and the run report;
//! - [`checks`]: the tests, each a sequence of checks naming the requirement ids they verify;
//! - [`doubles`]: recording doubles of a Hurtle SM's CC, SOs and Keystone;
//! - [`lint`]: offline validation of a captured message, with caret diagnostics.
//!
//! ```no_run
//! use std::sync::Arc;
//! use occi_conformance::runner::{RunConfig, run};
//! use occi_conformance::transport::HttpTransport;
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let transport = HttpTransport::new("http://127.0.0.1:8080", std::time::Duration::from_secs(10), vec![])?;
//! let report = run(Arc::new(transport), &RunConfig::new("http://127.0.0.1:8080"), &mut |_, _, _| {}).await;
//! println!("{}", report.verdict.verdict);
//! # Ok(())
//! # }
//! ```

pub mod catalogue;
pub mod checks;
pub mod doubles;
pub mod exchange;
pub mod glob;
pub mod lint;
pub mod outcome;
pub mod reporters;
pub mod results;
pub mod runner;
pub mod schema;
pub mod transport;

pub use occi_model;
pub use occi_render;
