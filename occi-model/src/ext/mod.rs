//! Extensions as plain constructors that register into a [`crate::Registry`].
//!
//! | module | documents | registers |
//! |---|---|---|
//! | [`core`] | C11 / C12 | the Kinds `entity`, `resource`, `link` (always present in a [`crate::Registry`]) |

pub mod core;
