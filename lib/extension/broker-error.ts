/**
 * A failed broker call. API errors keep the broker's `code`, `message`, `fields` and `advice`; a
 * network failure or timeout is `unreachable`; an answer the contract does not describe is
 * `invalid_response`. No message ever contains the token.
 */
import { ApiError, ERROR_STATUS, type ErrorCode, type FieldError } from '../contract/api';

export type BrokerErrorCode =
  | ErrorCode
  /** Network failure, timeout, refused redirect: the broker did not answer. */
  | 'unreachable'
  /** The broker answered something the contract does not describe. */
  | 'invalid_response'
  /** No API token is configured. */
  | 'not_signed_in';

export class BrokerError extends Error {
  override readonly name = 'BrokerError';
  constructor(
    readonly code: BrokerErrorCode,
    message: string,
    readonly fields: readonly FieldError[] = [],
    readonly advice: readonly string[] = [],
    /** HTTP status, when the broker answered. */
    readonly status?: number,
  ) {
    super(message);
  }

  /** Worth asking again later (network, overload, a broker-side failure). */
  get retryable(): boolean {
    return (
      this.code === 'unreachable' ||
      this.code === 'rate_limited' ||
      this.code === 'internal' ||
      this.code === 'invalid_response'
    );
  }
}

const STATUS_CODE: Record<number, ErrorCode> = Object.fromEntries(
  Object.entries(ERROR_STATUS).map(([code, status]) => [status, code as ErrorCode]),
);

function codeForStatus(status: number): BrokerErrorCode {
  return STATUS_CODE[status] ?? (status >= 500 ? 'internal' : 'invalid_response');
}

/** A refusal (not 2xx): the broker's own error body, else its HTTP status. */
export function refusal(status: number, json: unknown): BrokerError {
  const err = ApiError.safeParse(json);
  if (err.success) {
    const { code, message, fields, advice } = err.data.error;
    return new BrokerError(code, message, fields ?? [], advice ?? [], status);
  }
  return new BrokerError(codeForStatus(status), `the broker answered HTTP ${status}`, [], [], status);
}

/** The broker did not answer (network failure, refused redirect, or no answer in time). */
export function unreachable(e: unknown, timedOut: boolean): BrokerError {
  if (timedOut) return new BrokerError('unreachable', 'the broker did not answer in time');
  const detail = e instanceof Error ? e.message : String(e);
  return new BrokerError('unreachable', `could not reach the broker (${detail.slice(0, 200)})`);
}

export function notSignedIn(): BrokerError {
  return new BrokerError('not_signed_in', 'no API token: set one in the Unblock options');
}
