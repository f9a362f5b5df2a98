//! k-of-n accounts with the `Multisig` pallet: a twin owned by such an account acts only when
//! `threshold` of its members approve the same call.
//!
//! [`Client::as_multisig`] turns a client into one where every call is an approval of the member
//! who signs: the first approvals are recorded (`approve_as_multi`) and come back as
//! [`Error::AwaitingApprovals`]; the approval that reaches the threshold dispatches the call
//! (`as_multi`) and returns its events like any other call.

use crate::{
	chain,
	signatories::{blake2_256, Multisig},
	Client, Error, Receipt, Result,
};
use subxt::{tx::Payload, utils::AccountId32};
use subxt_signer::sr25519::Keypair;

/// A call waiting for approvals.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PendingCall {
	/// `0x`-hex BLAKE2b-256 of the encoded call.
	pub call_hash: String,
	/// SS58 addresses of the members who approved.
	pub approvals: Vec<String>,
	pub threshold: u16,
	/// Block of the first approval.
	pub since_block: u32,
	/// Held from the first approver until the call runs or is cancelled.
	pub deposit: u128,
}

impl Client {
	/// This client, with every call made as an approval of `multisig` by the signer.
	pub fn as_multisig(mut self, multisig: Multisig) -> Client {
		self.multisig = Some(multisig);
		self
	}

	/// The calls of `multisig` waiting for approvals.
	pub async fn pending_multisig_calls(&self, multisig: &Multisig) -> Result<Vec<PendingCall>> {
		let at = self.at().await?;
		let mut entries = at
			.storage()
			.iter(chain::storage().multisig().multisigs(), (multisig.account_id(),))
			.await?;
		let mut pending = Vec::new();
		while let Some(entry) = entries.next().await {
			let entry = entry?;
			let (_, call_hash): (AccountId32, [u8; 32]) = entry.key()?.decode()?;
			let open = entry.value().decode()?;
			pending.push(PendingCall {
				call_hash: crate::types::hex0x(&call_hash),
				approvals: open.approvals.0.iter().map(|a| a.to_string()).collect(),
				threshold: multisig.threshold,
				since_block: open.when.height,
				deposit: open.deposit,
			});
		}
		Ok(pending)
	}

	/// Withdraw a pending call of `multisig` that the signer proposed; its deposit is released.
	pub async fn cancel_multisig_call(
		&self,
		multisig: &Multisig,
		call_hash: [u8; 32],
		signer: &Keypair,
	) -> Result<()> {
		let others = multisig.others(&signer.public_key().to_account_id())?;
		let at = self.at().await?;
		let open = at
			.storage()
			.try_fetch(chain::storage().multisig().multisigs(), (multisig.account_id(), call_hash))
			.await?
			.ok_or_else(|| {
				Error::input(
					"call",
					format!("no call 0x{} is pending for this multisig", hex::encode(call_hash)),
				)
			})?
			.decode()?;
		let cancel = chain::tx().multisig().cancel_as_multi(
			multisig.threshold,
			others,
			open.when,
			call_hash,
		);
		self.submit_direct(&cancel, signer).await.map(drop)
	}

	/// Approve `call` as a member of the client's multisig; dispatch it if this approval reaches
	/// the threshold.
	pub(crate) async fn submit_as_multisig<P: Payload>(
		&self,
		multisig: &Multisig,
		call: &P,
		signer: &Keypair,
	) -> Result<Receipt> {
		let call_data = self.at().await?.tx().call_data(call)?;
		self.approve_multisig_call(multisig, &call_data, signer).await
	}

	/// Approve the encoded call `call_data` (as `propose` printed it) as a member of `multisig`;
	/// dispatch it if this approval reaches the threshold. Until then the answer is
	/// [`Error::AwaitingApprovals`].
	pub async fn approve_multisig_call(
		&self,
		multisig: &Multisig,
		call_data: &[u8],
		signer: &Keypair,
	) -> Result<Receipt> {
		let me = signer.public_key().to_account_id();
		let others = multisig.others(&me)?;
		let at = self.at().await?;
		let call = decode_call(&at, call_data)?;
		let call_hash = blake2_256(call_data);
		let open = at
			.storage()
			.try_fetch(chain::storage().multisig().multisigs(), (multisig.account_id(), call_hash))
			.await?;
		let open = match open {
			Some(v) => Some(v.decode()?),
			None => None,
		};
		let approvals = open.as_ref().map_or(0, |o| o.approvals.0.len());
		let mine = open.as_ref().is_some_and(|o| o.approvals.0.contains(&me));
		// Once the threshold is reached, any member (one who approved too) may run the call.
		let reached = approvals + usize::from(!mine) >= usize::from(multisig.threshold);
		if mine && !reached {
			return Err(Error::input(
				"signer",
				format!("{me} already approved call 0x{}", hex::encode(call_hash)),
			));
		}
		let when = open.map(|o| o.when);
		let info = at
			.runtime_apis()
			.call(
				chain::runtime_apis()
					.transaction_payment_call_api()
					.query_call_info(call.clone(), call_data.len() as u32),
			)
			.await?;
		let max_weight = info.weight;
		if !reached {
			let approve = chain::tx().multisig().approve_as_multi(
				multisig.threshold,
				others,
				when,
				call_hash,
				max_weight,
			);
			self.submit_direct(&approve, signer).await?;
			return Err(Error::AwaitingApprovals {
				call_hash: crate::types::hex0x(&call_hash),
				call_data: crate::types::hex0x(call_data),
				approvals: approvals + 1,
				threshold: multisig.threshold,
			});
		}
		let execute =
			chain::tx().multisig().as_multi(multisig.threshold, others, when, call, max_weight);
		let receipt = self.submit_direct(&execute, signer).await?;
		let executed = receipt
			.expect_event::<chain::multisig::events::MultisigExecuted>("MultisigExecuted")?;
		match executed.result {
			Ok(()) => Ok(receipt),
			Err(e) => Err(self.describe_dispatch_error(e).await),
		}
	}
}

fn decode_call(
	at: &subxt::OnlineClientAtBlock<crate::Config>,
	call_data: &[u8],
) -> Result<chain::Call> {
	use subxt::ext::scale_decode::DecodeAsType;
	let metadata = at.metadata_ref();
	Ok(chain::Call::decode_as_type(
		&mut &call_data[..],
		metadata.outer_enums().call_enum_ty(),
		metadata.types(),
	)?)
}
