/** Small DOM helpers shared by the panels. Text is always set as text, never as HTML. */

/** Return a new element with text content and optional attributes. */
export function element(tag, text = "", attributes = {}) {
  const node = document.createElement(tag);
  node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

/** Return a table row of cells, each a text or [text, className]. */
export function row(cells, attributes = {}) {
  const tr = element("tr", "", attributes);
  for (const cell of cells) {
    const [text, className] = Array.isArray(cell) ? cell : [cell, ""];
    const td = element("td", text ?? "—");
    if (className) td.className = className;
    tr.append(td);
  }
  return tr;
}

/** Format a UTC time of day (HH:MM:SS) from ms since the epoch. */
export function timeOfDay(ms) {
  return new Date(ms).toISOString().slice(11, 19);
}

/** Return the sign class of a decimal string, for colouring P&L. */
export function signClass(value) {
  if (value === null || value === undefined) return "";
  return value.startsWith("-") ? "negative" : Number(value) > 0 ? "positive" : "";
}
