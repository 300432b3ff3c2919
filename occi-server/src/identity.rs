//! Who is asking: the [`Identity`] an authentication layer puts in a request's extensions.
//!
//! An authentication layer in front of [`crate::OcciService`] (or any tower stack) inserts an
//! `Identity` into `http::Request::extensions_mut()` once it has verified the caller. The server
//! core reads it to scope every read and write to the caller's tenant. A request without an
//! `Identity` is served as on an open server: it sees and changes only entities that belong to
//! no tenant.

use std::sync::Arc;

/// An authenticated caller: a user acting for a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identity {
    user: Arc<str>,
    tenant: Arc<str>,
}

impl Identity {
    /// A user acting for a tenant.
    pub fn new(user: impl Into<Arc<str>>, tenant: impl Into<Arc<str>>) -> Self {
        Self {
            user: user.into(),
            tenant: tenant.into(),
        }
    }

    /// The user's name (or token subject).
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The tenant every entity the caller creates belongs to, and the only one it can see.
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// The tenant as a shared string, cheap to store with an entity.
    pub fn tenant_arc(&self) -> &Arc<str> {
        &self.tenant
    }
}

#[cfg(test)]
mod tests {
    use super::Identity;

    #[test]
    fn an_identity_keeps_user_and_tenant() {
        let who = Identity::new("alice", "acme");
        assert_eq!(who.user(), "alice");
        assert_eq!(who.tenant(), "acme");
        assert_eq!(&**who.tenant_arc(), "acme");
        assert_ne!(who, Identity::new("alice", "other"));
    }
}
