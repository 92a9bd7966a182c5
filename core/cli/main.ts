/**
 * `llem`: bench (default), list, env, schema. Heavy modules load inside the command that needs them,
 * so `llem --help` stays fast. Exit codes: 0 passed, 1 an experiment failed, 2 bad input, 130 interrupted.
 */
import { cac } from 'cac'
import { isLlemError } from '../errors.js'
import { CLI_FLAGS, splitArgv } from './argv.js'
import { VERSION } from './version.js'

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
}

export async function main(argv: string[]): Promise<number> {
  // the option schema is only needed when a config option is given as a flag: keep --help light
  const hasOptionFlags = argv.some((a) => /^--[^=]+/.test(a) && !(CLI_FLAGS as readonly string[]).includes(a.slice(2).split('=')[0]))
  const isBoolean = hasOptionFlags ? (await import('../config/overrides.js')).isBooleanOption : undefined
  const { cli: cliArgs, options } = splitArgv(argv, isBoolean)
  const cli = cac('llem')
  let action: Promise<number> | undefined
  const common = (cmd: ReturnType<typeof cli.command>) =>
    cmd
      .option('-c, --config <path>', 'config file (default: search for llem.config.ts, .llemrc*, package.json "llem")')
      .option('--verbose', 'stack traces and every measurement warning')
  common(cli.command('[...filters]', 'run benches (default command); filters match bench file paths'))
    .alias('bench')
    .option('--reporter <name>', 'reporter: console, json, csv, or a path (repeatable)')
    .option('--outputFile <path>', 'where file reporters write')
    .option('--results-dir <dir>', 'results directory (default: llem-results)')
    .option('-t <pattern>', 'only benches whose full name matches this regular expression')
    .option('--dry-run', 'resolve config and plan, print the experiments, run nothing')
    .option('--bail [n]', 'stop after n failed experiments (default 1)')
    .option('--resume [run-id]', 'rerun only the experiments of an earlier run (default: latest) without a completed result')
    .option('--gpus <list>', "GPUs llem may use: 'all', or indices / GPU-UUIDs, comma-separated")
    .option('--max-parallel <n>', 'experiments running at once (default: one per GPU slot)')
    .example('llem bench tiny --measurement.warmup.maxRequests 10 --load.concurrency 2')
    .action((filters: string[], flags: CommonFlags) => {
      action = import('./commands/bench.js').then((m) => m.benchCommand(filters, flags, options, argv))
    })
  common(cli.command('list [...filters]', 'list bench files, benches and the expanded experiments without running'))
    .option('-t <pattern>', 'only benches whose full name matches')
    .option('--json', 'machine-readable output')
    .option('--run <run-id>', "with an earlier run's results: which experiments are done, failed or missing ('latest' works)")
    .action((filters: string[], flags: CommonFlags) => {
      action = import('./commands/list.js').then((m) => m.listCommand(filters, flags, options))
    })
  common(cli.command('env', 'machine, software versions, and which probes are available (and why not)'))
    .option('--json', 'machine-readable output')
    .action((flags: CommonFlags) => {
      action = import('./commands/env.js').then((m) => m.envCommand(flags))
    })
  cli.command('schema [name]', 'JSON Schema of the result files (raw, aggregated, manifest; default: all)').action((name: string | undefined) => {
    action = import('./commands/schema.js').then((m) => m.schemaCommand(name))
  })
  cli.help()
  cli.version(VERSION)
  try {
    cli.parse(['node', 'llem', ...cliArgs], { run: false })
    if (cli.options.help || cli.options.version) return 0
    await cli.runMatchedCommand()
    return action ? await action : 0
  } catch (e) {
    return reportError(e, argv.includes('--verbose'))
  }
}

export function reportError(e: unknown, verbose: boolean): number {
  if (isLlemError(e)) {
    process.stderr.write(`llem: ${e.message}\n`)
    if (verbose && e.stack) process.stderr.write(`${e.stack}\n`)
    return e.exitCode
  }
  // cac's own errors (unknown command option, missing value) are bad input too
  if (e instanceof Error && e.name === 'CACError') {
    process.stderr.write(`llem: ${e.message}\n`)
    return 2
  }
  process.stderr.write(`llem: internal error: ${e instanceof Error ? (verbose ? e.stack : e.message) : String(e)}\n`)
  if (!verbose) process.stderr.write('(run with --verbose for the stack trace)\n')
  return 1
}
