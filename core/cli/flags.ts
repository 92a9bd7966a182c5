/** The flags every command receives from cac (core/cli/main.ts): its own module, so command modules
 *  need not import main.ts, which loads them. */
export interface CommonFlags {
  config?: string
  reporter?: string | string[]
  outputFile?: string
  resultsDir?: string
  t?: string
  dryRun?: boolean
  bail?: number | boolean
  verbose?: boolean
  json?: boolean
  run?: string
  resume?: string | boolean
  gpus?: string | number
  maxParallel?: number
  /** bench: a baseline run to compare the new results against */
  compare?: string
  /** bench --compare and compare: metric=limit[,metric=limit...] (repeatable) */
  threshold?: string | string[]
  markdown?: boolean
  /** bench: 'local' or 'slurm' (its settings: --executor.partition ... or config `executor`) */
  executor?: string
  /** bench with the slurm executor: submit and exit */
  detach?: boolean
  task?: string
  /** bench and list: bench file globs (repeatable: each adds one; together they replace the config's include) */
  include?: string | string[]
  /** bench and list: <index>/<count> */
  shard?: string
}
