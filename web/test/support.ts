// What the unit tests share.

import { DeploymentError } from '../src/deployment';

/** The rule and details of the DeploymentError `f` throws; fails the test if it throws none. */
export function ruleOf(f: () => unknown): { rule: string; details: Record<string, unknown> } {
  try {
    f();
  } catch (e) {
    if (e instanceof DeploymentError) return { rule: e.rule, details: e.details };
    throw e;
  }
  throw new Error('expected a DeploymentError');
}
