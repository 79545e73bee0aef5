import type { Denial } from '@/lib/contract/denial';
import { DENY_KIND_FACTS } from '@/lib/deny-kinds';
import { ActionsInline } from '../ActionList';
import { safeText } from '../safe-text';
import { Target } from './Target';

/**
 * A denial no just-in-time grant can lift (`requestable` is false: an explicit deny, a guardrail):
 * why, and who can change it, in place of the request form.
 */
export function GrantWillNotHelp(props: { denial: Denial; account: string | null; label?: string }) {
  const { denial } = props;
  const cloud = denial.cloud;
  return (
    <>
      <p class="headline">
        <strong>A grant will not help here.</strong>
      </p>
      <p class="why clamp">
        {denial.actions.length > 0 ? (
          <ActionsInline cloud={cloud} actions={denial.actions} />
        ) : (
          'This request'
        )}
        <Target cloud={cloud} resource={denial.resource} account={props.account} label={props.label} />:{' '}
        <span class="bidi">{safeText(denial.reason ?? DENY_KIND_FACTS[denial.denyKind].text, 300)}</span>
      </p>
      <p class="owner clamp">Who can change this: {DENY_KIND_FACTS[denial.denyKind].owner}</p>
    </>
  );
}
