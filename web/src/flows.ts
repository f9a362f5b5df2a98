// The user's flows that span the chain and a node's agent (SPEC §9.6): deploy and update.

import { u8aToHex } from '@polkadot/util';
import { type Deployment, DeploymentError, capacity, deploymentHash, hashHex, readDeployment as documentOf, sign, validate, verifySignatures, verifyUpdate } from './deployment';
import { AgentClient, AgentRefusal, type DeploymentStatus } from './grid/agent';
import type { Chain } from './grid/chain';
import { ageRecipientOf, encryptDeployment, decryptDeployment } from './identity';
import type { Account } from './session';

export type StepState = 'running' | 'done' | 'failed';
export type Step = (id: string, state: StepState, text: string) => void;

/** The twins a document names: its requests and its signers. */
export const twinsOf = (doc: Deployment) => [...doc.signature_requirement.requests.map((r) => r.twin_id), ...doc.signature_requirement.signatures.map((s) => s.twin_id)];

/** `doc` with the account's signature added, when one of `requirements` (the document's own, and
 * an update's previous one) names its twin and it has not signed yet. */
export async function withMySignature(doc: Deployment, account: Account, requirements: Deployment[] = [doc]): Promise<Deployment> {
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
  if (!owner.pk) throw new DeploymentError('NoEncryptionKey', `twin ${doc.twin_id} has no encryption key on chain: publish one on the Account page`);
  return { hash: deploymentHash(doc), data: await encryptDeployment(doc, [ageRecipientOf(owner.pk)]) };
}

async function waitDeployed(chain: Chain, contractId: number, version: number | null, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await chain.contract(contractId);
    if (!c) throw new DeploymentError('ContractGone', `contract ${contractId} no longer exists`);
    if (c.state === 'deployed' && (version === null || c.version === version)) return;
    if (Date.now() > deadline) throw new DeploymentError('NotConfirmed', `the node did not confirm contract ${contractId} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const failed = (s: DeploymentStatus) => s.workloads.find((w) => w.state === 'error');

/** Sign as the owner if the document still needs it, check it, create the contract, send the
 * document to the node, and wait for its confirmation. If the node refuses, the contract just
 * created is cancelled so nothing is left behind. */
export async function deploy(chain: Chain, account: Account, nodeId: number, unsigned: Deployment, step: Step): Promise<{ contractId: number; status: DeploymentStatus }> {
  if (!account.twinId) throw new DeploymentError('NoTwin', 'create your twin on the Account page first');
  step('check', 'running', 'Checking the document and its signatures');
  validate(unsigned);
  const doc = await withMySignature(unsigned, account);
  const signers = verifySignatures(doc, await accountsOn(chain, twinsOf(doc)));
  step('check', 'done', `Hash ${u8aToHex(deploymentHash(doc))}, signed by twin${signers.signers.length > 1 ? 's' : ''} ${signers.signers.join(', ')}`);

  step('encrypt', 'running', 'Encrypting the document to your key');
  const { hash, data } = await seal(chain, doc);
  step('encrypt', 'done', `Encrypted: ${data.length} of 8192 bytes`);

  step('contract', 'running', 'Creating the contract on chain');
  // The contract declares what the document reserves (SPEC §4.5): the node bills no more.
  const reserved = capacity(doc);
  const created = await chain.createNodeContract(account.tx, nodeId, hash, data, reserved.public_ips, reserved, (s) => step('contract', 'running', `Creating the contract on chain: ${s}`))
    .catch((e: Error) => { step('contract', 'failed', `The chain refused: ${e.message}`); throw e; });
  step('contract', 'done', `Contract ${created.contractId} created${created.publicIps.length ? `, public IPs ${created.publicIps.map((i) => i.ip).join(', ')}` : ''}`);

  const sent = { ...doc, contract_id: created.contractId };
  step('agent', 'running', `Sending the document to node ${nodeId}`);
  let status: DeploymentStatus;
  try {
    const agent = new AgentClient(await chain.agentUrl(nodeId), account.twinId, account.signer);
    status = await agent.deploy(sent);
    const bad = failed(status);
    if (bad) throw new AgentRefusal('WorkloadFailed', `workload ${bad.name}: ${bad.message}`);
  } catch (e) {
    const refusal = e instanceof AgentRefusal ? `${e.code}: ${e.message}` : (e as Error).message;
    step('agent', 'failed', `The node refused: ${refusal}`);
    step('cancel', 'running', `Cancelling contract ${created.contractId}`);
    await chain.cancelContract(account.tx, created.contractId);
    step('cancel', 'done', `Contract ${created.contractId} cancelled: nothing is left behind`);
    throw e;
  }
  step('agent', 'done', `Node ${nodeId} accepted it: ${status.workloads.map((w) => `${w.name} ${w.state}`).join(', ')}`);

  step('deployed', 'running', 'Waiting for the node to confirm on chain');
  await waitDeployed(chain, created.contractId, null);
  step('deployed', 'done', `Deployed: node ${nodeId} confirmed contract ${created.contractId} on chain`);
  return { contractId: created.contractId, status };
}

/** An update (§9.1 versions, §9.4 old and new requirement) on chain and on the node: `edited`
 * keeps the co-signers' signatures it carries, and gets the account's if a requirement asks it. */
export async function update(chain: Chain, account: Account, contractId: number, old: Deployment, edited: Deployment, step: Step): Promise<DeploymentStatus> {
  if (!account.twinId) throw new DeploymentError('NoTwin', 'create your twin on the Account page first');
  const contract = await chain.contract(contractId);
  if (!contract?.nodeId) throw new DeploymentError('NotANodeContract', `contract ${contractId} is not a live node contract`);
  step('check', 'running', 'Checking the new version');
  const next = await withMySignature({ ...edited, contract_id: contractId }, account, [edited, old]);
  validate(next);
  if (next.version !== old.version + 1) throw new DeploymentError('VersionNotNext', `version is ${next.version}: an update must be version ${old.version + 1}`);
  verifyUpdate(old, next, await accountsOn(chain, [...twinsOf(next), ...twinsOf(old)]));
  step('check', 'done', `Version ${next.version}, hash ${u8aToHex(deploymentHash(next))}`);
  const { hash, data } = await seal(chain, next);
  step('contract', 'running', 'Updating the contract on chain');
  await chain.updateNodeContract(account.tx, contractId, hash, data, capacity(next))
    .catch((e: Error) => { step('contract', 'failed', `The chain refused: ${e.message}`); throw e; });
  const version = (await chain.contract(contractId))?.version ?? null;
  step('contract', 'done', `Contract ${contractId} is at version ${version}`);
  step('agent', 'running', `Sending version ${next.version} to node ${contract.nodeId}`);
  const agent = new AgentClient(await chain.agentUrl(contract.nodeId), account.twinId, account.signer);
  const status = await agent.update(next);
  const bad = failed(status);
  if (bad) throw new AgentRefusal('WorkloadFailed', `workload ${bad.name}: ${bad.message}`);
  step('agent', 'done', `Node ${contract.nodeId} accepted it`);
  step('deployed', 'running', 'Waiting for the node to confirm on chain');
  await waitDeployed(chain, contractId, version);
  step('deployed', 'done', 'Deployed');
  return status;
}

/** A contract's deployment read from the chain alone: decrypted, and its hash checked. */
export async function readDeployment(chain: Chain, account: Account, contractId: number): Promise<Deployment> {
  const c = await chain.contract(contractId);
  if (!c?.deploymentData || !c.deploymentHash) throw new DeploymentError('NotANodeContract', `contract ${contractId} is not a live node contract`);
  if (!account.ageKey) throw new DeploymentError('NoIdentity', 'your encryption identity is not loaded: restore it on the Account page (paste it, or load the file you saved)');
  const doc = await decryptDeployment(c.deploymentData, account.ageKey.identity);
  const computed = u8aToHex(deploymentHash(doc));
  if (computed !== c.deploymentHash) throw new DeploymentError('HashMismatch', `the decrypted deployment hashes to ${computed}, the contract says ${c.deploymentHash}`);
  return { ...doc, contract_id: contractId };
}

/** The version a contract runs now, for checking an update of it: decrypted from the chain by its
 * owner, or asked of its node by a twin its requirement names (a co-signer cannot decrypt it);
 * either way its hash is the one on chain. */
export async function currentDeployment(chain: Chain, account: Account, contractId: number): Promise<Deployment> {
  const c = await chain.contract(contractId);
  if (!c?.nodeId || !c.deploymentHash) throw new DeploymentError('NotANodeContract', `contract ${contractId} is not a live node contract`);
  if (account.ageKey && account.twinId === c.twinId) return readDeployment(chain, account, contractId);
  if (!account.twinId) throw new DeploymentError('NoTwin', 'create your twin on the Account page first');
  const status = await new AgentClient(await chain.agentUrl(c.nodeId), account.twinId, account.signer).status(contractId);
  const doc = documentOf(status.deployment);
  if (hashHex(doc) !== c.deploymentHash) throw new DeploymentError('HashMismatch', `node ${c.nodeId}'s copy of contract ${contractId} hashes to ${hashHex(doc)}, the contract says ${c.deploymentHash}`);
  return { ...doc, contract_id: contractId };
}
