//! Blocks sealed on demand, in the background, on a `--sealing manual` chain.

use crate::Chain;
use std::{
	io::{Read, Write},
	time::Duration,
};

/// Seals a finalized block every 200 ms on a `--sealing manual` chain, unless held.
pub struct Sealer {
	held: std::sync::Arc<std::sync::atomic::AtomicBool>,
	stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Sealer {
	pub fn start(chain: &Chain) -> Sealer {
		use std::sync::{atomic::AtomicBool, Arc};
		let port: u16 = chain.url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port");
		let (held, stop) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
		let (h, s) = (held.clone(), stop.clone());
		std::thread::spawn(move || {
			let body =
				br#"{"jsonrpc":"2.0","id":1,"method":"engine_createBlock","params":[true,true]}"#;
			while !s.load(std::sync::atomic::Ordering::Relaxed) {
				if !h.load(std::sync::atomic::Ordering::Relaxed) {
					let _ = post_json(port, body);
				}
				std::thread::sleep(Duration::from_millis(200));
			}
		});
		Sealer { held, stop }
	}

	/// Hold (or let go of) the next block.
	pub fn hold(&self, held: bool) {
		self.held.store(held, std::sync::atomic::Ordering::Relaxed);
	}
}

impl Drop for Sealer {
	fn drop(&mut self) {
		self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
	}
}

/// POST `body` to the node's RPC over HTTP; its answer, if any.
fn post_json(port: u16, body: &[u8]) -> Option<String> {
	let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
	let head = format!(
		"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
		body.len()
	);
	stream.write_all(head.as_bytes()).ok()?;
	stream.write_all(body).ok()?;
	let mut answer = String::new();
	stream.read_to_string(&mut answer).ok()?;
	Some(answer)
}
