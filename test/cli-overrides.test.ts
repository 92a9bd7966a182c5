/**
 * The layers above the files: splitArgv separates the CLI's own flags from dotted option flags, and
 * buildOverrideLayers turns flags and LLEM_* variables into typed, validated, normalised layers.
 */
import { describe, expect, it } from 'vitest'
import { splitArgv } from '../core/cli/argv.js'
import { buildOverrideLayers, coerceValue, envVarName, optionPaths } from '../core/config/overrides.js'
import { InputError } from '../core/errors.js'

function overrideError(env: NodeJS.ProcessEnv, flags: Record<string, string | boolean>): InputError {
  let caught: unknown
  try {
    buildOverrideLayers(env, flags)
  } catch (e) {
    caught = e
  }
  expect(caught).toBeInstanceOf(InputError)
  expect((caught as InputError).exitCode).toBe(2)
  return caught as InputError
}

describe('splitArgv', () => {
  it('takes dotted option flags, with a separate value or with =', () => {
    const { cli, options } = splitArgv(['bench', '--measurement.warmup.maxRequests', '10', '--load.rate=inf', '--repeat', '3', '--probes', 'rapl,cpu-estimate'])
    expect(cli).toEqual(['bench'])
    expect(options).toEqual({ 'measurement.warmup.maxRequests': '10', 'load.rate': 'inf', repeat: '3', probes: 'rapl,cpu-estimate' })
  })

  it('a bare flag followed by another flag, or last, is true', () => {
    expect(splitArgv(['bench', '--generation.ignoreEos', '--repeat', '2']).options).toEqual({ 'generation.ignoreEos': true, repeat: '2' })
    expect(splitArgv(['bench', '--generation.ignoreEos']).options).toEqual({ 'generation.ignoreEos': true })
  })

  it("leaves the CLI's own flags, with their values, and positionals for cac", () => {
    const { cli, options } = splitArgv(['bench', 'tiny', '--config', 'x.config.ts', '-t', 'foo', '--dry-run', 'chat', '--load.concurrency', '2', '--reporter=json', '--bail', '1'])
    // a bare switch goes after the positionals (the parser would take `chat` for --dry-run's value)
    expect(cli).toEqual(['bench', 'tiny', '--config', 'x.config.ts', '-t', 'foo', 'chat', '--reporter=json', '--bail', '1', '--dry-run'])
    expect(options).toEqual({ 'load.concurrency': '2' })
  })

  it('a boolean CLI flag does not swallow the positional after it', () => {
    expect(splitArgv(['bench', '--dry-run', 'tiny']).cli).toEqual(['bench', 'tiny', '--dry-run'])
    expect(splitArgv(['bench', '--verbose', 'tiny']).cli).toEqual(['bench', 'tiny', '--verbose'])
    // --bail and --resume take a value only when it looks like one: otherwise it is a filter
    expect(splitArgv(['bench', '--bail', 'perf']).cli).toEqual(['bench', 'perf', '--bail'])
    expect(splitArgv(['bench', '--bail', '2', 'perf']).cli).toEqual(['bench', '--bail', '2', 'perf'])
    expect(splitArgv(['bench', '--bail', '--verbose', 'perf']).cli).toEqual(['bench', 'perf', '--bail', '--verbose'])
    expect(splitArgv(['bench', '--resume', '--dry-run', 'perf']).cli).toEqual(['bench', 'perf', '--resume', '--dry-run'])
    expect(splitArgv(['bench', '--resume', 'latest', 'perf']).cli).toEqual(['bench', '--resume', 'latest', 'perf'])
  })

  it('a negative number is a value, not a flag', () => {
    expect(splitArgv(['bench', '--generation.seed', '-1']).options).toEqual({ 'generation.seed': '-1' })
  })

  it('everything after -- goes to cac untouched', () => {
    expect(splitArgv(['bench', '--', '--load.concurrency', '2'])).toEqual({ cli: ['bench', '--', '--load.concurrency', '2'], options: {} })
  })
})

describe('envVarName', () => {
  it('maps dotted camelCase paths to LLEM_ names', () => {
    expect(envVarName('measurement.warmup.maxRequests')).toBe('LLEM_MEASUREMENT__WARMUP__MAX_REQUESTS')
    expect(envVarName('load.concurrency')).toBe('LLEM_LOAD__CONCURRENCY')
    expect(envVarName('measurement.sampleIntervalMs')).toBe('LLEM_MEASUREMENT__SAMPLE_INTERVAL_MS')
    expect(envVarName('generation.topP')).toBe('LLEM_GENERATION__TOP_P')
    expect(envVarName('resultsDir')).toBe('LLEM_RESULTS_DIR')
    expect(envVarName('repeat')).toBe('LLEM_REPEAT')
  })

  it('every option path has a distinct variable', () => {
    const names = optionPaths().map(envVarName)
    expect(new Set(names).size).toBe(names.length)
  })
})

describe('coercion by the schema', () => {
  it('turns flag strings into what the schema at that path takes', () => {
    const { cli, cliOverrides } = buildOverrideLayers({}, {
      'measurement.warmup.maxRequests': '10',
      'load.rate': 'inf',
      repeat: '3',
      probes: 'rapl,cpu-estimate',
      'generation.ignoreEos': true,
      model: './models/m.gguf',
      'load.requests': 'null',
      'generation.temperature': '0.7',
    })
    expect(cliOverrides).toEqual({
      'measurement.warmup.maxRequests': 10,
      'load.rate': 'inf',
      repeat: 3,
      probes: ['rapl', 'cpu-estimate'],
      'generation.ignoreEos': true,
      model: './models/m.gguf',
      'load.requests': null,
      'generation.temperature': 0.7,
    })
    expect(cli.values).toEqual({
      measurement: { warmup: { maxRequests: 10 } },
      load: { rate: 'inf', requests: null },
      repeat: 3,
      // a list stays a list until the layers merge: it means exactly that set
      probes: ['rapl', 'cpu-estimate'],
      generation: { ignoreEos: true, temperature: 0.7 },
      model: './models/m.gguf',
    })
    expect(cli.details).toEqual({
      'measurement.warmup.maxRequests': '--measurement.warmup.maxRequests',
      'load.rate': '--load.rate',
      repeat: '--repeat',
      probes: '--probes',
      'generation.ignoreEos': '--generation.ignoreEos',
      model: '--model',
      'load.requests': '--load.requests',
      'generation.temperature': '--generation.temperature',
    })
  })

  it('a string that looks like a number stays a string where the schema wants one', () => {
    expect(coerceValue('model', '123')).toBe('123')
    expect(coerceValue('load.rate', 'Infinity')).toBe('inf')
    expect(coerceValue('load.rate', '2.5')).toBe(2.5)
    expect(coerceValue('generation.ignoreEos', 'false')).toBe(false)
  })

  it("'null' unsets a nullable option (back to closed loop, one pass over the dataset) and nothing else", () => {
    expect(coerceValue('load.rate', 'null')).toBeNull()
    expect(coerceValue('load.requests', 'null')).toBeNull()
    expect(coerceValue('measurement.carbon.country', 'null')).toBeNull()
    expect(coerceValue('load.concurrency', 'null')).toBe('null')
    expect(overrideError({}, { 'load.concurrency': 'null' }).message).toBe('command line: --load.concurrency: load.concurrency: expected number, got string ("null")')
  })

  it('maps LLEM_* variables onto their paths, with the variable as provenance detail', () => {
    const { env, cli } = buildOverrideLayers({ LLEM_MEASUREMENT__WARMUP__MAX_REQUESTS: '7', LLEM_LOAD__CONCURRENCY: '2', LLEM_UNRELATED: 'x', LLEM_REPEAT: '' }, {})
    expect(env.source).toBe('env')
    expect(env.values).toEqual({ load: { concurrency: 2 }, measurement: { warmup: { maxRequests: 7 } } })
    expect(env.details).toEqual({ 'load.concurrency': 'LLEM_LOAD__CONCURRENCY', 'measurement.warmup.maxRequests': 'LLEM_MEASUREMENT__WARMUP__MAX_REQUESTS' })
    expect(cli.values).toEqual({})
  })

  it('run-only keys go to run: env first, then flags', () => {
    const { run, env, cli, cliOverrides } = buildOverrideLayers({ LLEM_RESULTS_DIR: 'from-env', LLEM_BAIL: '2' }, { resultsDir: 'from-flag', include: 'a/**/*.bench.ts,b/*.bench.ts' })
    expect(run).toEqual({ resultsDir: 'from-flag', bail: 2, include: ['a/**/*.bench.ts', 'b/*.bench.ts'] })
    expect(env.values).toEqual({})
    expect(cli.values).toEqual({})
    expect(cliOverrides).toEqual({ resultsDir: 'from-flag', include: ['a/**/*.bench.ts', 'b/*.bench.ts'] })
  })
})

describe('errors', () => {
  it('an unknown flag: the closest option, written as a flag', () => {
    const e = overrideError({}, { 'measurment.warmup.maxRequests': '10' })
    expect(e.code).toBe('CONFIG_INVALID')
    expect(e.message).toBe('command line: unknown option --measurment.warmup.maxRequests (did you mean --measurement.warmup.maxRequests?)')
  })

  it('a flag value of the wrong type names the command line and the path', () => {
    const e = overrideError({}, { 'load.concurrency': 'abc' })
    expect(e.code).toBe('CONFIG_INVALID')
    expect(e.message).toBe('command line: --load.concurrency: load.concurrency: expected number, got string ("abc")')
  })

  it('a bare flag where a number is expected', () => {
    expect(overrideError({}, { 'load.concurrency': true }).message).toBe('command line: --load.concurrency: load.concurrency: expected number, got boolean (true)')
  })

  it('an env var of the wrong type names the environment and the path', () => {
    const e = overrideError({ LLEM_LOAD__CONCURRENCY: 'many' }, {})
    expect(e.message).toBe('environment: LLEM_LOAD__CONCURRENCY: load.concurrency: expected number, got string ("many")')
  })

  it('a run-only key of the wrong type from the environment is an error, not silently kept', () => {
    const e = overrideError({ LLEM_BAIL: 'abc' }, {})
    expect(e.code).toBe('CONFIG_INVALID')
    expect(e.message).toBe('environment: LLEM_BAIL: bail: expected number, got string ("abc")')
  })

  it('a run-only key of the wrong value from a flag is an error', () => {
    const e = overrideError({}, { resultsDir: '' })
    expect(e.message).toBe('command line: --resultsDir: resultsDir: Too small: expected string to have >=1 characters')
  })
})
