/** Accessible tabs (arrow keys move between them, as the ARIA tabs pattern says). */
import { useRef } from 'preact/hooks';

export interface TabSpec {
  id: string;
  label: string;
}

export function SidebarTabs(props: {
  tabs: readonly TabSpec[];
  selected: string;
  onSelect: (id: string) => void;
}) {
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  function onKey(e: KeyboardEvent, i: number) {
    const n = props.tabs.length;
    let next: number | null = null;
    if (e.key === 'ArrowRight') next = (i + 1) % n;
    else if (e.key === 'ArrowLeft') next = (i - 1 + n) % n;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = n - 1;
    if (next === null) return;
    e.preventDefault();
    const tab = props.tabs[next];
    if (tab) props.onSelect(tab.id);
    refs.current[next]?.focus();
  }
  return (
    <div class="tabs" role="tablist">
      {props.tabs.map((t, i) => (
        <button
          key={t.id}
          type="button"
          role="tab"
          id={`tab-${t.id}`}
          aria-selected={t.id === props.selected}
          aria-controls={`panel-${t.id}`}
          tabIndex={t.id === props.selected ? 0 : -1}
          ref={(el) => {
            refs.current[i] = el;
          }}
          onClick={() => props.onSelect(t.id)}
          onKeyDown={(e) => onKey(e, i)}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}
