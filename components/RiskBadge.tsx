import { RISK_DESCRIPTION, RISK_LABEL, type Risk } from '@/lib/risk';

export function RiskBadge({ risk }: { risk: Risk }) {
  return (
    <span class={`risk risk-${risk}`} title={RISK_DESCRIPTION[risk]} aria-label={`Risk: ${RISK_LABEL[risk]}`}>
      {RISK_LABEL[risk]}
    </span>
  );
}
