//! Taking connections within limits. A connection is accepted only with a
//! permit, so past `max_connections` new ones wait in the kernel's listen
//! queue (which costs the process neither memory nor a file descriptor)
//! until one finishes. When `accept()` fails — out of file descriptors, most
//! often — the loop backs off (doubling, up to a second) instead of spinning,
//! and the failure is counted and logged once per minute.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::guard::{Guard, Refusal};

const FIRST_BACKOFF: Duration = Duration::from_millis(10);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// A connection and the permit it holds while it is served.
pub(super) struct Accepted {
    pub stream: TcpStream,
    pub peer: SocketAddr,
    pub permit: OwnedSemaphorePermit,
}

/// The accept side of the server.
pub(super) struct Gate {
    permits: Arc<Semaphore>,
    guard: Arc<Guard>,
    backoff: Duration,
}

impl Gate {
    pub(super) fn new(max_connections: usize, guard: Arc<Guard>) -> Gate {
        Gate {
            permits: Arc::new(Semaphore::new(max_connections)),
            guard,
            backoff: FIRST_BACKOFF,
        }
    }

    /// The next connection, once one may be served.
    pub(super) async fn next(&mut self, listener: &TcpListener) -> Accepted {
        loop {
            let Ok(permit) = self.permits.clone().acquire_owned().await else {
                // Never closed; if it were, serving nothing is the safe answer.
                std::future::pending::<()>().await;
                continue;
            };
            match listener.accept().await {
                Ok((stream, peer)) => {
                    self.backoff = FIRST_BACKOFF;
                    return Accepted {
                        stream,
                        peer,
                        permit,
                    };
                }
                Err(e) => {
                    self.guard.refused(Refusal::Accept, Some(&e));
                    // Let the permit go while waiting: a connection that
                    // finishes frees a descriptor and a permit alike.
                    drop(permit);
                    tokio::time::sleep(self.backoff).await;
                    self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }
}
