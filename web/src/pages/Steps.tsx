import { useState } from 'react';
import type { Step, StepState } from '../flows';

export interface StepView { id: string; state: StepState; text: string }

/** A list of a flow's steps, each done, running or failed. */
export function useSteps(): [StepView[], Step, () => void] {
  const [steps, setSteps] = useState<StepView[]>([]);
  const step: Step = (id, state, text) => setSteps((all) => {
    const i = all.findIndex((s) => s.id === id);
    if (i < 0) return [...all, { id, state, text }];
    return all.map((s, j) => (j === i ? { id, state, text } : s));
  });
  return [steps, step, () => setSteps([])];
}

export function Steps({ steps }: { steps: StepView[] }) {
  if (steps.length === 0) return null;
  return (
    <ol className="steps" data-testid="steps">
      {steps.map((s) => <li key={s.id} className={s.state} data-step={s.id} data-state={s.state}>{s.text}</li>)}
    </ol>
  );
}
