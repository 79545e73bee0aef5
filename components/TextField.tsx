/**
 * A labelled single-line input. Its hint and inline error are rendered by the caller (below the
 * form row, so the row stays one line) and tied to the input with `describedBy`.
 */
export function TextField(props: {
  id: string;
  label: string;
  value: string;
  maxLength?: number;
  placeholder?: string;
  describedBy?: string;
  invalid?: boolean;
  disabled?: boolean;
  class?: string;
  onInput: (value: string) => void;
}) {
  return (
    <div class={`field ${props.class ?? ''}`}>
      <label for={props.id}>{props.label}</label>
      <input
        type="text"
        id={props.id}
        value={props.value}
        maxLength={props.maxLength}
        placeholder={props.placeholder}
        disabled={props.disabled}
        required
        spellcheck={false}
        autocomplete="off"
        aria-invalid={props.invalid ? true : undefined}
        aria-describedby={props.describedBy || undefined}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
    </div>
  );
}
