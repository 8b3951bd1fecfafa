// The product's vocabulary (codes, Korean labels, colours) comes from the server's one source,
// app/vocab.py and app/risk/levels.py, as the generated module /vocab.js. Only presentation lives here.
export * from '/vocab.js';

export const OUTLINE_DARK = '#263238'; // unvisited points and overdue rings
// Purple: none of the four risk colours, and a diamond, not a facility's square or a household's dot.
export const REPORT_COLOR = '#8E24AA';

/** Korean label of a code, or the code itself when unknown (never empty). */
export function label(table, code) {
  const entry = table[code];
  if (entry === undefined) return String(code);
  return typeof entry === 'string' ? entry : entry.label;
}
