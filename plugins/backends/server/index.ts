/**
 * The `server` backend: any engine started from a command template, then measured through the openai
 * client. llem picks a free loopback port, starts the command in its own process group, waits for the
 * health path (bounded; the log tail goes into the error), and stops the whole group at the end, on a
 * crash, a timeout or Ctrl-C. A supervisor holding a channel to llem stops it too when llem is killed
 * with SIGKILL, worker or whole process group (managed-process.ts, supervisor.ts).
 */
import path from 'node:path'
import net from 'node:net'
import { performance } from 'node:perf_hooks'
import type { z } from 'zod'
import type { Backend, BackendContext, BackendSession } from 'llem/plugin/runtime'
import { InputError, LlemError, lazySchema } from 'llem/plugin/runtime'
import { clientRequestOptions } from '../openai/client-options.js'
import { secretFlagsToEnv } from '../managed/common.js'
import { readKnownPrometheus } from '../managed/engine-metrics.js'
import { scrapeWindow, type ScrapeTarget } from '../managed/metrics-scraper.js'
import { startProcess, type ManagedProcess } from './managed-process.js'
import { openaiSession } from '../openai/index.js'
import type { SamplingEngine } from '../openai/sampling-fields.js'
import { ensureRandomModel, parseRandomModelSpec } from '../llama-cpp/random-model.js'

export const serverOptionsSchema = lazySchema((z) =>
  z.strictObject({
    /** argv with placeholders {port}, {host} and {model}, e.g. ['llama-server', '-m', '{model}', '--port', '{port}'] */
    command: z.array(z.string().min(1)).min(1),
    healthPath: z.string().optional(),
    /** a Prometheus endpoint scraped through the measured window (vLLM, SGLang, TGI and llama.cpp names are known) */
    metricsPath: z.string().nullable().optional(),
    metricsIntervalMs: z.int().min(100).optional(),
    startupTimeoutMs: z.int().positive().optional(),
    env: z.record(z.string(), z.string()).optional(),
    /** embeddings: /v1/embeddings (a server started for embeddings, e.g. llama-server --embeddings --pooling mean) */
    endpoint: z.enum(['completions', 'chat', 'embeddings']).optional(),
    ...clientRequestOptions(z),
    /** the model name the server serves, when it differs from `model` (a path the server loads) */
    servedModelName: z.string().optional(),
  }),
)
export type ServerOptions = z.infer<typeof serverOptionsSchema>

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

export { startProcess, type ManagedProcess } from './managed-process.js'

/** how long an exited server's remaining output is waited for before its tail is quoted */
const OUTPUT_DRAIN_MS = 2000

export async function waitForHealth(url: string, proc: ManagedProcess, timeoutMs: number): Promise<number> {
  const t0 = performance.now()
  while (performance.now() - t0 < timeoutMs) {
    const gone = proc.exited()
    if (gone) {
      // its last lines (why it stopped) may still be in the pipes: read them before quoting the tail
      await proc.outputRead(OUTPUT_DRAIN_MS)
      throw new LlemError('BACKEND_FAILED', `the server exited (${gone.signal ?? `code ${gone.code}`}) before ${url} answered; last output:\n${proc.logTail().slice(-15).join('\n')}`)
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) })
      if (res.ok) return performance.now() - t0
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new LlemError('BACKEND_FAILED', `the server did not answer ${url} within ${timeoutMs} ms; last output:\n${proc.logTail().slice(-15).join('\n')}`)
}

/** Start a server from argv, wait for health, and measure it through the openai client. */
export async function managedSession(
  argv: string[],
  o: ServerOptions & { port: number },
  ctx: BackendContext<unknown>,
  describe: { software?: Record<string, string | null>; settings?: Record<string, unknown>; metrics?: Omit<ScrapeTarget, 'url'> & { path: string }; cleanup?: string[]; discoverModel?: boolean; engine?: SamplingEngine } = {},
): Promise<BackendSession> {
  const proc: ManagedProcess = startProcess(argv, o.env ?? {}, (line) => ctx.log(`[server] ${line}`), { cleanup: describe.cleanup })
  try {
    const healthMs = await waitForHealth(`http://127.0.0.1:${o.port}${o.healthPath ?? '/health'}`, proc, o.startupTimeoutMs ?? 120_000)
    const served = o.servedModelName ?? (describe.discoverModel ? await servedModelOf(o.port) : null) ?? (typeof ctx.model === 'string' ? ctx.model : null)
    const session = await openaiSession({ baseURL: `http://127.0.0.1:${o.port}/v1`, endpoint: o.endpoint, apiKeyEnv: o.apiKeyEnv, requestTimeoutMs: o.requestTimeoutMs, extraBody: o.extraBody, maxLineBytes: o.maxLineBytes, maxEventBytes: o.maxEventBytes, maxResponseBytes: o.maxResponseBytes }, { ...ctx, model: served }, {}, { engine: describe.engine })
    return {
      ...session,
      software: { ...session.software, ...describe.software },
      settings: { ...session.settings, ...describe.settings, command: argv, port: o.port, server_pid: proc.pid, startup_ms: healthMs },
      observeWindow: describe.metrics ? () => scrapeWindow({ ...describe.metrics!, url: `http://127.0.0.1:${o.port}${describe.metrics!.path}` }, ctx.log) : undefined,
      async generate(request, sink) {
        const gone = proc.exited()
        if (gone) {
          await proc.outputRead(OUTPUT_DRAIN_MS)
          throw new LlemError('BACKEND_FAILED', `the server died mid-run (${gone.signal ?? `code ${gone.code}`}); last output: ${proc.logTail().slice(-5).join(' | ')}`, { fatal: true })
        }
        try {
          return await session.generate(request, sink)
        } catch (e) {
          // a request cut off because the server went away: say so, and end the run
          await new Promise((r) => setTimeout(r, 50))
          const died = proc.exited()
          if (died) throw new LlemError('BACKEND_FAILED', `the server died mid-run (${died.signal ?? `code ${died.code}`}): ${e instanceof Error ? e.message : String(e)}`, { fatal: true })
          throw e
        }
      },
      async close() {
        await proc.stop()
      },
    }
  } catch (e) {
    await proc.stop()
    throw e
  }
}

/** The one model a freshly started server lists at /v1/models (null: none, several, or no answer). */
async function servedModelOf(port: number): Promise<string | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/v1/models`, { signal: AbortSignal.timeout(5000) })
    const body = (await res.json()) as { data?: { id?: unknown }[] }
    const ids = (body.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string')
    return ids.length === 1 ? ids[0] : null
  } catch {
    return null
  }
}

/** Engines whose `--api-key` has an environment variable: llama-server's `--help` says `(env: LLAMA_API_KEY)`,
 *  vLLM's docs VLLM_API_KEY (https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html). */
const ENGINE_KEY_ENV: Record<string, Record<string, string>> = {
  'llama-server': { '--api-key': 'LLAMA_API_KEY' },
  vllm: { '--api-key': 'VLLM_API_KEY' },
}

/** `model: { random: 'llama-1m' }`: the generated GGUF, cached as the llama-cpp backend caches it */
async function randomModelPath(model: unknown, cacheDir: string): Promise<string> {
  if (!(typeof model === 'object' && model !== null && 'random' in model)) return ''
  const spec = parseRandomModelSpec((model as { random: unknown }).random)
  if (!spec.success) throw new InputError('BENCH_INVALID', `model.random: ${spec.error.issues.map((i) => `${i.path.join('.') || 'random'}: ${i.message}`).join('; ')}`)
  return (await ensureRandomModel(spec.data, path.join(cacheDir, 'models'))).path
}

export const serverBackend: Backend<ServerOptions> = {
  name: 'server',
  options: serverOptionsSchema,
  async validate({ options, model, where }) {
    if (typeof model !== 'string' && !options.servedModelName)
      throw new InputError('BENCH_INVALID', `${where}: the server backend needs the served model name: a string \`model\`, or \`servedModelName\` beside a model path`)
  },
  async start(ctx) {
    const port = await freePort()
    // a model path resolves against the project root, as for every backend; a name passes through; a
    // random-weight GGUF (llama-server's format) is the file the llama-cpp backend would generate
    const model = typeof ctx.model === 'string' ? ctx.model : typeof ctx.model === 'object' && ctx.model && 'path' in ctx.model ? path.resolve(ctx.baseDir, ctx.model.path) : await randomModelPath(ctx.model, ctx.cacheDir)
    const command = ctx.options.command.map((a) => a.replaceAll('{port}', String(port)).replaceAll('{host}', '127.0.0.1').replaceAll('{model}', model))
    // an engine llem knows reads its key from the environment: `--api-key` moves there, off `ps`
    const { argv, env: keyEnv } = secretFlagsToEnv(command, ENGINE_KEY_ENV[path.basename(command[0])] ?? {})
    const metricsPath = ctx.options.metricsPath
    return managedSession(argv, { ...ctx.options, env: { ...ctx.options.env, ...keyEnv }, port }, ctx, metricsPath ? { metrics: { path: metricsPath, reader: readKnownPrometheus, format: 'prometheus', intervalMs: ctx.options.metricsIntervalMs } } : {})
  },
}
