/**
 * `llem`: bench (default), list, env, schema, report, compare, status, worker. Heavy modules load inside the command that needs them,
 * so `llem --help` stays fast. Exit codes: 0 passed, 1 an experiment failed, 2 bad input, 130 interrupted.
 */
import { cac } from 'cac'
import { isLlemError } from '../errors.js'
import { redactText } from '../results/redact.js'
import { sanitiseText } from '../text/sanitise-terminal.js'
import { CLI_FLAGS, splitArgv } from './argv.js'
import { tolerateClosedOutput } from './closed-output.js'
import type { CommonFlags } from './flags.js'
import { VERSION } from './version.js'

export type { CommonFlags }

export async function main(argv: string[]): Promise<number> {
  // `llem ... | head` closes the pipe early: output stops there, the command goes on (closed-output.ts)
  tolerateClosedOutput()
  // the option schema is only needed when a config option is given as a flag: keep --help light
  const hasOptionFlags = argv.some((a) => /^--[^=]+/.test(a) && !(CLI_FLAGS as readonly string[]).includes(a.slice(2).split('=')[0]))
  const isBoolean = hasOptionFlags ? (await import('../config/overrides.js')).isBooleanOption : undefined
  const { cli: cliArgs, options } = splitArgv(argv, isBoolean)
  const cli = cac('llem')
  let action: Promise<number> | undefined
  const common = (cmd: ReturnType<typeof cli.command>) =>
    cmd
      .option('-c, --config <path>', 'config file (default: search for llem.config.ts, .llemrc*, package.json "llem")')
      .option('--verbose', 'stack traces, every measurement warning and a serving summary of every experiment')
  common(cli.command('[...filters]', 'run benches (default command); filters match bench file paths'))
    .alias('bench')
    .option('--reporter <name>', 'reporter: console, json, csv, lm-eval, mlenergy, zeus-csv, codecarbon, parquet, markdown, github-actions, html, or a path (repeatable)')
    .option('--outputFile <path>', 'where file reporters write')
    .option('--results-dir <dir>', 'results directory (default: llem-results)')
    .option('-t <pattern>', 'only benches whose full name matches this regular expression')
    .option('--dry-run', 'resolve config and plan, print the experiments, run nothing')
    .option('--include <glob>', "bench files to collect, instead of the config's include (repeatable: each adds a glob)")
    .option('--shard <index/count>', 'run only this share of the experiments, e.g. 2/3 (the same split on every machine)')
    .option('--allowOnly', 'let a .only run when CI is set (where it is refused by default; config allowOnly)')
    .option('--passWithNoTests', 'exit 0 when no bench file or bench matches (config passWithNoTests)')
    .option('--bail [n]', 'stop after n failed experiments (default 1)')
    .option('--resume [run-id]', 'rerun only the experiments of an earlier run (default: latest) without a completed result')
    .option('--gpus <list>', "GPUs llem may use: 'all', or indices / GPU-UUIDs, comma-separated")
    .option('--max-parallel <n>', 'experiments running at once (default: one per GPU slot)')
    .option('--compare <baseline>', 'after the run, compare with a baseline run (directory, results.json or run id); exit 1 on a regression')
    .option('--threshold <metric=limit>', 'with --compare: e.g. energy_per_token_j=5%,ttft_ms_p50=10% (repeatable)')
    .option('--executor <name>', 'where experiments run: local (default) or slurm (settings: --executor.partition, --executor.gpusPerTask, ... or config `executor`)')
    .option('--detach', 'slurm: submit the jobs and exit (then llem status / llem report <run-dir>)')
    .example('llem bench tiny --measurement.warmup.maxRequests 10 --load.concurrency 2')
    .example('llem bench --executor slurm --executor.partition gpu --executor.gpusPerTask 1')
    .example("llem bench --shard 2/3 --include 'benchmarks/**/*.bench.ts' --include 'perf/**/*.bench.ts'")
    .action((filters: string[], flags: CommonFlags) => {
      action = import('./commands/bench.js').then((m) => m.benchCommand(filters, flags, options, argv))
    })
  common(cli.command('list [...filters]', 'list bench files, benches and the expanded experiments without running'))
    .option('-t <pattern>', 'only benches whose full name matches')
    .option('--include <glob>', "bench files to collect, instead of the config's include (repeatable: each adds a glob)")
    .option('--shard <index/count>', 'list only this share of the experiments, as --shard on a run would run')
    .option('--allowOnly', 'let a .only stand when CI is set (config allowOnly)')
    .option('--json', 'machine-readable output')
    .option('--run <run-id>', "with an earlier run's results: which experiments are done, failed or missing ('latest' works)")
    .option('--results-dir <dir>', 'where the run id is looked up (default: the configured resultsDir)')
    .action((filters: string[], flags: CommonFlags) => {
      action = import('./commands/list.js').then((m) => m.listCommand(filters, flags, options))
    })
  common(cli.command('env', 'machine, software versions, and which probes are available (and why not)'))
    .option('--json', 'machine-readable output')
    .action((flags: CommonFlags) => {
      action = import('./commands/env.js').then((m) => m.envCommand(flags))
    })
  common(cli.command('report <run>', "rebuild reports from a stored run's raw results (a run directory, a run id or 'latest')"))
    .option('--reporter <name>', 'reporter: a built-in name or a path (repeatable; default: the configured reporters)')
    .option('--outputFile <path>', 'where file reporters write (--outputFile.<reporter> <path> per reporter)')
    .option('--results-dir <dir>', 'where a run id is looked up (default: the configured resultsDir)')
    .example('llem report latest --reporter json --outputFile.json out/results.json')
    .action((run: string, flags: CommonFlags) => {
      action = import('./commands/report.js').then((m) => m.reportCommand(run, flags, options))
    })
  common(cli.command('compare <baseline> <current>', 'compare two runs (directories, results.json files or run ids); exit 1 when a metric regresses past its threshold'))
    .option('--threshold <metric=limit>', 'how much worse a metric may get: 5% (relative) or an amount in its unit; comma-separated, repeatable')
    .option('--json', 'machine-readable output')
    .option('--markdown', 'a markdown table (for a job summary or a pull-request comment)')
    .option('--results-dir <dir>', 'where run ids are looked up (default: the configured resultsDir)')
    .example('llem compare baseline/results.json latest --threshold energy_per_token_j=5%,ttft_ms_p50=10%')
    .action((baseline: string, current: string, flags: CommonFlags) => {
      action = import('./commands/compare.js').then((m) => (Object.keys(options).length ? m.rejectOptions(options) : m.compareCommand(baseline, current, flags)))
    })
  common(cli.command('status <run-dir>', 'a run submitted to Slurm: the state of each task; collects what has finished'))
    .option('--json', 'machine-readable output')
    .action((runDir: string, flags: CommonFlags) => {
      action = import('./commands/status.js').then((m) => m.statusCommand(runDir, flags))
    })
  cli.command('worker', 'run one task of a planned run (started by an executor on a compute node)')
    .option('--run <run-dir>', 'the run directory, on a filesystem the nodes share')
    .option('--task <index>', 'the task index (slurm/tasks/<index>.json)')
    .action((flags: CommonFlags) => {
      action = import('./commands/worker.js').then((m) => m.workerCommand(flags))
    })
  cli.command('init [dir]', 'scaffold a project: llem.config.ts, benchmarks/first.bench.ts and a GitHub Actions workflow (.github/workflows/llem.yml)')
    .option('--force', 'overwrite those files where they exist')
    .action((dir: string | undefined, flags: { force?: boolean }) => {
      action = import('./commands/init.js').then((m) => m.initCommand(dir, flags, options))
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
    return reportError(e, argv.includes('--verbose'), argv.find((a) => !a.startsWith('-')))
  }
}

export function reportError(e: unknown, verbose: boolean, command?: string): number {
  if (isLlemError(e)) {
    // a message may quote a server, a log tail or a file: sanitised for the terminal after masking
    process.stderr.write(sanitiseText(redactText(`llem: ${e.message}`)) + '\n')
    if (verbose && e.stack) process.stderr.write(sanitiseText(redactText(e.stack)) + '\n')
    return e.exitCode
  }
  // cac's own errors (unknown command option, missing value) are bad input too
  if (e instanceof Error && e.name === 'CACError') {
    // cac names an unknown flag as it parsed it (`--maxParallel`, `-1`): said as typed, with where to look
    const unknown = /^Unknown option `(-{1,2})([^`]+)`$/.exec(e.message)
    const flag = unknown ? `${unknown[1]}${unknown[1] === '--' ? unknown[2].replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase() : unknown[2]}` : null
    const message = flag ? `unknown option ${flag}${command ? ` for llem ${command}` : ''} (llem ${command ?? ''}${command ? ' ' : ''}--help lists the options)` : e.message
    process.stderr.write(sanitiseText(redactText(`llem: ${message}`)) + '\n')
    return 2
  }
  // an error may quote a server's reply or a config value: masked like everything llem prints
  process.stderr.write(sanitiseText(redactText(`llem: internal error: ${e instanceof Error ? (verbose ? e.stack : e.message) : String(e)}`)) + '\n')
  if (!verbose) process.stderr.write('(run with --verbose for the stack trace)\n')
  return 1
}
