// A flow's steps as the user watches them: each one done, failed (with the reason) or in progress.
//
//   const [steps, step, reset, fail] = useSteps();
//   step('contract', 'running', 'Creating the contract on chain');  // adds the step, or replaces it
//   step('contract', 'done', 'Contract 7 created');
//   fail(e);   // when the flow threw: every step still running is marked failed, with e's sentence
//   <Steps steps={steps} />
//
// `fail` is optional for callers (`[steps, step, reset]` works as before); without it, a step the
// flow did not mark itself stays "in progress" after a refusal.

import { useCallback, useState } from 'react';
import type { Step, StepState } from '../flows';
import { sentence } from '../session';

export interface StepView { id: string; state: StepState; text: string }

/** `all` with step `id` added, or replaced where it is. */
export function withStep(all: StepView[], view: StepView): StepView[] {
  const i = all.findIndex((s) => s.id === view.id);
  if (i < 0) return [...all, view];
  return all.map((s, j) => (j === i ? view : s));
}

/** `all` with every running step marked failed: its text, then why. Progress notes after a colon
 * ("…: in a block, waiting for finality") are dropped, as they no longer hold. */
export function withRunningFailed(all: StepView[], reason: string): StepView[] {
  return all.map((s) => (s.state === 'running'
    ? { ...s, state: 'failed', text: `${s.text.split(': ')[0]}: failed. ${reason}` }
    : s));
}

/** The steps, the function that sets one, one that empties the list, and one that fails the
 * steps still running with the reason of a thrown error. */
export function useSteps(): [StepView[], Step, () => void, (reason: unknown) => void] {
  const [steps, setSteps] = useState<StepView[]>([]);
  const step: Step = useCallback((id, state, text) => setSteps((all) => withStep(all, { id, state, text })), []);
  const reset = useCallback(() => setSteps([]), []);
  const fail = useCallback((reason: unknown) => setSteps((all) => withRunningFailed(all, sentence(reason))), []);
  return [steps, step, reset, fail];
}

const MARK: Record<StepState, string> = { done: 'done', failed: 'failed', running: 'in progress' };

export function Steps({ steps }: { steps: StepView[] }) {
  if (steps.length === 0) return null;
  return (
    <ol className="steps" data-testid="steps" aria-live="polite">
      {steps.map((s) => (
        <li key={s.id} className={s.state} data-step={s.id} data-state={s.state} title={MARK[s.state]}>{s.text}</li>
      ))}
    </ol>
  );
}
