/**
 * What the transformers worker adds to each request beyond the model's own work: the protocol round
 * trip, tokenization, padding and the per-step stamps. Measured with the fake `transformers` package
 * (test/fixtures/fake-transformers) at zero step delay, one request at a time (batch 1, 8 new tokens):
 * llem's wall time around generate() minus the worker's time inside model.generate(). Target: median
 * under 0.5 ms. `npx jiti benchmarks/perf/run.ts transformers`
 */
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { EXPERIMENT_DEFAULTS } from '../../core/config/defaults.js'
import { transformersBackend, type TransformersSession } from '../../plugins/backends/transformers/index.js'
import { CACHE, median, REPO } from './util.js'

export async function transformersOverhead(requests = 1000) {
  const target_ms = 0.5
  const session = (await transformersBackend.start({
    options: { env: { PYTHONPATH: path.join(REPO, 'test', 'fixtures', 'fake-transformers'), FAKE_TRANSFORMERS_STEP_MS: '0' } },
    model: 'fake/tiny-llama',
    generation: { ...EXPERIMENT_DEFAULTS.generation },
    concurrency: 1,
    cacheDir: CACHE,
    baseDir: REPO,
    log: () => {},
  })) as TransformersSession
  const sink = { onTokens() {} }
  const overhead: number[] = []
  const wall: number[] = []
  try {
    for (let i = 0; i < requests + 50; i++) {
      const m0 = session.batchCounters.modelMs
      const t0 = performance.now()
      await session.generate({ prompt: `Tell me a story about request ${i}`, maxTokens: 8 }, sink)
      const w = performance.now() - t0
      // the first 50 warm the interpreter's and V8's caches
      if (i < 50) continue
      wall.push(w)
      overhead.push(w - (session.batchCounters.modelMs - m0))
    }
  } finally {
    await session.close()
  }
  const sorted = [...overhead].sort((a, b) => a - b)
  const median_ms = median(overhead)
  return { requests, median_ms, p90_ms: sorted[Math.floor(sorted.length * 0.9)], median_wall_ms: median(wall), target_ms, pass: median_ms < target_ms }
}
