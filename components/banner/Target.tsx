/**
 * Where the denial happened, in the card's one-line sentences: the resource and the account, from
 * page text, so everything goes through `safeText` and is shortened visually.
 */
import type { Cloud } from '@/lib/contract/denial';
import { shortResource } from '../describe';
import { safeText } from '../safe-text';

/** "prod (2222…)": the alias in full, the id visually shortened (the full id stays in the text). */
function AccountName(props: { cloud: Cloud; account: string; label?: string }) {
  const id = safeText(props.account, 80);
  const idClass = `trunc id id-${props.cloud}${props.label ? ' id-short' : ''}`;
  const idNode = (
    <span class={idClass} title={id}>
      {id}
    </span>
  );
  if (!props.label) return idNode;
  return (
    <span class="nowrap">
      <span class="bidi">{safeText(props.label, 64)}</span> ({idNode})
    </span>
  );
}

/** " on <resource> in <account>", " on <account>", or nothing when the text names neither. */
export function Target(props: {
  cloud: Cloud;
  resource: string | null;
  account: string | null;
  label?: string;
}) {
  const account = props.account ? (
    <AccountName cloud={props.cloud} account={props.account} label={props.label} />
  ) : null;
  const res = shortResource(props.resource, props.account);
  if (res) {
    const text = safeText(res, 80);
    return (
      <>
        {' on '}
        <span class="trunc res mono bidi" title={text}>
          {text}
        </span>
        {account && <> in {account}</>}
      </>
    );
  }
  return account ? <> on {account}</> : null;
}
