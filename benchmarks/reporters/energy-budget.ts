/**
 * An example custom reporter (docs/plugins.md walks through it): an energy budget for CI. Each
 * experiment's J/token is checked against `maxJPerToken` from the reporter's options, one line per
 * experiment goes to the console, the verdicts go to a JSON file, and the run fails (exit 1) when an
 * experiment is over budget, because a hook that throws is how a reporter fails a run.
 *
 *   reporters: ['console', ['./benchmarks/reporters/energy-budget.ts', { maxJPerToken: 0.05 }]]
 */
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { AggregatedResult, Reporter, ReporterContext } from 'llem'

export interface EnergyBudgetOptions {
  /** the budget: joules per output token */
  maxJPerToken: number
  /** only gate on measured energy: an estimate (a CPU utilisation model) is reported, never failed */
  measuredOnly?: boolean
}

export type Verdict = 'within' | 'over' | 'no energy' | 'not gated (estimate)'

export interface BudgetRow {
  experiment: string
  j_per_token: number | null
  energy_method: AggregatedResult['energy_method']
  verdict: Verdict
}

export function verdict(result: AggregatedResult, opts: EnergyBudgetOptions): Verdict {
  const jpt = result.avg_energy_per_token_j
  if (result.status !== 'completed' || jpt === null) return 'no energy'
  if (opts.measuredOnly && result.energy_method === 'estimate') return 'not gated (estimate)'
  return jpt > opts.maxJPerToken ? 'over' : 'within'
}

export default function energyBudget(ctx: ReporterContext): Reporter {
  const opts = ctx.options as Partial<EnergyBudgetOptions>
  // wrong options are found when the reporter loads, before an hour of measuring, not after
  if (typeof opts.maxJPerToken !== 'number' || !(opts.maxJPerToken > 0))
    throw new Error(`energy-budget: options.maxJPerToken must be a positive number of joules per token, got ${JSON.stringify(opts.maxJPerToken)}`)
  const budget = { maxJPerToken: opts.maxJPerToken, measuredOnly: opts.measuredOnly ?? false }
  const file = ctx.outputFile ?? path.join(ctx.runDir, 'energy-budget.json')
  const rows: BudgetRow[] = []

  return {
    name: 'energy-budget',

    onExperimentEnd(experiment, result) {
      const row: BudgetRow = { experiment: experiment.name, j_per_token: result.avg_energy_per_token_j, energy_method: result.energy_method, verdict: verdict(result, budget) }
      rows.push(row)
      const value = row.j_per_token === null ? 'no J/token' : `${row.j_per_token.toPrecision(3)} J/token`
      ctx.stdout.write(`energy-budget: ${row.verdict === 'over' ? 'OVER' : 'ok  '} ${experiment.name}: ${value} (budget ${budget.maxJPerToken}; ${row.verdict})\n`)
    },

    async onRunEnd(summary) {
      await mkdir(path.dirname(file), { recursive: true })
      await writeFile(file, JSON.stringify({ run_id: summary.runId, budget_j_per_token: budget.maxJPerToken, experiments: rows }, null, 2) + '\n')
      const over = rows.filter((r) => r.verdict === 'over')
      // llem prints this with the reporter's name, keeps the other reporters' output, and exits 1
      if (over.length > 0) throw new Error(`${over.length} experiment(s) over ${budget.maxJPerToken} J/token: ${over.map((r) => r.experiment).join(', ')}`)
    },
  }
}
