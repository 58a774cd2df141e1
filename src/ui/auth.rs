//! Who may use the page: the password (an argon2 PHC hash from `[ui]
//! password`), sessions, CSRF tokens and the lockout. All of it is in
//! memory: a restart ends every session and forgets failed attempts (the
//! audit keeps them). Session tokens and CSRF tokens are 32 random bytes;
//! neither is ever logged or stored.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use subtle::ConstantTimeEq as _;

use crate::clock::{millis, Clock};
use crate::config::ui::UiConfig;
use crate::secret::Secret;

/// Sessions kept at once; past it the least recently used one ends.
const MAX_SESSIONS: usize = 64;
/// Addresses whose failures are remembered at once.
const MAX_TRACKED: usize = 1024;

/// A fresh random token (hex of 32 bytes).
pub(super) fn token() -> Result<String, getrandom::Error> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b)?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// Whether two tokens are equal, in constant time.
pub(super) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The argon2id PHC string of `password` (`ui-password` writes it): 7 MiB,
/// 5 passes — OWASP's argon2id setting for small machines.
///
/// # Errors
/// No randomness for the salt, or the hasher refused.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no randomness for the salt: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let params = Params::new(7168, 5, 1, None).map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
    let hasher = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let hash = hasher
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC hash `phc` (its own parameters).
pub(super) fn verify(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// What the binary runs on the password thread after each check: it asks
/// the allocator to give argon2's freed 7 MiB back to the OS at once (the
/// library cannot name the allocator; `main.rs` sets it).
pub static AFTER_PASSWORD_CHECK: std::sync::OnceLock<fn()> = std::sync::OnceLock::new();

/// [`verify`] on a thread of its own that ends with it, then
/// [`AFTER_PASSWORD_CHECK`]: argon2's block is allocated and freed there,
/// and nothing keeps it resident afterwards.
async fn verify_on_own_thread(phc: Secret, password: String) -> bool {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("ui-password".into())
        .spawn(move || {
            let ok = verify(phc.expose(), &password);
            drop(password);
            if let Some(release) = AFTER_PASSWORD_CHECK.get() {
                release();
            }
            let _ = tx.send(ok);
        });
    spawned.is_ok() && rx.await.unwrap_or(false)
}

/// A signed-in browser.
struct Session {
    csrf: String,
    last_ms: i64,
}

/// Wrong passwords from one address.
#[derive(Default)]
struct Failures {
    count: u32,
    locked_until_ms: Option<i64>,
}

/// What a login attempt may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Gate {
    Open,
    /// Locked out for this many more minutes.
    Locked(i64),
}

/// Sessions, failures and the password.
pub(super) struct Auth {
    password: Option<Secret>,
    lockout_after: u32,
    lockout_for: Duration,
    idle: Duration,
    clock: Clock,
    sessions: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<IpAddr, Failures>>,
    /// One password check at a time: each takes 7 MiB and a core for a
    /// moment, and a burst of logins must neither multiply that nor slip
    /// past the lockout by checking at once.
    checking: tokio::sync::Semaphore,
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Auth {
    pub(super) fn new(ui: &UiConfig, clock: Clock) -> Auth {
        Auth {
            password: ui.password.clone(),
            lockout_after: ui.lockout_after,
            lockout_for: ui.lockout_for,
            idle: ui.session_idle,
            clock,
            sessions: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            checking: tokio::sync::Semaphore::new(1),
        }
    }

    /// Waits for the one turn to try a password; hold it across
    /// [`Auth::gate`] and [`Auth::check`].
    pub(super) async fn turn(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.checking.acquire().await.ok()
    }

    /// Whether the page is open without a password (loopback only).
    pub(super) fn open(&self) -> bool {
        self.password.is_none()
    }

    /// The CSRF token of the live session `token`, touching it.
    pub(super) fn session(&self, token: &str) -> Option<String> {
        let now = self.clock.steady_ms();
        let mut sessions = locked(&self.sessions);
        let idle = millis(self.idle);
        sessions.retain(|_, s| now - s.last_ms < idle);
        let s = sessions.get_mut(token)?;
        s.last_ms = now;
        Some(s.csrf.clone())
    }

    /// A new session: its token and its CSRF token.
    pub(super) fn start_session(&self) -> Result<(String, String), getrandom::Error> {
        let (t, csrf) = (token()?, token()?);
        let mut sessions = locked(&self.sessions);
        if sessions.len() >= MAX_SESSIONS {
            let oldest = sessions
                .iter()
                .min_by_key(|(_, s)| s.last_ms)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                sessions.remove(&k);
            }
        }
        let last_ms = self.clock.steady_ms();
        let csrf_out = csrf.clone();
        sessions.insert(t.clone(), Session { csrf, last_ms });
        Ok((t, csrf_out))
    }

    pub(super) fn end_session(&self, token: &str) {
        locked(&self.sessions).remove(token);
    }

    /// Whether `peer` may try a password now.
    pub(super) fn gate(&self, peer: IpAddr) -> Gate {
        let now = self.clock.steady_ms();
        let failures = locked(&self.failures);
        match failures.get(&peer).and_then(|f| f.locked_until_ms) {
            Some(until) if until > now => Gate::Locked((until - now + 59_999) / 60_000),
            _ => Gate::Open,
        }
    }

    /// Checks `password` (off the async workers: argon2 is slow on
    /// purpose); counts a failure, which may lock `peer` out. `Ok(true)`:
    /// signed in.
    pub(super) async fn check(&self, peer: IpAddr, password: String) -> bool {
        let Some(phc) = self.password.clone() else {
            return true;
        };
        let ok = verify_on_own_thread(phc, password).await;
        let mut failures = locked(&self.failures);
        if ok {
            failures.remove(&peer);
            return true;
        }
        if failures.len() >= MAX_TRACKED && !failures.contains_key(&peer) {
            failures.clear();
        }
        let f = failures.entry(peer).or_default();
        f.count += 1;
        if f.count >= self.lockout_after {
            f.count = 0;
            f.locked_until_ms = Some(self.clock.steady_ms() + millis(self.lockout_for));
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash_password("correct horse").expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{h}");
        assert!(verify(&h, "correct horse"));
        assert!(!verify(&h, "correct horse "));
        assert!(!verify("not a hash", "x"));
    }

    #[tokio::test]
    async fn failures_lock_an_address_out_and_leave_others_alone() {
        let ui = UiConfig {
            password: Some(Secret::new(hash_password("pw").expect("hash"))),
            lockout_after: 2,
            ..UiConfig::default()
        };
        let auth = Auth::new(&ui, Clock::system());
        let (a, b): (IpAddr, IpAddr) = ([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
        let turn = auth.turn().await.expect("a turn");
        assert!(auth.checking.try_acquire().is_err(), "one check at a time");
        drop(turn);
        assert!(!auth.check(a, "x".into()).await);
        assert_eq!(auth.gate(a), Gate::Open);
        assert!(!auth.check(a, "y".into()).await);
        assert_eq!(auth.gate(a), Gate::Locked(5));
        assert_eq!(auth.gate(b), Gate::Open);
        assert!(auth.check(b, "pw".into()).await);
    }
}
