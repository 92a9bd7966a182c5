/** One section of docs/validation.md (scripts/validation.ts): a comparison run now, and its tables. */
export interface ValidationSection {
  /** the marker id and the name `npm run validation -- <id>` takes */
  id: string
  /** the section's heading */
  title: string
  run(): Promise<{ markdown: string; agree: boolean }>
}

/** A markdown table; cells are escaped for pipes and line breaks. */
export function table(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | boolean | null>>): string {
  const cell = (v: string | number | boolean | null) => (v === null ? '' : String(v)).replaceAll('|', '\\|').replaceAll('\n', ' ')
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n')
}

export const yes = (ok: boolean): string => (ok ? 'yes' : '**NO**')
