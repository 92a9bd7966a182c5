/**
 * FLOPs of the measured requests. With the model's shape (always known for GGUF): a llama-style decoder
 * costs 2 x (attention + FFN weights) per evaluated position, 4 x layers x c x hidden for attention at
 * context position c, and 2 x hidden x vocab for each sampled token's logits. Without a shape:
 * 2 x parameters x tokens. Method and confidence go into the result.
 */
import type { ModelInfo } from '../backends/types.js'

export interface FlopsEstimate {
  total: number | null
  method: 'architecture' | 'parameter' | 'none'
  confidence: 'high' | 'medium' | 'low' | 'none'
}

/** Weights multiplied once per evaluated position: attention and FFN of every layer. */
export function bodyWeights(s: NonNullable<ModelInfo['shape']>): number {
  const headDim = s.hidden / s.heads
  const kv = headDim * s.headsKv
  const attention = s.hidden * s.hidden * 2 + s.hidden * kv * 2 // q, o and k, v
  const ffn = 3 * s.hidden * s.ff // gate, up, down
  return s.layers * (attention + ffn)
}

/**
 * FLOPs for one request: `input` prompt tokens, then `output` generated tokens. llama.cpp evaluates the
 * prompt and every generated token but the last (input + output - 1 positions) and computes logits
 * (the output projection, hidden x vocab) only where a token is sampled: `output` times.
 */
export function requestFlops(s: NonNullable<ModelInfo['shape']>, input: number, output: number): number {
  const positions = input + Math.max(0, output - 1)
  const attentionScores = 4 * s.layers * s.hidden * ((positions * (positions + 1)) / 2) // QK^T and AV over c = 1..positions
  return 2 * bodyWeights(s) * positions + 2 * s.hidden * s.vocab * output + attentionScores
}

export function estimateFlops(model: ModelInfo, requests: { input: number; output: number }[]): FlopsEstimate {
  if (model.shape) {
    const total = requests.reduce((acc, r) => acc + requestFlops(model.shape!, r.input, r.output), 0)
    // matmuls and attention only (norms, RoPE, softmax left out): a close lower bound
    return { total, method: 'architecture', confidence: 'medium' }
  }
  if (model.parameters) {
    const tokens = requests.reduce((acc, r) => acc + r.input + r.output, 0)
    return { total: 2 * model.parameters * tokens, method: 'parameter', confidence: 'low' }
  }
  return { total: null, method: 'none', confidence: 'none' }
}
