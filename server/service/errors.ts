/**
 * What the service answers instead of a value: an API error code (lib/contract/api.ts) and one
 * line for people. The HTTP layer turns it into the status and body; the CLI prints it.
 */
import type { ErrorCode as ApiErrorCode, FieldError } from '../../lib/contract/api';
import type { DomainError } from '../domain';

export interface ServiceError {
  readonly code: ApiErrorCode;
  readonly message: string;
  readonly fields?: readonly FieldError[];
  /** Policy advice explaining a refusal, when a policy decided it. */
  readonly advice?: readonly string[];
}

export type ServiceResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ServiceError };

export const done = <T>(value: T): ServiceResult<T> => ({ ok: true, value });

export function refuse<T = never>(
  code: ApiErrorCode,
  message: string,
  extra: Pick<ServiceError, 'fields' | 'advice'> = {},
): ServiceResult<T> {
  return { ok: false, error: { code, message, ...extra } };
}

/** A field-level 400, named the way zod validation names fields. */
export function invalidField<T = never>(path: string, message: string): ServiceResult<T> {
  return refuse('invalid_request', message, { fields: [{ path, message }] });
}

/** Domain refusals as API errors: who may not (403), what may not happen now (409), bad input (400). */
export function fromDomain<T = never>(error: DomainError): ServiceResult<T> {
  switch (error.code) {
    case 'self-approval':
    case 'not-an-approver':
    case 'not-requester':
      return refuse('forbidden', error.message);
    case 'invalid-input':
      return refuse('invalid_request', error.message);
    default:
      return refuse('conflict', error.message);
  }
}
