/**
 * AWS's Query protocol, as STS and IAM speak it: a signed form POST (`Action`, `Version`, the
 * action's parameters) in, an XML `<ActionResponse>` or `<ErrorResponse>` out. One listener per
 * service; the service supplies the actions.
 */
import type http from 'node:http';
import { logRequest, resolveCaller, takeFault, type AwsState, type Caller } from './state';
import { AwsError, checkSignature, faultStatus, queryError, queryResponse, readBody } from './wire';

export interface QueryService {
  readonly service: 'sts' | 'iam';
  /** The XML namespace of the answers. */
  readonly ns: string;
  /** The API version the `Version` field must name. */
  readonly version: string;
  /** Region the signature must be scoped to. */
  readonly scopeRegion: string;
  /** The action's `<ActionResult>` body, or null for an action the service does not have. */
  handle(action: string, params: URLSearchParams, caller: Caller): string | null;
}

/** A Query-protocol service (STS, IAM): form in, XML out. */
export function queryListener(state: AwsState, api: QueryService): http.RequestListener {
  return (req, res) => {
    void (async () => {
      try {
        const body = await readBody(req);
        const p = new URLSearchParams(body);
        const action = p.get('Action') ?? '';
        let akid: string | null = null;
        try {
          akid = checkSignature(req, api.service, api.scopeRegion);
        } finally {
          logRequest(state, api.service, action, Object.fromEntries(p), akid);
        }
        if (req.method !== 'POST') throw new AwsError(405, 'InvalidAction', 'Use POST');
        const fault = takeFault(state, api.service, action);
        if (fault) throw new AwsError(faultStatus(fault.code), fault.code, `Injected ${fault.code}`);
        const tokenHeader = req.headers['x-amz-security-token'];
        const caller = resolveCaller(state, akid, typeof tokenHeader === 'string' ? tokenHeader : undefined);
        if (p.get('Version') !== api.version) {
          throw new AwsError(
            400,
            'InvalidAction',
            `Could not find operation ${action} for version ${p.get('Version')}`,
          );
        }
        const result = api.handle(action, p, caller);
        if (result === null) {
          throw new AwsError(
            400,
            'InvalidAction',
            `Could not find operation ${action} for version ${api.version}`,
          );
        }
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(queryResponse(api.ns, action, result));
      } catch (e) {
        const err = e instanceof AwsError ? e : new AwsError(500, 'InternalFailure', (e as Error).message);
        res.writeHead(err.status, { 'content-type': 'text/xml' });
        res.end(queryError(api.ns, err));
      }
    })();
  };
}
