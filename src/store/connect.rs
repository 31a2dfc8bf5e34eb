//! One connection to the store, over TLS (rustls) unless `sslmode=disable`. The driver's
//! connection task runs on the caller's runtime; notifications (LISTEN) come back on a
//! channel when asked for.

use std::sync::Arc;

use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Client, Notification};

use super::config::{SslMode, Store};

/// Why the store could not be used: always masked, never the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Store {
    /// A driver error as a message: its server detail if any, masked.
    pub fn error(&self, e: &tokio_postgres::Error) -> StoreError {
        let text = match e.as_db_error() {
            Some(db) => db.message().to_string(),
            None => {
                let mut t = e.to_string();
                let mut source = std::error::Error::source(e);
                while let Some(s) = source {
                    t.push_str(": ");
                    t.push_str(&s.to_string());
                    source = s.source();
                }
                t
            }
        };
        StoreError(self.masked(&text))
    }

    /// Connects; the connection runs on a task of the current runtime.
    pub async fn connect(&self) -> Result<Client, StoreError> {
        self.connect_listening().await.map(|(c, _)| c)
    }

    /// Connects, handing notifications to the receiver.
    pub async fn connect_listening(
        &self,
    ) -> Result<(Client, mpsc::Receiver<Notification>), StoreError> {
        // Bounded: a wake-up is enough, the reader asks for everything after what it has.
        let (tx, rx) = mpsc::channel(64);
        let mut pg = self.pg.clone();
        // A store that stalls (a lock held, a server too busy) fails a statement in time
        // rather than holding a command forever.
        pg.options("-c statement_timeout=60000 -c lock_timeout=15000");
        let client = match self.ssl {
            SslMode::Disable => {
                let (client, conn) = pg
                    .connect(tokio_postgres::NoTls)
                    .await
                    .map_err(|e| self.error(&e))?;
                spawn_connection(conn, tx);
                client
            }
            SslMode::Prefer | SslMode::Require => {
                pg.ssl_mode(if self.ssl == SslMode::Require {
                    tokio_postgres::config::SslMode::Require
                } else {
                    tokio_postgres::config::SslMode::Prefer
                });
                let tls = tokio_postgres_rustls::MakeRustlsConnect::new(self.tls_config()?);
                let (client, conn) = pg.connect(tls).await.map_err(|e| self.error(&e))?;
                spawn_connection(conn, tx);
                client
            }
        };
        Ok((client, rx))
    }

    fn tls_config(&self) -> Result<rustls::ClientConfig, StoreError> {
        let mut roots = rustls::RootCertStore::empty();
        match &self.root_cert {
            Some(path) => {
                use rustls::pki_types::CertificateDer;
                use rustls::pki_types::pem::PemObject;
                let bytes = crate::timeline::files::read_bounded(path, 1024 * 1024)
                    .map_err(|e| StoreError(format!("sslrootcert {}: {e}", path.display())))?;
                for cert in CertificateDer::pem_slice_iter(&bytes) {
                    let cert = cert
                        .map_err(|e| StoreError(format!("sslrootcert {}: {e}", path.display())))?;
                    roots
                        .add(cert)
                        .map_err(|e| StoreError(format!("sslrootcert {}: {e}", path.display())))?;
                }
                if roots.is_empty() {
                    return Err(StoreError(format!(
                        "sslrootcert {}: no certificate in it",
                        path.display()
                    )));
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| StoreError(format!("TLS: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(config)
    }
}

/// Drives the connection, forwarding notifications; ends when the client is dropped or the
/// server goes away.
fn spawn_connection<S, T>(
    mut conn: tokio_postgres::Connection<S, T>,
    tx: mpsc::Sender<Notification>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| conn.poll_message(cx));
        while let Some(m) = messages.next().await {
            match m {
                Ok(AsyncMessage::Notification(n)) => {
                    let _ = tx.try_send(n);
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
}
