// The user's flows that span the chain and a node's agent (SPEC §9.6): deploy and update.

import { u8aToHex } from '@polkadot/util';
import {
  type Deployment, DeploymentError, capacity, deploymentHash, hashHex, readDeployment as documentOf, sign, validate,
  verifySignatures, verifyUpdate,
} from './deployment';
import { AgentClient, AgentRefusal, type DeploymentStatus } from './grid/agent';
import type { Chain, ContractView } from './grid/chain';
import { ageRecipientOf, encryptDeployment, decryptDeployment } from './identity';
import { type Account, sentence } from './session';
import { checkRunning, recoveryDocument } from './updates';

export type StepState = 'running' | 'done' | 'failed';
export type Step = (id: string, state: StepState, text: string) => void;

/** The twins a document names: its requests and its signers. */
export const twinsOf = (doc: Deployment) => [
  ...doc.signature_requirement.requests.map((r) => r.twin_id),
  ...doc.signature_requirement.signatures.map((s) => s.twin_id),
];

/** `doc` with the account's signature added, when one of `requirements` (the document's own, and
 * an update's previous one) names its twin and it has not signed yet. */
export async function withMySignature(
  doc: Deployment,
  account: Account,
  requirements: Deployment[] = [doc],
): Promise<Deployment> {
  const twin = account.twinId;
  if (!twin || doc.signature_requirement.signatures.some((s) => s.twin_id === twin)) return doc;
  const named = requirements.some((d) => d.signature_requirement.requests.some((r) => r.twin_id === twin));
  return named ? sign(doc, twin, account.signer) : doc;
}

/** Each of these twins' account on chain, fetched once per twin. */
export async function accountsOn(chain: Chain, twins: number[]): Promise<(twin: number) => Uint8Array | undefined> {
  const pairs = await Promise.all([...new Set(twins)].map(async (t) => [t, await chain.accountOfTwin(t)] as const));
  const map = new Map(pairs);
  return (twin: number) => map.get(twin);
}

/** The owner's `deployment_data`: encrypted to the twin's key on chain. */
async function seal(chain: Chain, doc: Deployment): Promise<{ hash: Uint8Array; data: Uint8Array }> {
  const owner = await chain.twin(doc.twin_id);
  if (!owner) throw new DeploymentError('TwinNotOnChain', `twin ${doc.twin_id} does not exist`);
  if (!owner.pk) {
    throw new DeploymentError(
      'NoEncryptionKey',
      `twin ${doc.twin_id} has no encryption key on chain: publish one on the Account page`,
    );
  }
  return { hash: deploymentHash(doc), data: await encryptDeployment(doc, [ageRecipientOf(owner.pk)]) };
}

async function waitDeployed(
  chain: Chain,
  contractId: number,
  version: number | null,
  timeoutMs = 180_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await chain.contract(contractId);
    if (!c) throw new DeploymentError('ContractGone', `contract ${contractId} no longer exists`);
    if (c.state === 'deployed' && (version === null || c.version === version)) return;
    if (Date.now() > deadline) {
      throw new DeploymentError(
        'NotConfirmed',
        `the node did not confirm contract ${contractId} within ${timeoutMs / 1000} s`,
      );
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const failed = (s: DeploymentStatus) => s.workloads.find((w) => w.state === 'error');
/** A flow's failure in a sentence, with the rule it broke: the document's (§9) or the node's. */
export const refusalSentence = (e: unknown) => (
  e instanceof DeploymentError ? `${e.rule}: ${e.message}`
  : e instanceof AgentRefusal ? `The node refused (${e.code}): ${e.message}`
  : sentence(e)
);
const refusalText = (e: unknown) => (e instanceof AgentRefusal ? `${e.code}: ${e.message}` : (e as Error).message);

/** The node's answer, a workload in `error` counted as a refusal. */
function accepted(status: DeploymentStatus): DeploymentStatus {
  const bad = failed(status);
  if (bad) throw new AgentRefusal('WorkloadFailed', `workload ${bad.name}: ${bad.message}`);
  return status;
}

/** Ask the node first (SPEC §10 pre-flight): a refusal here changes nothing anywhere. */
async function preflight(
  agent: AgentClient,
  doc: Deployment,
  nodeId: number,
  isUpdate: boolean,
  step: Step,
): Promise<void> {
  step('preflight', 'running', `Asking node ${nodeId} whether it would take it`);
  try {
    const answer = isUpdate ? await agent.checkUpdate(doc) : await agent.checkDeploy(doc);
    if (answer.hash !== hashHex(doc)) {
      throw new AgentRefusal(
        'HashDiffers',
        `node ${nodeId} hashes the document to ${answer.hash}, the page to ${hashHex(doc)}`,
      );
    }
  } catch (e) {
    step('preflight', 'failed', `Node ${nodeId} refused: ${refusalText(e)}. Nothing was sent to the chain.`);
    throw e;
  }
  step('preflight', 'done', `Node ${nodeId} would take it`);
}

const agentOf = async (chain: Chain, account: Account, nodeId: number) =>
  new AgentClient(await chain.agentUrl(nodeId), account.twinId ?? 0, account.signer);

/** Sign as the owner if the document still needs it, check it, ask the node, create the
 * contract, send the document to the node, and wait for its confirmation. If the node refuses
 * after all, the contract just created is cancelled so nothing is left behind. */
export async function deploy(
  chain: Chain,
  account: Account,
  nodeId: number,
  unsigned: Deployment,
  step: Step,
): Promise<{ contractId: number; status: DeploymentStatus }> {
  if (!account.twinId) throw new DeploymentError('NoTwin', 'create your twin on the Account page first');
  step('check', 'running', 'Checking the document and its signatures');
  validate(unsigned);
  const doc = await withMySignature({ ...unsigned, contract_id: 0 }, account);
  const signers = verifySignatures(doc, await accountsOn(chain, twinsOf(doc)));
  const signedBy = `twin${signers.signers.length > 1 ? 's' : ''} ${signers.signers.join(', ')}`;
  step('check', 'done', `Hash ${u8aToHex(deploymentHash(doc))}, signed by ${signedBy}`);
  const agent = await agentOf(chain, account, nodeId);
  await preflight(agent, doc, nodeId, false, step);

  step('encrypt', 'running', 'Encrypting the document to your key');
  const { hash, data } = await seal(chain, doc);
  step('encrypt', 'done', `Encrypted: ${data.length} of 8192 bytes`);

  step('contract', 'running', 'Creating the contract on chain');
  // The contract declares what the document reserves (SPEC §4.5): the node bills no more.
  const reserved = capacity(doc);
  const progress = (s: string) => step('contract', 'running', `Creating the contract on chain: ${s}`);
  const created = await chain
    .createNodeContract(account.tx, nodeId, hash, data, reserved.public_ips, reserved, progress)
    .catch((e: Error) => { step('contract', 'failed', `The chain refused: ${e.message}`); throw e; });
  const ips = created.publicIps.length ? `, public IPs ${created.publicIps.map((i) => i.ip).join(', ')}` : '';
  step('contract', 'done', `Contract ${created.contractId} created${ips}`);

  step('agent', 'running', `Sending the document to node ${nodeId}`);
  let status: DeploymentStatus;
  try {
    status = accepted(await agent.deploy({ ...doc, contract_id: created.contractId }));
  } catch (e) {
    step('agent', 'failed', `The node refused: ${refusalText(e)}`);
    step('cancel', 'running', `Cancelling contract ${created.contractId}`);
    await chain.cancelContract(account.tx, created.contractId)
      .catch((c: Error) => {
        step(
          'cancel',
          'failed',
          `Contract ${created.contractId} could not be cancelled: ${c.message}. Cancel it on the My contracts page.`,
        );
        throw c;
      });
    step('cancel', 'done', `Contract ${created.contractId} cancelled: nothing is left behind`);
    throw e;
  }
  const states = status.workloads.map((w) => `${w.name} ${w.state}`).join(', ');
  step('agent', 'done', `Node ${nodeId} accepted it: ${states}`);

  step('deployed', 'running', 'Waiting for the node to confirm on chain');
  await waitDeployed(chain, created.contractId, null);
  step('deployed', 'done', `Deployed: node ${nodeId} confirmed contract ${created.contractId} on chain`);
  return { contractId: created.contractId, status };
}

/** The chain took a new version that the node did not: what the contract holds, what the node
 * said, and what it still runs. The page offers to put back what the node runs. */
export class Stranded extends Error {
  constructor(
    readonly contractId: number,
    readonly nodeId: number,
    readonly heldVersion: number,
    readonly refusal: string,
    readonly runningVersion: number,
  ) {
    super(`Contract ${contractId} now holds version ${heldVersion} of its deployment, `
      + `which node ${nodeId} refused: ${refusal}. `
      + `The node still runs version ${runningVersion}.`);
    this.name = 'Stranded';
  }
}

/** An update (§9.1 versions, §9.4 old and new requirement) on chain and on the node, from
 * `running`, the document the node runs (see {@link runningDeployment}): `edited` keeps the
 * co-signers' signatures it carries, and gets the account's if a requirement asks it. The node is
 * asked first; if it refuses after the chain took the new version, this throws {@link Stranded}. */
export async function update(
  chain: Chain,
  account: Account,
  contractId: number,
  running: Deployment,
  edited: Deployment,
  step: Step,
): Promise<DeploymentStatus> {
  if (!account.twinId) throw new DeploymentError('NoTwin', 'create your twin on the Account page first');
  const contract = await chain.contract(contractId);
  if (!contract?.nodeId) {
    throw new DeploymentError('NotANodeContract', `contract ${contractId} is not a live node contract`);
  }
  const nodeId = contract.nodeId;
  step('check', 'running', 'Checking the new version');
  const next = await withMySignature({ ...edited, contract_id: contractId }, account, [edited, running]);
  validate(next);
  if (next.version !== running.version + 1) {
    throw new DeploymentError(
      'VersionNotNext',
      `version is ${next.version}: node ${nodeId} runs version ${running.version}, `
        + `so an update must be version ${running.version + 1}`,
    );
  }
  verifyUpdate(running, next, await accountsOn(chain, [...twinsOf(next), ...twinsOf(running)]));
  step('check', 'done', `Version ${next.version}, hash ${u8aToHex(deploymentHash(next))}`);
  const agent = await agentOf(chain, account, nodeId);
  await preflight(agent, next, nodeId, true, step);
  const { hash, data } = await seal(chain, next);
  step('contract', 'running', 'Updating the contract on chain');
  const progress = (s: string) => step('contract', 'running', `Updating the contract on chain: ${s}`);
  await chain.updateNodeContract(account.tx, contractId, hash, data, capacity(next), progress)
    .catch((e: Error) => { step('contract', 'failed', `The chain refused: ${e.message}`); throw e; });
  const version = (await chain.contract(contractId))?.version ?? null;
  step('contract', 'done', `Contract ${contractId} holds version ${next.version} of the deployment`);
  step('agent', 'running', `Sending version ${next.version} to node ${nodeId}`);
  let status: DeploymentStatus;
  try {
    status = accepted(await agent.update(next));
  } catch (e) {
    step('agent', 'failed', `Node ${nodeId} refused version ${next.version}: ${refusalText(e)}`);
    throw new Stranded(contractId, nodeId, next.version, refusalText(e), running.version);
  }
  step('agent', 'done', `Node ${nodeId} accepted it`);
  step('deployed', 'running', 'Waiting for the node to confirm on chain');
  await waitDeployed(chain, contractId, version);
  step('deployed', 'done', `Deployed: node ${nodeId} runs version ${next.version}`);
  return status;
}

/** What the node runs for a contract, checked (`updates.ts` {@link checkRunning}: this contract,
 * its owner, signatures that verify), and whether the chain holds its hash. */
export async function runningDeployment(
  chain: Chain,
  account: Account,
  contractId: number,
): Promise<{ doc: Deployment; contract: ContractView; matchesChain: boolean }> {
  const contract = await chain.contract(contractId);
  if (!contract?.nodeId || !contract.deploymentHash) {
    throw new DeploymentError('NotANodeContract', `contract ${contractId} is not a live node contract`);
  }
  if (!account.twinId) throw new DeploymentError('NoTwin', 'create your twin on the Account page first');
  const status = await (await agentOf(chain, account, contract.nodeId)).status(contractId);
  const doc = documentOf(status.deployment);
  checkRunning(doc, { contractId, twinId: contract.twinId }, await accountsOn(chain, twinsOf(doc)));
  return { doc, contract, matchesChain: hashHex(doc) === contract.deploymentHash };
}

/** Put back what the node runs: read it (checked), and update the contract to it as the next
 * version. Co-signers, if its requirement needs them, sign through a link instead (the page). */
export async function putBack(
  chain: Chain,
  account: Account,
  contractId: number,
  step: Step,
): Promise<DeploymentStatus> {
  step('read', 'running', 'Reading what the node runs');
  const { doc: running } = await runningDeployment(chain, account, contractId)
    .catch((e: Error) => { step('read', 'failed', `The node's document could not be read: ${e.message}`); throw e; });
  await onlyThePrevious(chain, account, contractId, running)
    .catch((e: Error) => { step('read', 'failed', e.message); throw e; });
  step('read', 'done', `The node runs version ${running.version}`);
  return update(chain, account, contractId, running, recoveryDocument(running), step);
}

/** A node could hand back an older version its signers once signed: what it runs is put back
 * only if it is the version right before the chain's (when this account can read the chain's). */
async function onlyThePrevious(chain: Chain, account: Account, contractId: number, running: Deployment): Promise<void> {
  if (!account.ageKey) return;
  const onChain = await readDeployment(chain, account, contractId);
  if (onChain.version !== running.version + 1) {
    throw new DeploymentError(
      'RunningNotPrevious',
      `the contract holds version ${onChain.version} and its node says it runs version ${running.version}: `
        + "only the version right before the chain's can be put back",
    );
  }
}

/** A contract's deployment read from the chain alone: decrypted, and its hash checked. */
export async function readDeployment(chain: Chain, account: Account, contractId: number): Promise<Deployment> {
  const c = await chain.contract(contractId);
  if (!c?.deploymentData || !c.deploymentHash) {
    throw new DeploymentError('NotANodeContract', `contract ${contractId} is not a live node contract`);
  }
  if (!account.ageKey) {
    throw new DeploymentError(
      'NoIdentity',
      'your encryption identity is not loaded: restore it on the Account page (paste it, or load the file you saved)',
    );
  }
  const doc = await decryptDeployment(c.deploymentData, account.ageKey.identity);
  const computed = u8aToHex(deploymentHash(doc));
  if (computed !== c.deploymentHash) {
    throw new DeploymentError(
      'HashMismatch',
      `the decrypted deployment hashes to ${computed}, the contract says ${c.deploymentHash}`,
    );
  }
  return { ...doc, contract_id: contractId };
}
