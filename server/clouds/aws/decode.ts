/**
 * Encoded denials (EC2 and others answer `Encoded authorization failure message`): STS
 * `DecodeAuthorizationMessage` in the target account, read back as the denied action and resource.
 */
import { DecodeAuthorizationMessageCommand } from '@aws-sdk/client-sts';
import type { Grant } from '../../domain';
import { ProvisionError, type DecodedDenial } from '../../provision/types';
import { readersFor } from './clients';
import { target, type AwsContext } from './context';
import { toProvisionError } from './errors';

/** The decoded document's parts the broker reads. */
interface AuthorizationMessage {
  allowed?: boolean;
  explicitDeny?: boolean;
  context?: { action?: string; resource?: string; principal?: { arn?: string } };
}

/** `Provisioner.decode`: what the encoded message says was denied. */
export async function decodeDenial(
  ctx: AwsContext,
  targetRef: Grant['target'],
  encodedMessage: string,
): Promise<DecodedDenial | null> {
  target(ctx, targetRef.account);
  // Line breaks copied with the message make AWS refuse it.
  const blob = encodedMessage.replace(/\s+/g, '');
  if (!blob) throw new ProvisionError('encodedMessage is empty', false);
  let decoded: string | undefined;
  try {
    const out = await readersFor(ctx, targetRef.account).sts.send(
      new DecodeAuthorizationMessageCommand({ EncodedMessage: blob }),
    );
    decoded = out.DecodedMessage;
  } catch (e) {
    const err = toProvisionError(e, 'DecodeAuthorizationMessage');
    if (err.code === 'InvalidAuthorizationMessageException') {
      throw new ProvisionError(
        'AWS could not decode the message: it is malformed or has expired (decode soon after the denial)',
        false,
        err.code,
      );
    }
    throw err;
  }
  let doc: AuthorizationMessage;
  try {
    doc = JSON.parse(decoded ?? '') as AuthorizationMessage;
  } catch {
    throw new ProvisionError('DecodeAuthorizationMessage answered with a message that is not JSON', false);
  }
  const resource = doc.context?.resource && doc.context.resource !== '*' ? doc.context.resource : null;
  let action = doc.context?.action ?? '';
  // EC2 sometimes names the action without its service prefix: take it from the resource ARN.
  if (action && !action.includes(':')) {
    const service = resource?.split(':')[2];
    if (service) action = `${service}:${action}`;
  }
  const who = doc.context?.principal?.arn ?? 'the caller';
  const summary = `${who} was denied ${action || 'an action'}${resource ? ` on ${resource}` : ''}${
    doc.explicitDeny ? ' by an explicit deny (not grantable)' : ''
  }`;
  return { actions: action ? [action] : [], resource, summary };
}
