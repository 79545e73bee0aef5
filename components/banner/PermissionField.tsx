import type { Denial } from '@/lib/contract/denial';
import { TextField } from '../TextField';
import type { RequestFormState } from './use-request-form';

/** The permission to request, asked for when the denial's message names none. */
export function PermissionField(props: { id: string; denial: Denial; form: RequestFormState }) {
  const { id, form } = props;
  const error = form.errors.permission;
  return (
    <div class="perm-row">
      <TextField
        id={id}
        label="Permission to request"
        value={form.permission}
        maxLength={256}
        placeholder={form.placeholder}
        describedBy={`${id}-hint${error ? ` ${id}-error` : ''}`}
        invalid={!!error}
        disabled={form.busy}
        onInput={form.setPermission}
      />
      <p id={`${id}-hint`} class="hint">
        {props.denial.encodedMessage
          ? 'Not named; the broker can decode the encoded message later.'
          : 'Not named in the message; enter the one you need.'}
      </p>
      {error && (
        <p id={`${id}-error`} class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
