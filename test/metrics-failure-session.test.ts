/**
 * A failure while the finished window is turned into metrics is llem's own: it gets its own error code
 * (METRICS_FAILED, never BACKEND_FAILED), and the timeline is already on disk when it happens. The
 * session runs in process with a scripted backend; the metric builder is replaced by one that throws
 * what a too-long spread throws.
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { scriptedConfig } from './fixtures/scripted-config.js'
import { errorInfo } from '../core/measure/result-shell.js'
import { ProbeError } from '../core/plugin.js'
import { AmdSmiError } from '../plugins/probes/amdsmi/amdsmi.js'
import { NvmlError } from '../plugins/probes/nvml/nvml.js'
import { runSession } from '../core/measure/session.js'
import type { Experiment } from '../core/plan/plan.js'

vi.mock('../core/plugins/builtins.js', async () => {
  const { scriptedSession } = await import('./fixtures/scripted-session.js')
  return {
    builtinBackends: { scripted: async () => ({ name: 'scripted', options: z.object({}), start: async () => scriptedSession({ gapMs: 2 }).session }) },
    builtinProbes: {},
    FALLBACK_PROBES: new Set<string>(),
  }
})

vi.mock('../core/measure/build-metrics.js', () => ({
  buildMetrics: () => {
    throw new RangeError('Maximum call stack size exceeded')
  },
}))

function experiment(): Experiment {
  const config = scriptedConfig()
  return {
    id: 'exp-1', name: 'metrics failure', bench: { file: 'x.bench.ts', name: 'b', full_name: 'b', location: 'x.bench.ts:1' }, task_hash: 'h', repeat_index: 0, repeat_count: 1,
    sweep_point: {}, config, provenance: {}, cli_overrides: {}, config_warnings: [], mode: 'run',
  } as Experiment
}

describe('a failure while building metrics', () => {
  it('is METRICS_FAILED in the results phase, and the timeseries was written before it', async () => {
    const runDir = mkdtempSync(path.join(os.tmpdir(), 'llem-metrics-fail-'))
    const result = await runSession({ runId: 'r', runDir, rootDir: runDir, cacheDir: runDir, llemVersion: 'test', experiment: experiment(), processIndex: 0, numProcesses: 1 })
    expect(result.status).toBe('failed')
    expect(result.error).toMatchObject({ code: 'METRICS_FAILED', phase: 'results', message: 'Maximum call stack size exceeded' })
    expect(result.timeseries_path).toBe(path.join('timeseries', 'exp-1.csv'))
    const csv = readFileSync(path.join(runDir, result.timeseries_path!), 'utf8').trim().split('\n')
    expect(csv[0].split(',')).toContain('process_rss_mb')
    // the first and the closing read at least
    expect(csv.length).toBeGreaterThanOrEqual(3)
  })

  it('errorInfo: any plain error in the results phase is METRICS_FAILED, elsewhere the backend keeps its code', () => {
    expect(errorInfo(new RangeError('x'), 'results', []).code).toBe('METRICS_FAILED')
    expect(errorInfo(new Error('x'), 'warmup', []).code).toBe('BACKEND_FAILED')
    expect(errorInfo(new Error('x'), 'measure', []).code).toBe('BACKEND_FAILED')
  })

  it("errorInfo: a probe's own failure is PROBE_FAILED in any phase, recognised by its class, not its name", () => {
    // NVML returning GPU_IS_LOST (15) while the window was measured
    expect(errorInfo(new NvmlError('nvmlDeviceGetTotalEnergyConsumption', 15), 'measure', []).code).toBe('PROBE_FAILED')
    expect(errorInfo(new AmdSmiError('amdsmi_get_energy_count', 2), 'warmup', []).code).toBe('PROBE_FAILED')
    // a user probe's error, whatever it is called; a backend error named like NVML's is still the backend's
    class SensorGone extends ProbeError {}
    expect(errorInfo(new SensorGone('my-probe', 'sensor gone'), 'measure', []).code).toBe('PROBE_FAILED')
    const lookalike = Object.assign(new Error('x'), { name: 'NvmlError' })
    expect(errorInfo(lookalike, 'measure', []).code).toBe('BACKEND_FAILED')
  })
})
