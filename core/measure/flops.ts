/**
 * FLOPs of the measured requests. With the model's shape (always known for GGUF): the forward pass of a
 * llama-style decoder per token at context position c is 2 x (matmul weights) + 4 x layers x c x hidden
 * (QK^T and attention x V), summed over the prompt and every generated token. Without a shape:
 * 2 x parameters x tokens. Method and confidence go into the result.
 */
import type { ModelInfo } from '../backends/types.js'

export interface FlopsEstimate {
  total: number | null
  method: 'architecture' | 'parameter' | 'none'
  confidence: 'high' | 'medium' | 'low' | 'none'
}

export function matmulWeights(s: NonNullable<ModelInfo['shape']>): number {
  const headDim = s.hidden / s.heads
  const kv = headDim * s.headsKv
  const attention = s.hidden * s.hidden * 2 + s.hidden * kv * 2 // q, o and k, v
  const ffn = 3 * s.hidden * s.ff // gate, up, down
  return s.layers * (attention + ffn) + s.hidden * s.vocab // + output projection
}

/** FLOPs for one request: `input` prompt tokens then `output` generated tokens. */
export function requestFlops(s: NonNullable<ModelInfo['shape']>, input: number, output: number): number {
  const w = matmulWeights(s)
  const n = input + output
  // sum over positions c = 1..n of (2w + 4 * layers * c * hidden)
  return 2 * w * n + 4 * s.layers * s.hidden * ((n * (n + 1)) / 2)
}

export function estimateFlops(model: ModelInfo, requests: { input: number; output: number }[]): FlopsEstimate {
  if (model.shape) {
    const total = requests.reduce((acc, r) => acc + requestFlops(model.shape!, r.input, r.output), 0)
    return { total, method: 'architecture', confidence: 'high' }
  }
  if (model.parameters) {
    const tokens = requests.reduce((acc, r) => acc + r.input + r.output, 0)
    return { total: 2 * model.parameters * tokens, method: 'parameter', confidence: 'low' }
  }
  return { total: null, method: 'none', confidence: 'none' }
}
