//! HTTP Basic authentication against argon2 password hashes (feature `basic-auth`).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64ct::{Base64, Encoding};
use blake2::{Blake2b512, Digest};
use http::HeaderValue;
use http::request::Parts;

use super::bearer::credentials;
use super::{AuthError, Authenticate, challenge, only_reads, read_only_refusal};
use crate::identity::Identity;

/// Users with passwords, checked against `Authorization: Basic` (RFC 7617). Passwords are
/// kept only as argon2 hashes in the PHC string format
/// (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), as [`hash_password`] or the `argon2`
/// command-line tool write them. Each check runs on tokio's blocking pool when there is a
/// runtime, so a slow hash does not hold up other requests.
///
/// Argon2 is slow by design (tens of milliseconds a check). Once a user's password has been
/// verified, a keyed `BLAKE2b` digest of it (the key random per process, never stored) is kept
/// in memory, so that the same user sending the same password again is checked at hash speed;
/// a different password is checked against the argon2 hash again.
#[derive(Clone, Default)]
pub struct BasicUsers {
    users: HashMap<String, Arc<User>>,
    verified: Arc<Verified>,
}

/// The digests of the passwords last verified, per user.
struct Verified {
    key: [u8; 32],
    digests: Mutex<HashMap<String, Vec<u8>>>,
}

impl Default for Verified {
    fn default() -> Self {
        let mut key = [0; 32];
        key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        Self {
            key,
            digests: Mutex::default(),
        }
    }
}

impl Verified {
    fn digest(&self, user: &str, password: &[u8]) -> Vec<u8> {
        Blake2b512::new()
            .chain_update(self.key)
            .chain_update((user.len() as u64).to_le_bytes())
            .chain_update(user)
            .chain_update(password)
            .finalize()
            .to_vec()
    }

    fn knows(&self, user: &str, digest: &[u8]) -> bool {
        let digests = self
            .digests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        digests.get(user).is_some_and(|known| {
            known.len() == digest.len()
                && known
                    .iter()
                    .zip(digest)
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        })
    }

    fn remember(&self, user: &str, digest: Vec<u8>) {
        let mut digests = self
            .digests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        digests.insert(user.to_owned(), digest);
    }
}

struct User {
    hash: String,
    identity: Identity,
    read_only: bool,
}

impl fmt::Debug for BasicUsers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicUsers")
            .field("users", &self.users.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// A password hash that is not an argon2 PHC string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHashError {
    user: String,
    reason: String,
}

impl PasswordHashError {
    /// The user whose hash it is.
    pub fn user(&self) -> &str {
        &self.user
    }
}

impl fmt::Display for PasswordHashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the password hash of user {:?} is not an argon2 PHC string ($argon2id$v=19$...): {}",
            self.user, self.reason
        )
    }
}

impl std::error::Error for PasswordHashError {}

impl BasicUsers {
    /// No users: every request is refused.
    pub fn new() -> Self {
        Self::default()
    }

    /// `user`, whose password has the argon2 PHC hash `hash`, acts for `tenant`.
    pub fn user(
        self,
        user: impl Into<String>,
        hash: impl Into<String>,
        tenant: impl Into<Arc<str>>,
    ) -> Result<Self, PasswordHashError> {
        self.insert(user.into(), hash.into(), tenant.into(), false)
    }

    /// `user` may read (GET, HEAD) as `tenant`; anything else is 403.
    pub fn read_only_user(
        self,
        user: impl Into<String>,
        hash: impl Into<String>,
        tenant: impl Into<Arc<str>>,
    ) -> Result<Self, PasswordHashError> {
        self.insert(user.into(), hash.into(), tenant.into(), true)
    }

    fn insert(
        mut self,
        user: String,
        hash: String,
        tenant: Arc<str>,
        read_only: bool,
    ) -> Result<Self, PasswordHashError> {
        PasswordHash::new(&hash).map_err(|e| PasswordHashError {
            user: user.clone(),
            reason: e.to_string(),
        })?;
        let identity = Identity::new(user.as_str(), tenant);
        self.users.insert(
            user,
            Arc::new(User {
                hash,
                identity,
                read_only,
            }),
        );
        Ok(self)
    }

    /// How many users there are.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether there are no users.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

/// The argon2id hash of `password` (default parameters, a random salt) as a PHC string, for
/// [`BasicUsers::user`] and the `[[basic]]` entries of an auth file.
pub fn hash_password(password: &str) -> String {
    let salt =
        SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes()).expect("16 bytes are a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("the default parameters hash any password")
        .to_string()
}

fn verify(hash: &str, password: &[u8]) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|parsed| Argon2::default().verify_password(password, &parsed).is_ok())
}

impl Authenticate for BasicUsers {
    async fn authenticate(&self, request: &Parts) -> Result<Identity, AuthError> {
        let Some(encoded) = credentials(request, "Basic") else {
            return Err(AuthError::missing(
                "this server needs credentials: no Authorization: Basic header",
            ));
        };
        let decoded = Base64::decode_vec(encoded)
            .map_err(|_| AuthError::invalid("the Basic credentials are not valid base64"))?;
        let decoded = String::from_utf8(decoded)
            .map_err(|_| AuthError::invalid("the Basic credentials are not UTF-8"))?;
        let Some((name, password)) = decoded.split_once(':') else {
            return Err(AuthError::invalid(
                "the Basic credentials are not user:password",
            ));
        };
        let refused = || AuthError::invalid("wrong user name or password");
        let user = Arc::clone(self.users.get(name).ok_or_else(refused)?);
        let digest = self.verified.digest(name, password.as_bytes());
        if !self.verified.knows(name, &digest) {
            let password = password.as_bytes().to_vec();
            let checked = Arc::clone(&user);
            let check = move || verify(&checked.hash, &password);
            let valid = match tokio::runtime::Handle::try_current() {
                Ok(runtime) => runtime
                    .spawn_blocking(check)
                    .await
                    .map_err(|_| AuthError::unavailable("the password check did not finish"))?,
                Err(_) => check(),
            };
            if !valid {
                return Err(refused());
            }
            self.verified.remember(name, digest);
        }
        if user.read_only && !only_reads(&request.method) {
            return Err(read_only_refusal(&user.identity, &request.method));
        }
        Ok(user.identity.clone())
    }

    fn challenges(&self) -> Vec<HeaderValue> {
        vec![challenge("Basic", ", charset=\"UTF-8\"")]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::AuthErrorKind;

    fn parts(method: &str, user: &str, password: &str) -> Parts {
        let encoded = Base64::encode_string(format!("{user}:{password}").as_bytes());
        http::Request::builder()
            .method(method)
            .uri("/")
            .header(http::header::AUTHORIZATION, format!("Basic {encoded}"))
            .body(())
            .unwrap()
            .into_parts()
            .0
    }

    fn users() -> BasicUsers {
        let hash = hash_password("pw");
        BasicUsers::new()
            .user("alice", hash.clone(), "acme")
            .unwrap()
            .read_only_user("bob", hash, "acme")
            .unwrap()
    }

    #[tokio::test]
    async fn the_right_password_is_the_user_and_a_wrong_one_is_refused() {
        let users = users();
        let who = users.authenticate(&parts("POST", "alice", "pw")).await;
        assert_eq!(who, Ok(Identity::new("alice", "acme")));
        let kind = |r: Result<Identity, AuthError>| r.unwrap_err().kind();
        assert_eq!(
            kind(users.authenticate(&parts("GET", "alice", "pW")).await),
            AuthErrorKind::Invalid
        );
        assert_eq!(
            kind(users.authenticate(&parts("GET", "carol", "pw")).await),
            AuthErrorKind::Invalid
        );
        assert_eq!(
            kind(users.authenticate(&parts("PUT", "bob", "pw")).await),
            AuthErrorKind::Forbidden
        );
        assert!(users.authenticate(&parts("GET", "bob", "pw")).await.is_ok());
    }

    #[tokio::test]
    async fn a_remembered_password_still_refuses_a_different_one() {
        let users = users();
        for _ in 0..2 {
            assert!(
                users
                    .authenticate(&parts("GET", "alice", "pw"))
                    .await
                    .is_ok()
            );
            assert!(
                users
                    .verified
                    .knows("alice", &users.verified.digest("alice", b"pw"))
            );
            let wrong = users.authenticate(&parts("GET", "alice", "px")).await;
            assert_eq!(wrong.unwrap_err().kind(), AuthErrorKind::Invalid);
        }
        // The digest is per user: bob's password is not alice's.
        assert!(
            !users
                .verified
                .knows("bob", &users.verified.digest("alice", b"pw"))
        );
    }

    #[test]
    fn a_hash_that_is_not_phc_is_refused_at_configuration() {
        let error = BasicUsers::new()
            .user("alice", "plain", "acme")
            .unwrap_err();
        assert_eq!(error.user(), "alice");
        assert!(error.to_string().contains("PHC"), "{error}");
    }

    #[test]
    fn hashes_are_salted_and_verify() {
        let (a, b) = (hash_password("x"), hash_password("x"));
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(verify(&a, b"x") && !verify(&a, b"y"));
    }
}
