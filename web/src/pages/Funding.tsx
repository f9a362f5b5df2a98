import { useEffect, useState } from 'react';
import { type FundingNeed, DEV_FUNDING_UNITS, fundFromAlice, twinCreationNeed } from '../funding';
import { formatTft } from '../pricing';
import { type Account, sentence, useSession } from '../session';
import { Steps, useSteps } from './Steps';

/** For an account without a twin: what creating it takes, as the chain estimates it, and where to
 * get it; on a development chain, a transfer from //Alice. `free` re-runs the estimate as the
 * balance changes. */
export function FundingHint({ account, pk, free }: { account: Account; pk: Uint8Array; free: bigint | null }) {
  const { chain, devChain } = useSession();
  const [need, setNeed] = useState<FundingNeed | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [steps, step, resetSteps, failSteps] = useSteps();

  useEffect(() => {
    let stale = false;
    twinCreationNeed(chain, account.address, pk).then(
      (n) => { if (!stale) { setNeed(n); setError(null); } },
      (e) => { if (!stale) setError(`The chain could not estimate the fee: ${sentence(e)}`); },
    );
    return () => { stale = true; };
  }, [chain, account.address, pk, free]);

  const fund = async () => {
    setBusy(true); resetSteps();
    const what = `Sending ${formatTft(DEV_FUNDING_UNITS)} from //Alice`;
    try {
      step('fund', 'running', what);
      await fundFromAlice(chain, account.address, DEV_FUNDING_UNITS, (s) => step('fund', 'running', `${what}: ${s}`));
      step('fund', 'done', `//Alice sent ${formatTft(DEV_FUNDING_UNITS)} to this account`);
    } catch (e) {
      failSteps(e);
    } finally {
      setBusy(false);
    }
  };

  if (error) return <p className="error" data-testid="funding-error">{error}</p>;
  if (!need) return null;
  return (
    <div data-testid="funding" data-short={need.shortUnits.toString()} data-need={need.needUnits.toString()}>
      {need.shortUnits > 0n ? (
        <p className="warning" data-testid="funding-need">
          Creating your twin takes {formatTft(need.needUnits)}: the transaction fee ({formatTft(need.feeUnits)}) and the
          {' '}{formatTft(need.existentialDepositUnits)} every account must keep to exist.
          This account has {formatTft(need.freeUnits)} free:
          have at least {formatTft(need.shortUnits)} sent to <span className="mono">{account.address}</span> from
          another account of yours, or ask whoever runs this grid.
        </p>
      ) : (
        <p className="note" data-testid="funding-need">
          Creating your twin costs about {formatTft(need.feeUnits)} in fees.
        </p>
      )}
      {devChain && need.shortUnits > 0n && (
        <p className="row">
          <button onClick={fund} disabled={busy} data-testid="fund-from-alice">Fund from //Alice</button>
          <span className="note">
            This is a development chain: //Alice's key is public, and she sends {formatTft(DEV_FUNDING_UNITS)}.
          </span>
        </p>
      )}
      <Steps steps={steps} />
    </div>
  );
}
