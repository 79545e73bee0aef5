/**
 * A button that asks once more before doing something that cannot be undone ("Revoke now").
 * The question replaces the button in place; focus moves to the confirming button, and back to
 * the button on "Keep".
 */
import { useEffect, useRef, useState } from 'preact/hooks';

export function ConfirmButton(props: {
  label: string;
  question: string;
  confirmLabel: string;
  disabled?: boolean;
  onConfirm: () => void;
}) {
  const [asking, setAsking] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  /** "Keep" puts focus back on the button the question replaced. */
  const refocus = useRef(false);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
    else if (refocus.current) buttonRef.current?.focus();
    refocus.current = false;
  }, [asking]);
  if (!asking) {
    return (
      <button
        type="button"
        class="danger-outline"
        ref={buttonRef}
        disabled={props.disabled}
        onClick={() => setAsking(true)}
      >
        {props.label}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={props.question}>
      <span>{props.question}</span>
      <button
        type="button"
        class="danger"
        ref={confirmRef}
        disabled={props.disabled}
        onClick={() => {
          setAsking(false);
          props.onConfirm();
        }}
      >
        {props.confirmLabel}
      </button>
      <button
        type="button"
        onClick={() => {
          refocus.current = true;
          setAsking(false);
        }}
      >
        Keep
      </button>
    </span>
  );
}
