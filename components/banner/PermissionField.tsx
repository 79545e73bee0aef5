import { safeText } from '../safe-text';
import { TextField } from '../TextField';
import { ActionPicker } from './ActionPicker';
import type { ServiceActions } from './use-banner-queries';
import type { RequestFormState } from './use-request-form';
import type { Cloud } from '@/lib/contract/denial';

/**
 * The permission to request, asked for when the denial's message names none: a picker over the
 * service's actions when the page says which service it is, else a typed permission. Either way
 * the value is checked against the cloud's grammar when the request is sent.
 */
export function PermissionField(props: {
  id: string;
  cloud: Cloud;
  catalog: ServiceActions;
  form: RequestFormState;
}) {
  const { id, form, catalog } = props;
  const error = form.errors.permission;
  const describedBy = `${id}-hint${error ? ` ${id}-error` : ''}`;
  const listed = catalog.service && catalog.actions?.length ? catalog.service : null;
  return (
    <div class="perm-row">
      {listed ? (
        <ActionPicker
          id={id}
          cloud={props.cloud}
          service={listed}
          actions={catalog.actions!}
          value={form.permission}
          placeholder={form.placeholder}
          describedBy={describedBy}
          invalid={!!error}
          disabled={form.busy}
          onChange={form.setPermission}
        />
      ) : (
        <TextField
          id={id}
          label="Permission to request"
          value={form.permission}
          maxLength={256}
          placeholder={form.placeholder}
          describedBy={describedBy}
          invalid={!!error}
          disabled={form.busy}
          onInput={form.setPermission}
        />
      )}
      <p id={`${id}-hint`} class="hint">
        {listed
          ? `Pick one of the ${safeText(listed, 64)} actions (read-only first), or type one.`
          : 'Enter the permission you need.'}
      </p>
      {error && (
        <p id={`${id}-error`} class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
