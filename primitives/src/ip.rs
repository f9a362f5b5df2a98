//! Validation of a farm's public IPv4 addresses (SPEC §3, `add_farm_ip`).
//!
//! An IP is CIDR text such as `185.206.122.33/24`; its gateway is a plain IPv4 address inside the
//! same subnet. Both must be public unicast, and neither may be the subnet's network or broadcast
//! address.

use core::net::Ipv4Addr;

/// Why an IP or gateway was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum IpError {
	/// The IP is not `a.b.c.d/prefix` text.
	InvalidCidr,
	/// The prefix is outside 8..=30: such a subnet has no room for a host and a gateway.
	InvalidPrefix,
	/// The gateway is not `a.b.c.d` text.
	InvalidGateway,
	/// The IP or the gateway is private, loopback, multicast, reserved or otherwise not public.
	NotPublicUnicast,
	/// The IP is its subnet's network or broadcast address.
	IpIsNetworkOrBroadcast,
	/// The gateway is outside the IP's subnet.
	GatewayNotInSubnet,
	/// The gateway is the subnet's network or broadcast address, or the IP itself.
	InvalidGatewayAddress,
}

/// A validated public IP with its prefix length.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PublicIpv4 {
	/// The address.
	pub addr: Ipv4Addr,
	/// The prefix length of its subnet.
	pub prefix: u8,
}

impl PublicIpv4 {
	fn mask(&self) -> u32 {
		u32::MAX.checked_shl(32u32.saturating_sub(self.prefix as u32)).unwrap_or(0)
	}

	/// The subnet's network address.
	pub fn network(&self) -> u32 {
		u32::from(self.addr) & self.mask()
	}

	/// The subnet's broadcast address.
	pub fn broadcast(&self) -> u32 {
		self.network() | !self.mask()
	}

	/// Whether `other` lies inside this subnet.
	pub fn contains(&self, other: Ipv4Addr) -> bool {
		u32::from(other) & self.mask() == self.network()
	}
}

fn parse_addr(text: &[u8]) -> Option<Ipv4Addr> {
	core::str::from_utf8(text).ok()?.parse().ok()
}

/// Whether `addr` is a public unicast address: not in any special-purpose block of RFC 6890.
pub fn is_public_unicast(addr: Ipv4Addr) -> bool {
	let [a, b, c, _] = addr.octets();
	let special = a == 0 // "this network"
		|| a == 10 // private
		|| (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
		|| a == 127 // loopback
		|| (a == 169 && b == 254) // link local
		|| (a == 172 && (16..32).contains(&b)) // private
		|| (a == 192 && b == 0 && c == 0) // IETF protocol assignments
		|| (a == 192 && b == 0 && c == 2) // TEST-NET-1
		|| (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
		|| (a == 192 && b == 168) // private
		|| (a == 198 && (b == 18 || b == 19)) // benchmarking
		|| (a == 198 && b == 51 && c == 100) // TEST-NET-2
		|| (a == 203 && b == 0 && c == 113) // TEST-NET-3
		|| a >= 224; // multicast, reserved and broadcast
	!special
}

/// Parse and validate CIDR text such as `185.206.122.33/24`.
///
/// ```
/// use gridchain_primitives::ip::{parse_public_cidr, IpError};
/// assert!(parse_public_cidr(b"185.206.122.33/24").is_ok());
/// assert_eq!(parse_public_cidr(b"10.0.0.1/24"), Err(IpError::NotPublicUnicast));
/// ```
pub fn parse_public_cidr(text: &[u8]) -> Result<PublicIpv4, IpError> {
	let slash = text.iter().position(|&c| c == b'/').ok_or(IpError::InvalidCidr)?;
	let (addr, prefix) = (&text[..slash], &text[slash + 1..]);
	let addr = parse_addr(addr).ok_or(IpError::InvalidCidr)?;
	let prefix_text = core::str::from_utf8(prefix).map_err(|_| IpError::InvalidCidr)?;
	let leading_zero = prefix_text.len() > 1 && prefix_text.starts_with('0');
	if prefix_text.is_empty()
		|| prefix_text.len() > 2
		|| leading_zero
		|| !prefix_text.bytes().all(|c| c.is_ascii_digit())
	{
		return Err(IpError::InvalidCidr);
	}
	let prefix: u8 = prefix_text.parse().map_err(|_| IpError::InvalidCidr)?;
	if !(8..=30).contains(&prefix) {
		return Err(IpError::InvalidPrefix);
	}
	if !is_public_unicast(addr) {
		return Err(IpError::NotPublicUnicast);
	}
	let ip = PublicIpv4 { addr, prefix };
	let raw = u32::from(addr);
	if raw == ip.network() || raw == ip.broadcast() {
		return Err(IpError::IpIsNetworkOrBroadcast);
	}
	Ok(ip)
}

/// Validate a public IP and its gateway together, as `add_farm_ip` does.
///
/// ```
/// use gridchain_primitives::ip::{validate_ip_and_gateway, IpError};
/// assert!(validate_ip_and_gateway(b"185.206.122.33/24", b"185.206.122.1").is_ok());
/// assert_eq!(
///     validate_ip_and_gateway(b"185.206.122.33/24", b"185.206.123.1"),
///     Err(IpError::GatewayNotInSubnet)
/// );
/// ```
pub fn validate_ip_and_gateway(ip: &[u8], gateway: &[u8]) -> Result<PublicIpv4, IpError> {
	let ip = parse_public_cidr(ip)?;
	let gw = parse_addr(gateway).ok_or(IpError::InvalidGateway)?;
	if !is_public_unicast(gw) {
		return Err(IpError::NotPublicUnicast);
	}
	if !ip.contains(gw) {
		return Err(IpError::GatewayNotInSubnet);
	}
	let raw = u32::from(gw);
	if raw == ip.network() || raw == ip.broadcast() || gw == ip.addr {
		return Err(IpError::InvalidGatewayAddress);
	}
	Ok(ip)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn accepts_a_public_ip_with_its_gateway() {
		let ip = validate_ip_and_gateway(b"185.206.122.33/24", b"185.206.122.1").unwrap();
		assert_eq!(ip.addr, Ipv4Addr::new(185, 206, 122, 33));
		assert_eq!(ip.prefix, 24);
	}

	#[test]
	fn rejects_text_that_is_not_cidr() {
		for bad in [
			&b"185.206.122.33"[..],
			b"185.206.122/24",
			b"185.206.122.333/24",
			b"a.b.c.d/24",
			b"1.2.3.4/",
			b"1.2.3.4/+8",
			b"1.2.3.4/024",
			b" 1.2.3.4/24",
			b"\xff/24",
		] {
			assert_eq!(parse_public_cidr(bad), Err(IpError::InvalidCidr), "{:?}", bad);
		}
	}

	#[test]
	fn rejects_prefixes_without_room_for_a_gateway() {
		assert_eq!(parse_public_cidr(b"185.206.122.33/31"), Err(IpError::InvalidPrefix));
		assert_eq!(parse_public_cidr(b"185.206.122.33/32"), Err(IpError::InvalidPrefix));
		assert_eq!(parse_public_cidr(b"185.206.122.33/7"), Err(IpError::InvalidPrefix));
		assert_eq!(parse_public_cidr(b"185.206.122.33/99"), Err(IpError::InvalidPrefix));
		assert_eq!(parse_public_cidr(b"185.206.122.33/08"), Err(IpError::InvalidCidr));
	}

	#[test]
	fn rejects_private_and_special_addresses() {
		for bad in [
			&b"10.1.2.3/24"[..],
			b"172.16.5.4/24",
			b"192.168.1.10/24",
			b"127.0.0.2/8",
			b"100.64.1.1/24",
			b"169.254.3.3/16",
			b"224.1.1.1/24",
			b"240.1.1.1/24",
			b"198.51.100.7/24",
			b"0.1.2.3/8",
		] {
			assert_eq!(parse_public_cidr(bad), Err(IpError::NotPublicUnicast), "{:?}", bad);
		}
	}

	#[test]
	fn rejects_network_and_broadcast_ips() {
		assert_eq!(parse_public_cidr(b"185.206.122.0/24"), Err(IpError::IpIsNetworkOrBroadcast));
		assert_eq!(parse_public_cidr(b"185.206.122.255/24"), Err(IpError::IpIsNetworkOrBroadcast));
	}

	#[test]
	fn gateway_must_be_inside_the_subnet() {
		assert_eq!(
			validate_ip_and_gateway(b"185.206.122.33/24", b"185.206.121.1"),
			Err(IpError::GatewayNotInSubnet)
		);
		assert!(validate_ip_and_gateway(b"185.206.122.33/16", b"185.206.1.1").is_ok());
	}

	#[test]
	fn gateway_is_not_network_broadcast_or_the_ip() {
		for gw in [&b"185.206.122.0"[..], b"185.206.122.255", b"185.206.122.33"] {
			assert_eq!(
				validate_ip_and_gateway(b"185.206.122.33/24", gw),
				Err(IpError::InvalidGatewayAddress)
			);
		}
	}

	#[test]
	fn gateway_must_be_plain_public_ipv4() {
		assert_eq!(
			validate_ip_and_gateway(b"185.206.122.33/24", b"185.206.122.1/24"),
			Err(IpError::InvalidGateway)
		);
		assert_eq!(
			validate_ip_and_gateway(b"185.206.122.33/24", b"10.0.0.1"),
			Err(IpError::NotPublicUnicast)
		);
	}
}
