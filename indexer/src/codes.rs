//! The closed sets of words the indexer stores in its TEXT columns and serves: a contract's kind
//! and state, why it ended, why a report was rejected, a bill's discount level, a price's kind,
//! a contract event's kind and how a grace period ended. Each is an enum whose [`Code::as_str`] is
//! the text the database has always held, so Rust code matches variants, never strings.

use std::fmt;

/// A closed set of stored words.
pub trait Code: Copy + Eq + fmt::Debug + 'static {
	/// Every value, in the order the API lists them.
	const ALL: &'static [Self];

	/// The stored text.
	fn as_str(self) -> &'static str;

	/// The value whose stored text is `text`.
	fn parse(text: &str) -> Option<Self> {
		Self::ALL.iter().copied().find(|code| code.as_str() == text)
	}
}

/// Text that is not one of a [`Code`]'s words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a known value")]
pub struct UnknownCode(pub String);

macro_rules! codes {
	($(#[$doc:meta])* $name:ident { $($(#[$variant_doc:meta])* $variant:ident = $text:literal,)+ }) => {
		$(#[$doc])*
		#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
		pub enum $name {
			$($(#[$variant_doc])* $variant,)+
		}

		impl Code for $name {
			const ALL: &'static [Self] = &[$($name::$variant,)+];

			fn as_str(self) -> &'static str {
				match self {
					$($name::$variant => $text,)+
				}
			}
		}

		impl $name {
			/// The stored text.
			pub fn as_str(self) -> &'static str {
				Code::as_str(self)
			}
		}

		impl fmt::Display for $name {
			fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
				f.write_str(self.as_str())
			}
		}

		impl std::str::FromStr for $name {
			type Err = UnknownCode;

			fn from_str(text: &str) -> Result<Self, UnknownCode> {
				<Self as Code>::parse(text).ok_or_else(|| UnknownCode(text.to_string()))
			}
		}
	};
}

codes! {
	/// What a contract pays for (`contracts.kind`).
	ContractKind {
		Node = "node",
		Name = "name",
		Rent = "rent",
		/// Created and ended in the same block: gone from storage before it could be read.
		Unknown = "unknown",
	}
}

codes! {
	/// Where a contract is in its life (`contracts.state`, `contract_events.state`).
	ContractState {
		Created = "created",
		Deployed = "deployed",
		GracePeriod = "grace_period",
		Deleted = "deleted",
	}
}

codes! {
	/// Why a contract ended (`contracts.cause`).
	CancelCause {
		CanceledByUser = "canceled_by_user",
		CanceledByNode = "canceled_by_node",
		CanceledByCollective = "canceled_by_collective",
		OutOfFunds = "out_of_funds",
	}
}

codes! {
	/// Why the chain rejected a consumption report (`reports.reason`): the chain's own names.
	ReportRejection {
		/// The reporting node is not the contract's: the event does not say which node it was.
		NotANodeContractOfThisNode = "NotANodeContractOfThisNode",
		TimestampNotAfterPrevious = "TimestampNotAfterPrevious",
		TimestampInFuture = "TimestampInFuture",
		ExceedsContractCapacity = "ExceedsContractCapacity",
		NeverDeployed = "NeverDeployed",
	}
}

codes! {
	/// The discount a settlement was billed at (`bills.discount_level`): the chain's own names.
	DiscountLevel {
		None = "None",
		Default = "Default",
		Bronze = "Bronze",
		Silver = "Silver",
		Gold = "Gold",
	}
}

codes! {
	/// Which TFT price the chain stored (`prices.kind`).
	PriceKind {
		/// An oracle's.
		Price = "price",
		/// The average the chain bills at.
		Average = "average",
	}
}

codes! {
	/// A state change of a contract (`contract_events.kind`).
	ContractEventKind {
		Created = "created",
		Updated = "updated",
		Deployed = "deployed",
		GraceStarted = "grace_started",
		GraceEnded = "grace_ended",
		Canceled = "canceled",
	}
}

codes! {
	/// How a grace period ended (`grace_periods.ended_by`).
	GraceEnd {
		/// A top-up paid the debt.
		Paid = "paid",
		/// The contract was canceled first.
		Canceled = "canceled",
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn every_code_parses_back_from_its_stored_text() {
		fn round_trip<C: Code + std::str::FromStr<Err = UnknownCode>>() {
			for code in C::ALL {
				assert_eq!(code.as_str().parse::<C>(), Ok(*code));
			}
		}
		round_trip::<ContractKind>();
		round_trip::<ContractState>();
		round_trip::<CancelCause>();
		round_trip::<ReportRejection>();
		round_trip::<DiscountLevel>();
		round_trip::<PriceKind>();
		round_trip::<ContractEventKind>();
		round_trip::<GraceEnd>();
		assert_eq!("gone".parse::<ContractState>(), Err(UnknownCode("gone".into())));
	}

	#[test]
	fn stored_text_is_what_the_database_has_always_held() {
		assert_eq!(ContractState::GracePeriod.as_str(), "grace_period");
		assert_eq!(
			ReportRejection::NotANodeContractOfThisNode.as_str(),
			"NotANodeContractOfThisNode"
		);
		assert_eq!(PriceKind::Average.to_string(), "average");
		assert_eq!(CancelCause::OutOfFunds.as_str(), "out_of_funds");
	}
}
