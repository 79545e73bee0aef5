/**
 * Azure phrase families (docs/denial-formats.md §3), one module per family: Resource Manager
 * (`AuthorizationFailed`, template preflight, `LinkedAuthorizationFailed`, deny assignments,
 * Azure Policy) in ./azure-arm.ts; Key Vault in ./azure-keyvault.ts; storage in ./azure-storage.ts;
 * Cosmos DB and Synapse in ./azure-dataplane.ts; Microsoft Entra ID and Microsoft Graph in
 * ./azure-entra.ts (§3.8); portal renderings in ./azure-portal.ts. No module assumes the public
 * cloud's hosts (§3.9).
 */
import type { Candidate } from './candidate';
import type { Doc } from './context';
import { parseArm } from './azure-arm';
import { parseDataPlanes } from './azure-dataplane';
import { parseEntra } from './azure-entra';
import { parseKeyVault } from './azure-keyvault';
import { parsePortal } from './azure-portal';
import { parseStorage } from './azure-storage';

export function parseAzure(doc: Doc, out: Candidate[]): void {
  parseArm(doc, out);
  parseKeyVault(doc, out);
  parseStorage(doc, out);
  parseDataPlanes(doc, out);
  parseEntra(doc, out);
  parsePortal(doc, out);
}
