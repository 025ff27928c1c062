//! Running the HTTP API: [`RunningIssuer`] serves the router of [`crate::http`] on a bound
//! listener until a stop signal, then drains the connections in flight.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::http::{AppState, router};

/// A served issuer API.
#[derive(Debug)]
pub struct RunningIssuer {
    local_addr: SocketAddr,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningIssuer {
    /// Serves `state` on `listener` (bound by the caller, who needs its address for the base
    /// URL before the service starts).
    pub fn serve(listener: TcpListener, state: Arc<AppState>) -> std::io::Result<RunningIssuer> {
        let local_addr = listener.local_addr()?;
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let app = router(state);
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                })
                .await
        });
        Ok(RunningIssuer {
            local_addr,
            stop,
            task,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Its base URL (`http://ADDR`).
    pub fn url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// Serves until `signal` completes, then stops.
    pub async fn wait_until(self, signal: impl Future<Output = ()>) -> std::io::Result<()> {
        signal.await;
        self.stop().await
    }

    /// Stops serving (connections in flight finish) and waits for it.
    pub async fn stop(self) -> std::io::Result<()> {
        let _ = self.stop.send(true);
        match self.task.await {
            Ok(outcome) => outcome,
            Err(err) => Err(std::io::Error::other(err.to_string())),
        }
    }
}
