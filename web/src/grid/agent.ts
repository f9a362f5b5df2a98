// A node's agent (SPEC §10): requests signed with the user's account key (a key the page holds,
// or a wallet's `signRaw`, which signs the message wrapped in `<Bytes>`; the agent accepts both).

import { stringToU8a, u8aToHex } from '@polkadot/util';
import { blake2AsHex } from '@polkadot/util-crypto';
import { canonical, type Deployment, type Resources, type Signer } from '../deployment';

export interface WorkloadResult {
  name: string;
  state: 'ok' | 'error' | 'paused' | 'deleted';
  message: string;
  data: Record<string, unknown>;
}
export interface DeploymentStatus { contract_id: number; deployment: Deployment; workloads: WorkloadResult[] }
/** The pre-flight's answer: the node would take the document once its contract holds `hash`,
 * declares `capacity` and reserves `public_ips`. */
export interface Preflight { hash: string; capacity: Resources; public_ips: number }
/** The recent output of a VM workload, oldest line first. */
export interface WorkloadLogs { contract_id: number; workload: string; lines: string[] }

/** The logs route of a VM workload; the query string is part of what the request's signature covers. */
export function logsPath(contractId: number, workload: string, tail: number): string {
  return `/v1/deployments/${contractId}/logs?workload=${encodeURIComponent(workload)}&tail=${tail}`;
}

/** The agent refused: the rule by name, and its sentence. */
export class AgentRefusal extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'AgentRefusal';
  }
}

/** What a request's signature covers: `"{METHOD} {PATH}\n{timestamp}\n{hex BLAKE2b-256(body)}"`. */
export function requestMessage(method: string, path: string, timestamp: number, body: Uint8Array): Uint8Array {
  const bodyHash = blake2AsHex(body, 256).slice(2);
  return stringToU8a(`${method} ${path}\n${timestamp}\n${bodyHash}`);
}

/** How long an agent may take to answer: a deploy waits for provisioning and its confirmation. */
const ANSWER_WITHIN_MS = 120_000;

export class AgentClient {
  constructor(readonly base: string, private readonly twinId: number, private readonly signer: Signer) {}

  private async send<T = DeploymentStatus>(method: string, path: string, body?: string): Promise<T> {
    const bytes = body === undefined ? new Uint8Array() : stringToU8a(body);
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = u8aToHex(await this.signer.sign(requestMessage(method, path, timestamp, bytes)));
    let response: Response;
    try {
      response = await fetch(this.base.replace(/\/$/, '') + path, {
        method,
        headers: {
          'content-type': 'application/json',
          'x-grid-twin': String(this.twinId),
          'x-grid-timestamp': String(timestamp),
          'x-grid-signature': `${this.signer.keyType}:${signature}`,
        },
        body,
        signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
      });
    } catch (e) {
      throw new AgentRefusal('Unreachable', `The node's agent at ${this.base} did not answer: ${(e as Error).message}`);
    }
    const answer = await response.json().catch(() => null);
    if (!response.ok) {
      const refusal = answer as { code?: string; message?: string } | null;
      throw new AgentRefusal(
        refusal?.code ?? `HTTP${response.status}`,
        refusal?.message ?? `the agent answered HTTP ${response.status}`,
      );
    }
    return answer as T;
  }

  deploy(doc: Deployment) { return this.send('POST', '/v1/deployments', canonical(doc)); }
  update(doc: Deployment) { return this.send('PUT', `/v1/deployments/${doc.contract_id}`, canonical(doc)); }
  /** Would the node take `doc` (contract_id 0 while its contract does not exist)? Changes nothing. */
  checkDeploy(doc: Deployment) { return this.send<Preflight>('POST', '/v1/deployments/check', canonical(doc)); }
  /** Would the node take `doc` in place of what it runs for `doc.contract_id`? Changes nothing. */
  checkUpdate(doc: Deployment) {
    return this.send<Preflight>('PUT', `/v1/deployments/${doc.contract_id}/check`, canonical(doc));
  }
  status(contractId: number) { return this.send('GET', `/v1/deployments/${contractId}`); }
  /** The last `tail` lines (1 to 10000) VM workload `workload` wrote. */
  logs(contractId: number, workload: string, tail = 100) {
    return this.send<WorkloadLogs>('GET', logsPath(contractId, workload, tail));
  }
}
