//! The HTTP server: HTTP/1.1 with bounded connections, in all and per client address, and a
//! deadline for a request's headers, so idle or slow connections cannot take every slot.

use crate::config::Limits;
use hyper_util::{
	rt::{TokioIo, TokioTimer},
	service::TowerToHyperService,
};
use std::{
	collections::HashMap,
	net::IpAddr,
	sync::{Arc, Mutex, PoisonError},
	time::Duration,
};
use tokio::net::TcpListener;

/// How long a client has to send a request's headers, on a new connection or between requests
/// on a kept-alive one.
pub const HEADER_DEADLINE: Duration = Duration::from_secs(10);

/// Connections open per client address.
#[derive(Default)]
struct PerAddress(Mutex<HashMap<IpAddr, usize>>);

/// One connection counted against its address; uncounted when dropped.
struct Counted {
	table: Arc<PerAddress>,
	address: IpAddr,
}

impl PerAddress {
	fn admit(table: &Arc<PerAddress>, address: IpAddr, max: usize) -> Option<Counted> {
		let mut open = table.0.lock().unwrap_or_else(PoisonError::into_inner);
		let count = open.entry(address).or_default();
		if *count >= max {
			return None;
		}
		*count += 1;
		Some(Counted { table: table.clone(), address })
	}
}

impl Drop for Counted {
	fn drop(&mut self) {
		let mut open = self.table.0.lock().unwrap_or_else(PoisonError::into_inner);
		if let Some(count) = open.get_mut(&self.address) {
			*count = count.saturating_sub(1);
			if *count == 0 {
				open.remove(&self.address);
			}
		}
	}
}

/// Serve `router` on `listener` until `shutdown` resolves.
pub async fn serve(
	listener: TcpListener,
	router: axum::Router,
	limits: &Limits,
	shutdown: impl std::future::Future<Output = ()>,
) {
	let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
	let per_address = Arc::new(PerAddress::default());
	let mut http = hyper::server::conn::http1::Builder::new();
	http.timer(TokioTimer::new()).header_read_timeout(HEADER_DEADLINE);
	let max_per_address = limits.max_connections_per_address;
	tokio::pin!(shutdown);
	loop {
		// A free slot first: while every slot is taken, new connections wait in the kernel's
		// backlog instead of costing the agent anything.
		let slot = tokio::select! {
			slot = slots.clone().acquire_owned() => slot,
			() = &mut shutdown => return,
		};
		let Ok(slot) = slot else { return };
		let (stream, peer) = tokio::select! {
			accepted = listener.accept() => match accepted {
				Ok(accepted) => accepted,
				Err(e) => {
					// Out of file descriptors and the like: wait rather than spin.
					tracing::warn!("accepting a connection: {e}");
					tokio::time::sleep(Duration::from_millis(100)).await;
					continue;
				}
			},
			() = &mut shutdown => return,
		};
		let Some(counted) = PerAddress::admit(&per_address, peer.ip(), max_per_address) else {
			tracing::info!(%peer, max_per_address, "refused a connection: too many from this address");
			continue;
		};
		let connection =
			http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(router.clone()));
		tokio::spawn(async move {
			if let Err(e) = connection.await {
				tracing::debug!(%peer, "connection ended: {e}");
			}
			drop((slot, counted));
		});
	}
}
