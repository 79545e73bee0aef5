import { DURATION_CHOICES } from '@/lib/contract/constants';

export const DURATION_LABEL: Record<number, string> = { 15: '15 min', 60: '1 h', 240: '4 h', 480: '8 h' };

export const durationLabel = (minutes: number): string => DURATION_LABEL[minutes] ?? `${minutes} min`;

export function DurationPicker(props: {
  id: string;
  value: number;
  disabled?: boolean;
  onChange: (minutes: number) => void;
}) {
  return (
    <div class="field duration">
      <label for={props.id}>Duration</label>
      <select
        id={props.id}
        value={String(props.value)}
        disabled={props.disabled}
        onChange={(e) => props.onChange(Number(e.currentTarget.value))}
      >
        {DURATION_CHOICES.map((m) => (
          <option key={m} value={String(m)}>
            {durationLabel(m)}
          </option>
        ))}
      </select>
    </div>
  );
}
