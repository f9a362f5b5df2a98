//! `TCP_NODELAY` on the RPC server's sockets.
//!
//! `sc-rpc-server` accepts its WebSocket and HTTP connections without `TCP_NODELAY`. When it answers
//! with two small writes in a row (a subscription's id, then the subscription's first event), Nagle's
//! algorithm holds the second until the client acknowledges the first, and a Linux client delays
//! that acknowledgement by 40 ms. `transactionWatch_v1_submitAndWatch`, which every subxt
//! submission uses, paid it twice: a transfer on an idle `--sealing instant` node took 88 ms from
//! one submission to the next, 80 of them waiting.
//!
//! The server does not hand out its listening sockets, so the node finds them among its own file
//! descriptors (`/proc/self/fd`), works on a duplicate of each (`pidfd_getfd`: the same socket, so
//! the option set on it is the socket's), and sets `TCP_NODELAY` on every TCP socket whose local
//! port is an RPC port: the listener, whose connections inherit it on Linux, and any connection
//! already accepted.

use sc_network::{multiaddr::Protocol, Multiaddr};

/// Set `TCP_NODELAY` on the sockets of the RPC server listening on `listen`; returns how many
/// sockets now have it. A failure only costs latency, so it is logged, not returned.
pub fn set_on_rpc_sockets(listen: &[Multiaddr]) -> usize {
	let ports: Vec<u16> = listen
		.iter()
		.flat_map(|address| address.iter())
		.filter_map(|protocol| match protocol {
			Protocol::Tcp(port) => Some(port),
			_ => None,
		})
		.collect();
	if ports.is_empty() {
		return 0;
	}
	match set_on_sockets_bound_to(&ports) {
		Ok(0) => {
			log::warn!("RPC server: no socket on port(s) {ports:?} found to set TCP_NODELAY on");
			0
		}
		Ok(count) => count,
		Err(e) => {
			log::warn!("RPC server: TCP_NODELAY not set ({e}); replies may wait 40 ms for an ACK");
			0
		}
	}
}

fn set_on_sockets_bound_to(ports: &[u16]) -> std::io::Result<usize> {
	use rustix::process::{getpid, pidfd_getfd, pidfd_open, PidfdFlags, PidfdGetfdFlags};
	let me = pidfd_open(getpid(), PidfdFlags::empty())?;
	let mut count = 0;
	for entry in std::fs::read_dir("/proc/self/fd")?.flatten() {
		let Some(fd) = entry.file_name().to_str().and_then(|name| name.parse().ok()) else {
			continue;
		};
		let is_socket = std::fs::read_link(entry.path())
			.is_ok_and(|target| target.to_string_lossy().starts_with("socket:"));
		if !is_socket {
			continue;
		}
		// The descriptor may have been closed since the listing: then there is nothing to do.
		let Ok(socket) = pidfd_getfd(&me, fd, PidfdGetfdFlags::empty()) else {
			continue;
		};
		let socket = socket2::SockRef::from(&socket);
		let port = socket.local_addr().ok().and_then(|a| a.as_socket()).map(|a| a.port());
		let is_tcp = socket.r#type().is_ok_and(|t| t == socket2::Type::STREAM);
		if is_tcp && port.is_some_and(|port| ports.contains(&port)) {
			socket.set_tcp_nodelay(true)?;
			count += 1;
		}
	}
	Ok(count)
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::net::{TcpListener, TcpStream};

	fn address(port: u16) -> Multiaddr {
		format!("/ip4/127.0.0.1/tcp/{port}/ws").parse().expect("a multiaddr")
	}

	fn nodelay(socket: &impl std::os::fd::AsFd) -> bool {
		socket2::SockRef::from(socket).tcp_nodelay().expect("TCP_NODELAY readable")
	}

	#[test]
	fn the_rpc_listener_and_the_connections_it_accepts_get_nodelay_and_no_other_socket_does() {
		let rpc = TcpListener::bind("127.0.0.1:0").expect("bind");
		let other = TcpListener::bind("127.0.0.1:0").expect("bind");
		let rpc_port = rpc.local_addr().expect("address").port();
		let before = TcpStream::connect(("127.0.0.1", rpc_port)).expect("connect");
		let (accepted_before, _) = rpc.accept().expect("accept");
		assert!(!nodelay(&rpc) && !nodelay(&accepted_before), "Nagle is on by default");

		// The listener and the connection it accepted are bound to the RPC port; the client's end
		// has it only as its peer's.
		assert_eq!(set_on_rpc_sockets(&[address(rpc_port)]), 2);
		assert!(nodelay(&rpc) && nodelay(&accepted_before));
		assert!(!nodelay(&other), "a socket on another port keeps its options");
		assert!(!nodelay(&before), "the client's end is bound to a port of its own");

		// A connection accepted afterwards inherits the listener's option.
		let _client = TcpStream::connect(("127.0.0.1", rpc_port)).expect("connect");
		let (accepted_after, _) = rpc.accept().expect("accept");
		assert!(nodelay(&accepted_after));
	}

	#[test]
	fn an_address_without_a_tcp_port_sets_nothing() {
		let address: Multiaddr = "/ip4/127.0.0.1".parse().expect("a multiaddr");
		assert_eq!(set_on_rpc_sockets(&[address]), 0);
	}
}
