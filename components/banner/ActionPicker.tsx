/**
 * "Permission to request" as a combobox (the ARIA 1.2 pattern: an editable input with a list
 * popup): the service's actions with their risk, read-only first, narrowed by what is typed. A
 * typed permission that is not in the list still counts (the form checks it against the cloud's
 * grammar). Keyboard: ↓/↑ move through the list, Enter picks, Escape closes the list (a second
 * Escape dismisses the card), Tab leaves.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Cloud } from '@/lib/contract/denial';
import { RiskBadge } from '../RiskBadge';
import { safeText } from '../safe-text';
import { rankActions, searchActions } from './action-search';

export interface ActionPickerProps {
  id: string;
  cloud: Cloud;
  /** The service the actions belong to, for the list's name (`s3`, `Microsoft.Compute`). */
  service: string;
  actions: readonly string[];
  value: string;
  placeholder: string;
  describedBy?: string;
  invalid?: boolean;
  disabled?: boolean;
  onChange: (value: string) => void;
}

export function ActionPicker(props: ActionPickerProps) {
  const { id } = props;
  const listId = `${id}-list`;
  const ranked = useMemo(() => rankActions(props.cloud, props.actions), [props.cloud, props.actions]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  // Once picked, the whole list is offered again (the value is one of them, not a filter).
  const [query, setQuery] = useState('');
  const { shown, total } = useMemo(() => searchActions(ranked, query), [ranked, query]);
  const expanded = open && shown.length > 0 && !props.disabled;
  const optionId = (i: number) => `${id}-opt-${i}`;
  const list = useRef<HTMLUListElement>(null);

  // The list scrolls; the option the arrows reached must be in view (aria-activedescendant does not scroll).
  useEffect(() => {
    if (expanded && active >= 0) list.current?.children[active]?.scrollIntoView?.({ block: 'nearest' });
  }, [expanded, active]);

  function pick(action: string) {
    props.onChange(action);
    setQuery('');
    setOpen(false);
    setActive(-1);
  }

  function onKeyDown(e: KeyboardEvent) {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (!expanded) {
        setOpen(true);
        setActive(e.key === 'ArrowDown' ? 0 : shown.length - 1);
        return;
      }
      const step = e.key === 'ArrowDown' ? 1 : -1;
      setActive((i) => Math.min(Math.max(i + step, 0), shown.length - 1));
    } else if (e.key === 'Enter' && expanded && shown[active]) {
      e.preventDefault();
      pick(shown[active].action);
    } else if (e.key === 'Escape' && expanded) {
      // Closing the list is this Escape's whole effect: the card stays.
      e.stopPropagation();
      setOpen(false);
      setActive(-1);
    }
  }

  const label = `Actions of ${safeText(props.service, 64)}`;
  return (
    <div class="field picker">
      <label for={id}>Permission to request</label>
      <input
        type="text"
        id={id}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={expanded}
        aria-controls={listId}
        aria-activedescendant={expanded && active >= 0 ? optionId(active) : undefined}
        value={props.value}
        maxLength={256}
        placeholder={props.placeholder}
        disabled={props.disabled}
        required
        spellcheck={false}
        autocomplete="off"
        aria-invalid={props.invalid ? true : undefined}
        aria-describedby={props.describedBy || undefined}
        onInput={(e) => {
          const value = e.currentTarget.value;
          props.onChange(value);
          setQuery(value);
          setOpen(true);
          setActive(-1);
        }}
        onClick={() => setOpen(!open)}
        onKeyDown={onKeyDown}
        onBlur={() => {
          setOpen(false);
          setActive(-1);
        }}
      />
      <ul
        ref={list}
        id={listId}
        role="listbox"
        aria-label={label}
        class="options"
        hidden={!expanded}
        // The input keeps focus while the list is used with the mouse (its scrollbar included), so
        // no blur closes the list before the click lands.
        onMouseDown={(e) => e.preventDefault()}
      >
        {expanded &&
          shown.map((entry, i) => (
            <li
              key={entry.action}
              id={optionId(i)}
              role="option"
              aria-selected={i === active}
              class={i === active ? 'option active' : 'option'}
              onClick={() => pick(entry.action)}
            >
              <code>{entry.action}</code>
              <RiskBadge risk={entry.risk} />
            </li>
          ))}
      </ul>
      {expanded && total > shown.length && (
        <p class="hint">{`${shown.length} of ${total} actions shown: type to narrow.`}</p>
      )}
    </div>
  );
}
