/**
 * FLOPs per token counts the tokens of the requests its total counts: the successful ones. With the
 * parameter rule (2 x parameters per token) it is exactly 2 x parameters, whatever failed beside them;
 * dividing by every request's tokens, a failed request that streamed 50 tokens halved it.
 */
import { describe, expect, it } from 'vitest'
import { buildMetrics } from '../core/measure/build-metrics.js'
import { gpuDevice, gpuSnapshot, metricsInput, request } from './fixtures/metrics-input.js'

const PARAMS = 1e9

describe('flops_per_token', () => {
  it('is 2 x parameters per token of the successful requests, a failed one beside them', () => {
    const ok = request(0, 1000, 50)
    const failed = { ...request(0, 900, 50), index: 1, ok: false, error: 'the stream broke' }
    const input = metricsInput({ devices: [gpuDevice(0)], energyStart: gpuSnapshot(0, [0]), energyEnd: gpuSnapshot(1000, [300]), rows: [], requests: [ok, failed], windowStart: 0, windowEnd: 1000 })
    input.model = { ...input.model, parameters: PARAMS }
    const m = buildMetrics(input)
    // the successful request's 8 + 50 tokens
    expect(m.compute.flops_total).toBe(2 * PARAMS * 58)
    expect(m.compute.flops_per_token).toBe(2 * PARAMS)
  })
})
