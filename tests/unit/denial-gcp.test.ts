/**
 * Focused tests for the GCP phrase families (docs/denial-formats.md §4): permissions keep the case
 * the text gives, the wordings the parser used to miss, and the refusals no IAM grant can fix.
 * Texts use the guide's placeholder values (my-project, alice@example.com) unless a test says
 * otherwise.
 */
import { describe, expect, it } from 'vitest';
import { CLOUD_FACTS } from '../../lib/clouds';
import { isValidAction } from '../../lib/contract/request';
import { mayContainDenial, parseDenials } from '../../lib/denial';
import type { Denial } from '../../lib/denial';
import { actionRisk } from '../../lib/risk';
import { chooseRoles, isPermission } from '../../server/clouds/gcp/roles';
import { PREDEFINED_ROLES } from '../../sim/clouds/gcp/catalogue';

function one(text: string, hints?: Parameters<typeof parseDenials>[1]): Denial {
  const ds = parseDenials(text, hints);
  expect(ds, JSON.stringify(ds)).toHaveLength(1);
  expect(mayContainDenial(text)).toBe(true);
  return ds[0] as Denial;
}

function core(d: Denial): Partial<Denial> {
  const { cloud, actions, resource, principal, account, denyKind, requestable } = d;
  return { cloud, actions, resource, principal, account, denyKind, requestable };
}

describe('GCP permissions keep their case', () => {
  it.each([
    [
      "Permission 'iam.serviceAccounts.actAs' denied on resource 'projects/my-project/serviceAccounts/sa@my-project.iam.gserviceaccount.com' (or it may not exist).",
      'iam.serviceAccounts.actAs',
    ],
    [
      "googleapi: Error 403: Required 'storage.buckets.getIamPolicy' permission for 'projects/_/buckets/b1', forbidden",
      'storage.buckets.getIamPolicy',
    ],
    [
      'Access Denied: Project my-project: User does not have bigquery.jobs.listAll permission in project my-project.',
      'bigquery.jobs.listAll',
    ],
    [
      'alice@example.com does not have storage.objects.getIamPolicy access to the Google Cloud Storage object.',
      'storage.objects.getIamPolicy',
    ],
    [
      'Permission iam.serviceAccountKeys.create is required to perform this operation on service account sa@my-project.iam.gserviceaccount.com.',
      'iam.serviceAccountKeys.create',
    ],
    [
      'The principal (user or service account) lacks IAM permission "cloudbuild.builds.create" for the resource "projects/my-project"',
      'cloudbuild.builds.create',
    ],
    [
      'You need the storage.buckets.getIamPolicy permission to view this bucket.',
      'storage.buckets.getIamPolicy',
    ],
  ])('keeps the case of %s', (text, action) => {
    expect(one(text).actions).toEqual([action]);
  });

  it('keeps the case in structured ErrorInfo, console panels and troubleshooter URLs', () => {
    const json = JSON.stringify({
      error: {
        code: 403,
        message: 'The caller does not have permission',
        status: 'PERMISSION_DENIED',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'IAM_PERMISSION_DENIED',
            metadata: {
              permission: 'resourcemanager.projects.getIamPolicy',
              resource: 'projects/my-project',
            },
          },
        ],
      },
    });
    expect(one(json).actions).toEqual(['resourcemanager.projects.getIamPolicy']);
    expect(
      one(
        'You need additional access to the project:  my-project\nMissing permissions:\n  compute.instances.setMetadata\n  iam.serviceAccounts.actAs\n',
      ).actions,
    ).toEqual(['compute.instances.setMetadata', 'iam.serviceAccounts.actAs']);
    expect(
      one(
        'console.cloud.google.com/iam-admin/troubleshooter;permissions=iam.serviceAccounts.getAccessToken;principal=alice@example.com;resources=projects%2Fmy-project/result',
      ).actions,
    ).toEqual(['iam.serviceAccounts.getAccessToken']);
  });

  it('drops only the service qualifier of IAM v2 permissions', () => {
    expect(one("Permission 'iam.googleapis.com/denypolicies.create' denied on resource 'x'").actions).toEqual(
      ['iam.denypolicies.create'],
    );
    expect(one('Permission run.googleapis.com/services.getIamPolicy denied on resource x').actions).toEqual([
      'run.services.getIamPolicy',
    ]);
  });

  it('does not invent a case where the text writes a permission in another one', () => {
    // Firebase writes ActAs, Cloud Run serviceaccounts: kept as written, not corrected.
    expect(
      one(
        'Error: Missing permissions required for functions deploy. You must have permission iam.serviceAccounts.ActAs on service account my-project@appspot.gserviceaccount.com.',
      ).actions,
    ).toEqual(['iam.serviceAccounts.ActAs']);
    expect(
      one(
        "Permission 'iam.serviceaccounts.actAs' denied on service account 123-compute@developer.gserviceaccount.com (or it may not exist).",
      ).actions,
    ).toEqual(['iam.serviceaccounts.actAs']);
  });

  it('gives actions the broker accepts and the risk table classifies', () => {
    const d = one(
      "Permission 'iam.serviceAccounts.actAs' denied on service account sa@my-project.iam.gserviceaccount.com (or it may not exist).",
    );
    for (const a of d.actions) {
      expect(isValidAction('gcp', a)).toBe(true);
      expect(CLOUD_FACTS.gcp.actionGrammar.test(a)).toBe(true);
    }
    expect(actionRisk('gcp', 'iam.serviceAccounts.actAs')).toBe(
      actionRisk('gcp', 'iam.serviceaccounts.actas'),
    );
    expect(actionRisk('gcp', 'storage.buckets.setIamPolicy')).toBe('admin');
  });

  it("lets the broker's exact role lookup find the parsed permission (a lower-cased one finds none)", () => {
    const d = one(
      "Permission 'iam.serviceAccounts.actAs' denied on service account sa@my-project.iam.gserviceaccount.com (or it may not exist).",
    );
    expect(d.actions.every(isPermission)).toBe(true);
    expect(chooseRoles(PREDEFINED_ROLES, d.actions).roles.map((r) => r.name)).toEqual([
      'roles/iam.serviceAccountUser',
    ]);
    expect(chooseRoles(PREDEFINED_ROLES, ['iam.serviceaccounts.actas']).missing).toEqual([
      'iam.serviceaccounts.actas',
    ]);
  });
});

describe('wordings the parser used to miss', () => {
  it('reads a quote broken from its permission by a wrap (gcloud run deploy)', () => {
    const d = one(
      "ERROR: (gcloud.run.deploy) User [alice@example.com] does not have permission to access namespace [my-project] (or it may not exist): Permission '\niam.serviceaccounts.actAs' denied on service account 123-compute@developer.gserviceaccount.com (or it may not exist).",
    );
    expect(core(d)).toEqual({
      cloud: 'gcp',
      actions: ['iam.serviceaccounts.actAs'],
      resource: '123-compute@developer.gserviceaccount.com',
      principal: 'alice@example.com',
      account: 'my-project',
      denyKind: 'gcp-iam',
      requestable: true,
    });
  });

  it('reads the principal gcloud says the command is authenticated as', () => {
    const d = one(
      "ERROR: (gcloud.run.deploy) PERMISSION_DENIED: Permission 'iam.serviceaccounts.actAs' denied on service account runner@my-project.iam.gserviceaccount.com (or it may not exist). This command is authenticated as deployer@my-project.iam.gserviceaccount.com using the credentials in /tmp/creds.json, specified by the [auth/credential_file_override] property.",
    );
    expect(d.principal).toBe('deployer@my-project.iam.gserviceaccount.com');
    expect(d.resource).toBe('runner@my-project.iam.gserviceaccount.com');
  });

  it('classifies an anonymous caller as a sign-in problem, not a grant', () => {
    const d = one(
      'Anonymous caller does not have storage.objects.get access to the Google Cloud Storage object.',
    );
    expect(core(d)).toEqual({
      cloud: 'gcp',
      actions: ['storage.objects.get'],
      resource: null,
      principal: null,
      account: null,
      denyKind: 'unknown',
      requestable: false,
    });
    expect(d.reason).toMatch(/credentials|sign in|authenticat/i);
  });

  it('merges the anonymous sentence with the Permission … denied sentence that follows it', () => {
    const d = one(
      "Anonymous caller does not have storage.objects.get access to the Google Cloud Storage object. Permission 'storage.objects.get' denied on resource (or it may not exist).",
    );
    expect(d.requestable).toBe(false);
    expect(d.actions).toEqual(['storage.objects.get']);
  });

  it('treats unauthenticated Artifact Registry requests like an anonymous caller', () => {
    const d = one(
      'denied: Unauthenticated request. Unauthenticated requests do not have permission "artifactregistry.repositories.uploadArtifacts" on resource "projects/my-project/locations/us-central1/repositories/repo" (or it may not exist)',
    );
    expect(core(d)).toMatchObject({
      actions: ['artifactregistry.repositories.uploadArtifacts'],
      resource: 'projects/my-project/locations/us-central1/repositories/repo',
      account: 'my-project',
      denyKind: 'unknown',
      requestable: false,
    });
  });

  it("says gcloud's 'does not have permission to access service [x:enable] (or it may not exist)' is ambiguous", () => {
    const d = one(
      "ERROR: (gcloud.services.enable) User [alice@example.com] does not have permission to access service [compute.googleapis.com:enable] (or it may not exist): Service 'compute.googleapis.com' not found or permission denied.",
    );
    expect(core(d)).toEqual({
      cloud: 'gcp',
      actions: [],
      resource: 'compute.googleapis.com',
      principal: 'alice@example.com',
      account: null,
      denyKind: 'gcp-iam',
      requestable: true,
    });
    expect(d.operation).toBe('enable');
    expect(d.confidence).toBe('low');
    expect(d.reason).toMatch(/may not exist/i);
  });

  it('reads "You do not have permission to access project [x] (or it may not exist)"', () => {
    const d = one(
      'ERROR: (gcloud.projects.describe) You do not have permission to access project [my-project] (or it may not exist): The caller does not have permission',
    );
    expect(core(d)).toMatchObject({ actions: [], resource: 'my-project', account: 'my-project' });
    expect(d.confidence).toBe('low');
    expect(d.reason).toMatch(/may not exist/i);
  });

  it('does not read a disabled service behind the same gcloud wording as a denial', () => {
    expect(
      parseDenials(
        "You do not have permission to access project [my-project] (or it may not exist): Service 'cloudbuild.googleapis.com' is not enabled for consumer 'project:my-project'.",
      ),
    ).toEqual([]);
  });

  it('reads "Permission denied to enable service [x]" and "Permission denied on resource project x"', () => {
    const svc = one(
      'ERROR: (gcloud.services.enable) PERMISSION_DENIED: Permission denied to enable service [sourcerepo.googleapis.com]',
    );
    expect(core(svc)).toMatchObject({
      actions: [],
      resource: 'sourcerepo.googleapis.com',
      denyKind: 'gcp-iam',
    });
    expect(svc.operation).toBe('enable');
    const project = one(
      'google.api_core.exceptions.PermissionDenied: 403 Permission denied on resource project my-project.',
    );
    expect(core(project)).toMatchObject({ actions: [], account: 'my-project', denyKind: 'gcp-iam' });
    expect(project.confidence).toBe('low');
  });

  it('takes an upper-case template project id for a placeholder, not a project', () => {
    expect(parseDenials('403 Permission denied on resource project YOUR-PROJECT-ID.')).toEqual([]);
  });

  it.each([
    [
      'You need permissions for this action. Required permission(s): resourcemanager.projects.setIamPolicy',
      ['resourcemanager.projects.setIamPolicy'],
    ],
    [
      'You need permissions for this action.\nRequired permission(s): compute.instances.start, compute.instances.stop',
      ['compute.instances.start', 'compute.instances.stop'],
    ],
  ])('reads the console tooltip %s', (text, actions) => {
    const d = one(text, { cloud: 'gcp', account: 'my-project' });
    expect(core(d)).toMatchObject({ cloud: 'gcp', actions, account: 'my-project', denyKind: 'gcp-iam' });
    expect(d.source).toBe('console');
  });

  it('names no action for a console panel that names no permission', () => {
    for (const text of [
      "You don't have permission to see this information",
      'You do not have sufficient permissions to view this page',
    ]) {
      const d = one(text, { cloud: 'gcp', account: 'my-project' });
      expect(core(d)).toMatchObject({ cloud: 'gcp', actions: [], account: 'my-project', requestable: true });
      expect(d.confidence).toBe('low');
    }
  });

  it('takes the project of a console panel from the text when it names one', () => {
    const d = one(
      "You don't have permission to see this information.\nhttps://console.cloud.google.com/iam-admin/iam?project=my-project",
    );
    expect(d.account).toBe('my-project');
  });

  it('does not take a lower-case tool name for a permission in the tooltip list', () => {
    // A tutorial's transcript writes "resource manager.projects…": no permission by that name.
    const d = one(
      'You need permissions for this action. Required permission(s): resource manager.projects.setIamPolicy',
    );
    expect(d.actions).toEqual([]);
  });

  it('reads the Python gRPC ErrorInfo printed as protobuf text', () => {
    const d = one(
      'google.api_core.exceptions.PermissionDenied: 403 Permission denied on resource (or it may not exist). [reason: "IAM_PERMISSION_DENIED"\ndomain: "iam.googleapis.com"\nmetadata {\n  key: "permission"\n  value: "logging.logEntries.create"\n}\n]',
    );
    expect(d.actions).toEqual(['logging.logEntries.create']);
  });

  it("reads gcloud's YAML ErrorInfo, whose spelling of the permission wins over the prose's", () => {
    const d = one(
      "ERROR: (gcloud.run.deploy) PERMISSION_DENIED: Permission 'iam.serviceaccounts.actAs' denied on service account sa@my-project.iam.gserviceaccount.com (or it may not exist).\n- '@type': type.googleapis.com/google.rpc.ErrorInfo\n  domain: iam.googleapis.com\n  metadata:\n    permission: iam.serviceAccounts.actAs\n    resource: projects/my-project/serviceAccounts/sa@my-project.iam.gserviceaccount.com\n  reason: IAM_PERMISSION_DENIED\n",
    );
    expect(core(d)).toMatchObject({
      actions: ['iam.serviceAccounts.actAs'],
      resource: 'projects/my-project/serviceAccounts/sa@my-project.iam.gserviceaccount.com',
      account: 'my-project',
    });
  });

  it('reads the GKE authorizer: requires one of ["…"] permission(s)', () => {
    const d = one(
      'Error from server (Forbidden): pods is forbidden: User "alice@example.com" cannot list resource "pods" in API group "" in the namespace "default": requires one of ["container.pods.list"] permission(s).',
    );
    expect(core(d)).toEqual({
      cloud: 'gcp',
      actions: ['container.pods.list'],
      resource: null,
      principal: 'alice@example.com',
      account: null,
      denyKind: 'gcp-iam',
      requestable: true,
    });
  });

  it.each([
    [
      'rpc error: code = PermissionDenied desc = Caller is missing IAM permission spanner.databases.list on resource projects/my-project/instances/i1.',
      'spanner.databases.list',
      'projects/my-project/instances/i1',
    ],
    [
      'io.grpc.StatusRuntimeException: PERMISSION_DENIED: Resource projects/my-project/instances/i1/databases/d1 is missing IAM permission: spanner.databases.get.',
      'spanner.databases.get',
      'projects/my-project/instances/i1/databases/d1',
    ],
    [
      'PERMISSION_DENIED: Access denied. Missing IAM permission: bigtable.tables.readRows.',
      'bigtable.tables.readRows',
      null,
    ],
  ])('reads the Spanner / Bigtable wording %s', (text, action, resource) => {
    const d = one(text);
    expect(d.actions).toEqual([action]);
    expect(d.resource).toBe(resource);
  });

  it('reads the Container Registry token exchange', () => {
    for (const text of [
      "denied: Token exchange failed for project 'my-project'. Caller does not have permission 'storage.buckets.get'. To configure permissions, follow instructions at: https://cloud.google.com/container-registry/docs/access-control",
      "denied: Token exchange failed for project 'my-project'. Caller does not have permission or the resource may not exist 'storage.buckets.get'. To configure permissions, follow instructions at: https://cloud.google.com/container-registry/docs/access-control",
    ]) {
      expect(core(one(text))).toMatchObject({ actions: ['storage.buckets.get'], account: 'my-project' });
    }
  });

  it('reads Cloud Storage wordings that name the object or a masked project', () => {
    const obj = one('Caller does not have storage.objects.get access to object my-bucket/test.txt.');
    expect(obj.resource).toBe('my-bucket/test.txt');
    const masked = one('Caller does not have storage.buckets.create access to project*********.');
    expect(masked.resource).toBeNull();
    expect(masked.account).toBeNull();
  });

  it('reads the Cloud Build bucket wording that names serviceusage.services.use', () => {
    const d = one(
      'ERROR: (gcloud.builds.submit) The user is forbidden from accessing the bucket [my-project_cloudbuild]. Please check your organization\'s policy or if the user has the "serviceusage.services.use" permission',
    );
    expect(core(d)).toMatchObject({
      actions: ['serviceusage.services.use'],
      resource: 'my-project_cloudbuild',
      denyKind: 'gcp-iam',
      requestable: true,
    });
    expect(d.confidence).toBe('medium');
  });

  it('reads "is required to perform this operation on project"', () => {
    const d = one(
      'googleapi: Error 403: Permission iam.serviceAccounts.create is required to perform this operation on project projects/my-project., forbidden',
    );
    expect(core(d)).toMatchObject({
      actions: ['iam.serviceAccounts.create'],
      resource: 'projects/my-project',
      account: 'my-project',
    });
  });

  it('reads Pub/Sub and Cloud SQL wordings that name no permission inside a GCP frame', () => {
    const pubsub = one('7 PERMISSION_DENIED: User not authorized to perform this action.');
    expect(core(pubsub)).toMatchObject({ cloud: 'gcp', actions: [], denyKind: 'gcp-iam' });
    expect(pubsub.confidence).toBe('low');
    const sql = one(
      'couldn\'t connect to "my-project:us-central1:db1": ensure that the account has access to "my-project:us-central1:db1" (and make sure there\'s no typo in that name). Error during createEphemeral for my-project:us-central1:db1: googleapi: Error 403: The client is not authorized to make this request., notAuthorized',
    );
    expect(core(sql)).toMatchObject({
      cloud: 'gcp',
      actions: [],
      resource: 'my-project:us-central1:db1',
      account: 'my-project',
    });
    // Outside a GCP frame the Pub/Sub sentence is ordinary English.
    expect(parseDenials('User not authorized to perform this action.')).toEqual([]);
  });
});

describe('refusals no IAM grant can fix', () => {
  it.each([
    [
      'ERROR: (gcloud.compute.instances.create) Could not fetch resource:\n - Constraint constraints/compute.vmExternalIpAccess violated for project 123456789. Add instance projects/my-project/zones/us-central1-f/instances/vm1 to the constraint to use external IP with it.',
      'constraints/compute.vmExternalIpAccess',
      '123456789',
    ],
    [
      "Error: Error creating instance: googleapi: Error 412: Constraint constraints/compute.requireShieldedVm violated for project projects/my-project. The boot disk's 'initialize_params.source_image' field specifies a non-Shielded image.",
      'constraints/compute.requireShieldedVm',
      'my-project',
    ],
  ])('classifies the organisation policy of %s', (text, policyId, account) => {
    const d = one(text);
    expect(core(d)).toMatchObject({ actions: [], denyKind: 'gcp-scope', requestable: false, account });
    expect(d.policyId).toBe(policyId);
    expect(d.reason).toMatch(/organisation policy/i);
  });

  it('reads a VPC Service Controls identifier on its own', () => {
    const d = one(
      '{"error":{"code":403,"message":"vpcServiceControlsUniqueIdentifier: abc123","status":"PERMISSION_DENIED"}}',
    );
    expect(core(d)).toMatchObject({ cloud: 'gcp', denyKind: 'gcp-scope', requestable: false });
  });

  it("classifies BigQuery's Drive-credentials refusal as a scope problem, with no AWS reading", () => {
    for (const text of [
      'google.api_core.exceptions.Forbidden: 403 Access Denied: BigQuery BigQuery: Permission denied while getting Drive credentials.',
      'Access Denied: BigQuery BigQuery: Permission denied while globbing file pattern',
    ]) {
      expect(core(one(text))).toMatchObject({
        cloud: 'gcp',
        actions: [],
        denyKind: 'gcp-scope',
        requestable: false,
      });
    }
  });

  it('offers no grant for insufficient OAuth scopes, even next to a named permission', () => {
    const d = one(
      'googleapi: Error 403: Request had insufficient authentication scopes.\nDetails:\n[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"ACCESS_TOKEN_SCOPE_INSUFFICIENT","metadata":{"method":"google.cloud.compute.v1.Instances.Get","service":"compute.googleapis.com"}}]',
    );
    expect(core(d)).toMatchObject({ denyKind: 'gcp-scope', requestable: false });
  });
});

describe('wordings found while collecting the corpus', () => {
  it('keeps two organisation-policy constraints of one message as two denials', () => {
    const ds = parseDenials(
      'Reason: conditionNotMet, Message: Constraint constraints/compute.requireShieldedVm violated for project projects/my-project.\nReason: conditionNotMet, Message: Constraint constraints/compute.vmExternalIpAccess violated for project 123456789.',
    );
    expect(ds.map((d) => [d.policyId, d.account])).toEqual([
      ['constraints/compute.requireShieldedVm', 'my-project'],
      ['constraints/compute.vmExternalIpAccess', '123456789'],
    ]);
  });

  it('drops the ")" a Markdown link leaves after a troubleshooter URL', () => {
    const d = one(
      '[access](https://console.cloud.google.com/iam-admin/troubleshooter;permissions=resourcemanager.projects.get;principal=alice@example.com;resources=%2F%2Fcloudresourcemanager.googleapis.com%2Fprojects%2Fmy-project)',
    );
    expect(d.resource).toBe('//cloudresourcemanager.googleapis.com/projects/my-project');
    expect(d.account).toBe('my-project');
  });

  it('reads the Kubernetes user of a GKE "Required … permission" and ignores a capitalised template', () => {
    const text = (user: string) =>
      `backendconfigs.cloud.google.com "b1" is forbidden: User "${user}" cannot get backendconfigs.cloud.google.com in the namespace "default": Required "container.backendConfigs.get" permission.`;
    expect(one(text('alice@example.com')).principal).toBe('alice@example.com');
    expect(one(text('USER@DOMAIN.COM')).principal).toBeNull();
  });

  it('reads the project of "Permission denied to list services for consumer container"', () => {
    const d = one(
      'googleapi: Error 403: Permission denied to list services for consumer container [projects/123456789012]',
    );
    expect(core(d)).toMatchObject({
      actions: [],
      resource: 'projects/123456789012',
      account: '123456789012',
    });
    expect(d.operation).toBe('list');
    expect(
      one('Permission denied to list services for consumer container [projects/###########]').resource,
    ).toBeNull();
  });

  it('reads the Firebase CLI project and permission-list wordings', () => {
    const missing = one(
      'Error: Failed to get Firebase project my-project. Please make sure the project exists and your account has permission to access it.',
    );
    expect(core(missing)).toMatchObject({ actions: [], account: 'my-project' });
    expect(missing.reason).toMatch(/may not exist/);
    const list = one(
      'Error: Authorization failed. This account is missing the following required permissions on project my-project:\n\n  firebase.projects.get\n  runtimeconfig.configs.get\n\nnext command',
    );
    expect(core(list)).toMatchObject({
      actions: ['firebase.projects.get', 'runtimeconfig.configs.get'],
      account: 'my-project',
    });
  });

  it("reads App Engine's application and ResourceInfo wordings", () => {
    const app = one(
      'ERROR: (gcloud.app.deploy) Permissions error fetching application [apps/my-project]. Please make sure that you have permission to view applications on the project',
    );
    expect(core(app)).toMatchObject({ actions: [], resource: 'apps/my-project', account: 'my-project' });
    expect(
      one('"description": "The \\"appengine.services.list\\" permission is required.",').actions,
    ).toEqual(['appengine.services.list']);
  });

  it('reads Dataflow and Dataproc "act as service account" refusals without inventing the permission', () => {
    for (const text of [
      'Workflow failed. Causes: Current user cannot act as service account 123-compute@developer.gserviceaccount.com.',
      "googleapi: Error 400: User not authorized to act as service account '123-compute@developer.gserviceaccount.com'. To act as a service account, user must have one of [Owner, Editor, Service Account Actor] roles.",
    ]) {
      expect(core(one(text))).toMatchObject({
        actions: [],
        resource: '123-compute@developer.gserviceaccount.com',
        denyKind: 'gcp-iam',
      });
    }
  });

  it("reads the Cloud Run front end's Forbidden page with a caution", () => {
    const d = one('Error: Forbidden\nYour client does not have permission to get URL / from this server.');
    expect(core(d)).toMatchObject({ cloud: 'gcp', actions: [], denyKind: 'gcp-iam', requestable: true });
    expect(d.confidence).toBe('low');
    expect(d.reason).toMatch(/identity token|invoker/);
  });

  it('takes the bucket of a Cloud Storage denial from the JSON API request before it', () => {
    const d = one(
      '403 GET https://storage.googleapis.com/storage/v1/b/my-bucket/o/dir%2Ffile.txt?alt=media: sa@my-project.iam.gserviceaccount.com does not have storage.objects.get access to the Google Cloud Storage object.',
    );
    expect(d.resource).toBe('my-bucket/dir/file.txt');
    expect(d.principal).toBe('sa@my-project.iam.gserviceaccount.com');
  });

  it('takes no account from a capitalised project segment or a request URL collection', () => {
    const d = one(
      "PERMISSION_DENIED: Request to https://compute.googleapis.com/compute/v1/projects/projects/SECRET?key failed, details: Required 'compute.projects.get' permission for 'projects/SECRET'",
    );
    expect(d.resource).toBe('projects/SECRET');
    expect(d.account).toBeNull();
  });
});
