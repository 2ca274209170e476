//! A round-robin TCP proxy in front of several replicas, as a load balancer in front of them:
//! each connection goes to the next replica, bytes copied both ways until either side closes.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};

pub async fn round_robin(front: TcpListener, backends: Vec<SocketAddr>) {
    let next = Arc::new(AtomicUsize::new(0));
    loop {
        let Ok((mut client, _)) = front.accept().await else { continue };
        let backend = backends[next.fetch_add(1, Ordering::Relaxed) % backends.len()];
        tokio::spawn(async move {
            match TcpStream::connect(backend).await {
                Ok(mut upstream) => {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                }
                Err(e) => tracing::warn!(%backend, error = %e, "proxy: replica unreachable"),
            }
        });
    }
}
