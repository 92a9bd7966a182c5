/**
 * Everything the report prints comes from the user (bench names, sweep values, error messages,
 * warnings that quote a path): all of it goes through here, so a `<` in a bench name is text and
 * never markup.
 */
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Safe in element content and in quoted attribute values alike. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c])
}

/** A number for an SVG coordinate: short, and never NaN/Infinity (which would break the path). */
export function coord(n: number): string {
  return Number.isFinite(n) ? String(Math.round(n * 10) / 10) : '0'
}
