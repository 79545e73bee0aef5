// Shared by the simulated consoles (the server inlines it next to window.SIM): what a call
// returns when it succeeds, as a table built from text only (never markup from the server).
// `heading` is the page's own heading element for the title, or null for none.
window.simContentTable = function simContentTable(content, name, heading) {
  const wrap = document.createElement('div');
  wrap.className = 'sim-content';
  wrap.setAttribute('data-sim-content', name);
  if (heading) {
    heading.textContent = content.title;
    wrap.appendChild(heading);
  }
  const table = document.createElement('table');
  const head = table.createTHead().insertRow();
  for (const c of content.columns) {
    const th = document.createElement('th');
    th.textContent = c;
    head.appendChild(th);
  }
  const body = table.createTBody();
  for (const r of content.rows) {
    const tr = body.insertRow();
    for (const v of r) tr.insertCell().textContent = v;
  }
  wrap.appendChild(table);
  return wrap;
};
