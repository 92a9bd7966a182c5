/**
 * What a request says about sampling: a server fills a field left out with its own default, not with
 * "off" (llama.cpp's server top_k 40, top_p 0.95, min_p 0.05; vLLM the model's generation_config.json),
 * so each field a server takes is sent even when it asks for no truncation, and the result's settings
 * record what was sent. The servers here answer like the engines they stand for on the routes llem
 * reads to tell them apart (/props with a build_info: llama.cpp; /version: vLLM or TensorRT-LLM; neither:
 * an OpenAI-style service, which has no top_k), and record every request body.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { openaiSession } from '../plugins/backends/openai/index.js'
import type { SamplingEngine } from '../plugins/backends/openai/sampling-fields.js'

type Kind = 'llama.cpp' | 'versioned' | 'plain'
const open: http.Server[] = []
afterEach(() => {
  for (const s of open.splice(0)) s.close()
})

async function server(kind: Kind): Promise<{ base: string; bodies: Record<string, unknown>[] }> {
  const bodies: Record<string, unknown>[] = []
  const srv = http.createServer(async (req, res) => {
    let text = ''
    for await (const c of req) text += c
    if (req.url === '/props' && kind === 'llama.cpp') return void res.end(JSON.stringify({ build_info: 'b6500-abcdef' }))
    if (req.url === '/version' && kind === 'versioned') return void res.end(JSON.stringify({ version: '0.11.0' }))
    if (req.url === '/v1/models') return void res.end(JSON.stringify({ data: [{ id: 'm' }] }))
    if (req.url === '/v1/completions') {
      bodies.push(JSON.parse(text))
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('data: {"choices":[{"index":0,"text":" a","finish_reason":"length"}]}\n\n')
      res.write('data: {"choices":[],"usage":{"prompt_tokens":2,"completion_tokens":1}}\n\n')
      return void res.end('data: [DONE]\n\n')
    }
    res.writeHead(404)
    res.end()
  })
  open.push(srv)
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  return { base: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/v1`, bodies }
}

const sampled = { maxTokens: 1, temperature: 0.8, topP: 1, topK: 0, seed: 7, ignoreEos: true }
const SAMPLING_KEYS = ['temperature', 'top_p', 'top_k', 'min_p', 'repetition_penalty']

async function sent(kind: Kind, generation = sampled, engine?: SamplingEngine, extraBody?: Record<string, unknown>) {
  const s = await server(kind)
  const session = await openaiSession({ baseURL: s.base, extraBody }, { model: 'm', generation, log: () => {} }, {}, { engine })
  await session.generate({ prompt: 'hi', maxTokens: 1 }, { onTokens() {} })
  const body = s.bodies[0]
  return { fields: Object.fromEntries(SAMPLING_KEYS.filter((k) => k in body).map((k) => [k, body[k]])), settings: session.settings as Record<string, unknown> }
}

describe('the sampling fields a request states', () => {
  it("llama.cpp's server (its /props has a build_info): top_k 0, top_p 1 and min_p 0 stated, not its 40, 0.95 and 0.05", async () => {
    const { fields, settings } = await sent('llama.cpp')
    expect(fields).toEqual({ temperature: 0.8, top_p: 1, top_k: 0, min_p: 0 })
    expect(settings.sampling_engine).toBe('llama.cpp')
    expect(settings.sampling_fields).toEqual({ temperature: 0.8, top_p: 1, top_k: 0, min_p: 0 })
  })

  it("vLLM started by llem: top_k -1 (off in every vLLM; 0 is refused before 0.9), min_p and a repetition penalty of 1, over the model's generation_config", async () => {
    expect((await sent('versioned', sampled, 'vllm')).fields).toEqual({ temperature: 0.8, top_p: 1, top_k: -1, min_p: 0, repetition_penalty: 1 })
    // greedy decoding too: vLLM applies a model's repetition penalty to it
    expect((await sent('versioned', { ...sampled, temperature: 0 }, 'vllm')).fields).toEqual({ temperature: 0, repetition_penalty: 1 })
  })

  it("greedy decoding sends the temperature alone elsewhere: llama.cpp's greedy path stays its default one", async () => {
    expect((await sent('llama.cpp', { ...sampled, temperature: 0 })).fields).toEqual({ temperature: 0 })
  })

  it('TensorRT-LLM: top_k and top_p only (its request model forbids fields it does not declare)', async () => {
    expect((await sent('versioned', sampled, 'trtllm')).fields).toEqual({ temperature: 0.8, top_p: 1, top_k: 0 })
  })

  it('an engine behind a plain URL (/version answers: vLLM or TensorRT-LLM, which spell "off" differently): only what is set', async () => {
    const { fields, settings } = await sent('versioned')
    expect(fields).toEqual({ temperature: 0.8 })
    expect(settings.sampling_engine).toBe('engine')
    expect((await sent('versioned', { ...sampled, topK: 40, topP: 0.9 })).fields).toEqual({ temperature: 0.8, top_p: 0.9, top_k: 40 })
  })

  it('an OpenAI-style service (neither route): top_p and top_k only when set (TGI refuses top_p 1), and the settings say which', async () => {
    const off = await sent('plain')
    expect(off.fields).toEqual({ temperature: 0.8 })
    expect(off.settings.sampling_engine).toBe('unknown')
    expect((await sent('plain', { ...sampled, topK: 40, topP: 0.9 })).fields).toEqual({ temperature: 0.8, top_p: 0.9, top_k: 40 })
  })

  it('extraBody has the last word, and the settings record what it sent', async () => {
    const { fields, settings } = await sent('plain', sampled, undefined, { top_k: 20, repetition_penalty: 1.05 })
    expect(fields).toEqual({ temperature: 0.8, top_k: 20, repetition_penalty: 1.05 })
    expect(settings.sampling_fields).toEqual({ temperature: 0.8, top_k: 20, repetition_penalty: 1.05 })
  })
})
