/**
 * Splitting argv: the CLI's own flags go to cac; any other `--key value` names a config option by its
 * dotted path (`--measurement.warmup.maxRequests 10`, `--repeat 3`) and becomes the CLI layer.
 * One list of CLI flags, typed, so the CLI and the config schema cannot drift apart silently.
 */
export const CLI_FLAGS = ['config', 'c', 'reporter', 'outputFile', 'output-file', 'results-dir', 'resultsDir', 't', 'dry-run', 'dryRun', 'bail', 'verbose', 'json', 'help', 'h', 'version', 'v', 'resume', 'gpus', 'max-parallel', 'maxParallel', 'run', 'compare', 'threshold', 'markdown', 'executor', 'detach', 'task', 'include', 'shard', 'force'] as const
const BOOLEAN_FLAGS = new Set(['dry-run', 'dryRun', 'verbose', 'json', 'markdown', 'detach', 'help', 'h', 'version', 'v', 'force'])
// `--resume` takes an optional run id: it is kept with the flag only when it looks like one
const OPTIONAL_VALUE = new Set(['resume', 'bail'])
const KNOWN = new Set<string>(CLI_FLAGS)

export interface SplitArgv {
  /** what cac parses */
  cli: string[]
  /** config option flags: dotted path -> raw value (true for a bare flag) */
  options: Record<string, string | boolean>
}

/**
 * `isBoolean(path)` says whether an option only takes true/false: then `--generation.ignoreEos tiny`
 * is a bare flag followed by the filter `tiny`, not ignoreEos = "tiny".
 */
export function splitArgv(argv: string[], isBoolean: (path: string) => boolean = () => false): SplitArgv {
  const cli: string[] = []
  const options: Record<string, string | boolean> = {}
  // switches, and optional-value flags given bare before a positional: placed after the positionals
  const bare: string[] = []
  let rest: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') {
      rest = argv.slice(i)
      break
    }
    const m = /^--([^=]+)(?:=(.*))?$/.exec(arg)
    if (!m) {
      cli.push(arg)
      continue
    }
    const name = m[1]
    if (KNOWN.has(name)) {
      const next = argv[i + 1]
      // a negative number is the flag's value (`--max-parallel -1`), joined to it so the parser does not
      // take it for a short flag: the value is then refused for what it is, naming the flag
      if (m[2] === undefined && !BOOLEAN_FLAGS.has(name) && next !== undefined && /^-\d/.test(next)) {
        cli.push(`${arg}=${argv[++i]}`)
        continue
      }
      // a bare switch goes after the positionals: the parser takes `--dry-run perf` for dry-run =
      // "perf" and the filter is lost (`llem bench --dry-run perf` planned every bench)
      if (m[2] === undefined && BOOLEAN_FLAGS.has(name)) {
        bare.push(arg)
        continue
      }
      // keep a known flag's value with it, so `--config x` is never taken for a positional
      const takesNext = m[2] === undefined && !BOOLEAN_FLAGS.has(name) && next !== undefined && !next.startsWith('-')
      if (m[2] === undefined && OPTIONAL_VALUE.has(name) && !(takesNext && /^(latest|\d[\w.-]*)$/.test(next))) {
        // `--bail perf`, `--bail --verbose perf`: a bare --bail, then the filter perf (the parser would
        // take perf for its value, where the switch before it is moved after the positionals)
        bare.push(arg)
        continue
      }
      cli.push(arg)
      if (takesNext) cli.push(argv[++i])
      continue
    }
    if (m[2] !== undefined) options[name] = m[2]
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--') && (!isBoolean(name) || /^(true|false)$/.test(argv[i + 1]))) options[name] = argv[++i]
    else options[name] = true
  }
  return { cli: [...cli, ...bare, ...rest], options }
}
