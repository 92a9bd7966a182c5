/**
 * The results table: one row per experiment, sortable by clicking a column header. Cells carry
 * their raw number in `data-v`, so sorting compares 0.005 with 0.012 and not the formatted "5.00 mJ"
 * with "12.0 mJ"; cells with nothing measured carry `data-null` and sort last in either direction.
 */
import type { AggregatedResult } from 'llem/plugin'
import { formatSig } from '../console.js'
import type { ConfigValue } from '../varying-config.js'
import { escapeHtml } from './escape.js'

type Cell = number | string | null

export interface TableColumn {
  label: string
  /** how the column sorts: numerically or as text */
  type: 'num' | 'str'
  /** hover text explaining the column */
  title?: string
  value(r: AggregatedResult, i: number): Cell
  /** the cell's inner HTML; text by default */
  html?(v: Cell, r: AggregatedResult, i: number): string
}

const NONE = '—'

export function formatEnergyPerToken(j: number | null): string {
  if (j === null) return NONE
  return Math.abs(j) < 0.01 ? `${formatSig(j * 1000)} mJ` : `${formatSig(j)} J`
}

/** integers as they are (a concurrency of 8, 512 tokens); measurements to 3 significant digits */
function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : formatSig(v)
}

const num = (label: string, value: TableColumn['value'], title?: string): TableColumn => ({ label, type: 'num', value, title })

export function anchorFor(i: number): string {
  return `exp-${i}`
}

export function tableColumns(configKeys: string[], config: Array<Record<string, ConfigValue>>): TableColumn[] {
  const configColumns = configKeys.map<TableColumn>((key) => {
    const values = config.map((c) => c[key])
    const numeric = values.every((v) => v === null || typeof v === 'number')
    return { label: key, type: numeric ? 'num' : 'str', title: 'a configuration key that differs between experiments', value: (_r, i) => (values[i] === null ? null : numeric ? (values[i] as number) : String(values[i])) }
  })
  return [
    {
      label: 'Experiment',
      type: 'str',
      value: (r) => r.experiment_name,
      html: (_v, r, i) => `<a href="#${anchorFor(i)}">${escapeHtml(r.experiment_name)}</a>`,
    },
    { label: 'Bench', type: 'str', value: (r) => r.bench.full_name },
    ...configColumns,
    {
      label: 'Status',
      type: 'str',
      value: (r) => r.status,
      html: (_v, r) => `<span class="badge ${escapeHtml(r.status)}">${escapeHtml(r.status)}</span>`,
    },
    { ...num('J/token', (r) => r.avg_energy_per_token_j, 'energy per output token, headline window'), html: (v) => escapeHtml(formatEnergyPerToken(v as number | null)) },
    num('Energy (J)', (r) => r.total_energy_j),
    num('Avg power (W)', (r) => (r.total_energy_j !== null && (r.total_inference_time_sec ?? 0) > 0 ? r.total_energy_j / r.total_inference_time_sec! : null), 'energy divided by the measured duration'),
    num('Output tok/s', (r) => (r.status === 'completed' ? r.output_tokens_per_second : null)),
    num('TTFT p50 (ms)', (r) => r.latency_stats?.ttft_median_ms ?? null),
    num('TTFT p99 (ms)', (r) => r.latency_stats?.ttft_p99_ms ?? null),
    num('ITL p50 (ms)', (r) => r.latency_stats?.itl_median_ms ?? null, 'inter-token latency, first and last interval of each request dropped'),
    num('ITL p99 (ms)', (r) => r.latency_stats?.itl_p99_ms ?? null),
    num('E2E p50 (ms)', (r) => r.latency_stats?.e2e_median_ms ?? null),
    num('Output tokens', (r) => (r.status === 'completed' ? r.total_output_tokens : null)),
    { label: 'Energy method', type: 'str', value: (r) => (r.energy_method === 'none' ? null : `${r.energy_method.replace('_', ' ')} (${r.energy_confidence})`) },
    {
      ...num('Warnings', (r) => r.measurement_warnings.length + r.aggregation.warnings.length),
      html: (v, _r, i) => (v ? `<a class="warn-count" href="#${anchorFor(i)}">${v}</a>` : '0'),
    },
  ]
}

function cellHtml(col: TableColumn, r: AggregatedResult, i: number): string {
  const v = col.value(r, i)
  const inner = col.html ? col.html(v, r, i) : v === null ? NONE : escapeHtml(typeof v === 'number' ? formatNumber(v) : v)
  if (v === null) return `<td data-null="">${inner}</td>`
  return col.type === 'num' ? `<td class="num" data-v="${escapeHtml(v)}">${inner}</td>` : `<td>${inner}</td>`
}

export function resultsTable(results: AggregatedResult[], columns: TableColumn[]): string {
  const head = columns
    .map((c) => `<th scope="col" data-type="${c.type}"${c.type === 'num' ? ' class="num"' : ''}${c.title ? ` title="${escapeHtml(c.title)}"` : ''}><button type="button">${escapeHtml(c.label)}</button></th>`)
    .join('')
  const rows = results.map((r, i) => `<tr class="${escapeHtml(r.status)}" data-experiment-id="${escapeHtml(r.experiment_id)}">${columns.map((c) => cellHtml(c, r, i)).join('')}</tr>`)
  return `<div class="table-wrap"><table class="results sortable"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`
}
