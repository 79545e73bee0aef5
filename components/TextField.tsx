/** A labelled text input or textarea with an inline error tied to it for screen readers. */
export function TextField(props: {
  id: string;
  label: string;
  value: string;
  multiline?: boolean;
  maxLength?: number;
  placeholder?: string;
  hint?: string;
  error?: string;
  disabled?: boolean;
  onInput: (value: string) => void;
}) {
  const errorId = `${props.id}-error`;
  const hintId = `${props.id}-hint`;
  const describedBy =
    [props.hint ? hintId : '', props.error ? errorId : ''].filter(Boolean).join(' ') || undefined;
  const common = {
    id: props.id,
    value: props.value,
    maxLength: props.maxLength,
    placeholder: props.placeholder,
    disabled: props.disabled,
    required: true,
    'aria-invalid': props.error ? true : undefined,
    'aria-describedby': describedBy,
    onInput: (e: Event) => props.onInput((e.currentTarget as HTMLInputElement | HTMLTextAreaElement).value),
  };
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.multiline ? (
        <textarea rows={2} {...common} />
      ) : (
        <input type="text" spellcheck={false} {...common} />
      )}
      {props.hint && (
        <span id={hintId} class="hint">
          {props.hint}
        </span>
      )}
      {props.error && (
        <span id={errorId} class="error" role="alert">
          {props.error}
        </span>
      )}
    </div>
  );
}
