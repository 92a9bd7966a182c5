/**
 * The run's side of adaptive series (series.ts decides): each member that ends makes the next one,
 * which is added to the manifest (with how its load was decided) before it is queued; each series
 * that ends has its outcome written to the manifest's `series` and series.json and told on stderr.
 * After --resume, a series whose members completed earlier is replayed from their results, so the
 * run goes on from its first member not completed, with the same ids.
 */
import path from 'node:path'
import type { Experiment } from '../plan/plan.js'
import { writeFileAtomic } from '../results/atomic-write.js'
import { redactSecrets } from '../results/redact.js'
import type { AggregatedResult, Manifest } from '../results/schema.js'
import type { RunStore } from '../results/store.js'
import { InputError } from '../errors.js'
import { describeOutcome, SeriesTracker, type SeriesOutcome } from './series.js'

export function manifestEntry(x: Experiment): Manifest['experiments'][number] {
  return {
    id: x.id, name: x.name, task_hash: x.task_hash, bench: x.bench.full_name, bench_file: x.bench.file, bench_location: x.bench.location,
    ...(x.bench.from_flags ? { bench_from_flags: true as const } : {}), repeat_index: x.repeat_index, mode: x.mode,
    effective_config: redactSecrets(x.config as unknown as Record<string, unknown>),
    ...(x.series ? { series: x.series } : {}),
  }
}

/** Slurm runs a fixed array of tasks: a series' members are made as it runs, so it needs the local executor. */
export function refuseSeriesOnSlurm(xs: Experiment[]): void {
  const x = xs.find((e) => e.series && e.mode === 'run')
  if (x) throw new InputError('CONFIG_INVALID', `${x.bench.location}: ${x.bench.full_name}: load.profile '${x.series!.kind === 'capacity-sweep' ? 'sweep' : 'slo-search'}' makes its experiments at run time, from the results of the ones before; the slurm executor submits a fixed set of tasks. Run it with executor 'local'`)
}

export class SeriesRunner {
  private tracker = new SeriesTracker()
  private queued = new Map<string, Experiment>()
  readonly outcomes: SeriesOutcome[] = []

  constructor(
    private readonly store: RunStore,
    private readonly manifest: Manifest,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * --resume: for each planned series whose first member is done, feed the earlier results of its
   * members in order; returns the members to run (the first not completed of each series).
   */
  async resume(planned: Experiment[], done: Set<string>, prior: AggregatedResult[]): Promise<Experiment[]> {
    const byId = new Map(prior.map((r) => [r.experiment_id, r]))
    const toRun: Experiment[] = []
    for (const first of planned.filter((x) => x.series && x.mode === 'run' && done.has(x.id))) {
      let cur: Experiment | null = first
      while (cur) {
        const agg = byId.get(cur.id)
        if (!agg || agg.status !== 'completed' || agg.task_hash !== cur.task_hash) {
          toRun.push(cur)
          break
        }
        const { next, outcome } = this.tracker.next(cur, agg)
        if (outcome) await this.ended(outcome)
        if (next) this.addToManifest(next)
        cur = next
      }
    }
    await this.store.writeManifest(this.manifest)
    return toRun
  }

  /** after member `x` ended with `agg`: its next member is made and recorded, or the series' outcome */
  async memberEnded(x: Experiment, agg: AggregatedResult): Promise<void> {
    // an interrupted member decides nothing: the series stops where it is, and --resume goes on from it
    // (a next member made from it would be recorded in the manifest, never run, with no result)
    if (!x.series || agg.status === 'interrupted') return
    const { next, outcome } = this.tracker.next(x, agg)
    if (next) {
      this.addToManifest(next)
      this.queued.set(x.id, next)
    }
    if (outcome) await this.ended(outcome)
    await this.store.writeManifest(this.manifest).catch(() => {})
  }

  /** the member made after `x`, for the executor's queue */
  follow(x: Experiment): Experiment[] {
    const next = this.queued.get(x.id)
    this.queued.delete(x.id)
    return next ? [next] : []
  }

  private addToManifest(x: Experiment): void {
    this.manifest.experiments = this.manifest.experiments.filter((e) => e.id !== x.id)
    this.manifest.experiments.push(manifestEntry(x))
  }

  private async ended(outcome: SeriesOutcome): Promise<void> {
    this.outcomes.push(outcome)
    this.manifest.series = [...(this.manifest.series ?? []).filter((s) => s.group !== outcome.group), outcome as unknown as Record<string, unknown>]
    await writeFileAtomic(path.join(this.store.runDir, 'series.json'), JSON.stringify(this.manifest.series, null, 2) + '\n').catch(() => {})
    this.log(describeOutcome(outcome))
  }
}
