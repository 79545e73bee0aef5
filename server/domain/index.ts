/** The broker's pure domain: request and grant records and their lifecycle. No I/O, no clock. */
export * from './types';
export * from './result';
export * from './lifecycle';
export * from './identity';
export * from './request';
export * from './follow-up';
export * from './grant';
export { LAST_ERROR_MAX, errorText } from './grant-step';
export { REDACTED, redactSecrets } from './redact';
export * from './provisioning';
export * from './revocation';
export * from './work';
