/**
 * The llama-server the serving examples start (the `server` backend), or null when there is none:
 * LLAMA_SERVER names the binary (scripts/build-llama-server builds one from the llama.cpp source
 * node-llama-cpp ships, about 8 minutes, and prints its path), and LLEM_BENCH_GGUF the model; without
 * it, the random llama 1M that the llama-cpp examples generate into llem's cache (run them once).
 *
 *   LLAMA_SERVER=$(scripts/build-llama-server) npx llem bench shared-prefix embeddings
 */
import { existsSync, readdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

function cachedRandomModel(): string | null {
  const cache = process.env.LLEM_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'llem')
  const dir = path.join(cache, 'models')
  const file = existsSync(dir) ? readdirSync(dir).find((f) => /^llama-1m-.*\.gguf$/.test(f)) : undefined
  return file ? path.join(dir, file) : null
}

/** `skip` is set when there is no server or model: the bench is listed as skipped, not failed. */
export function llamaServerExample(flags: string[]) {
  const bin = process.env.LLAMA_SERVER
  const model = process.env.LLEM_BENCH_GGUF ?? cachedRandomModel()
  return {
    skip: !bin || !model,
    backend: { name: 'server', command: [bin ?? 'llama-server', '-m', '{model}', '--host', '{host}', '--port', '{port}', '--alias', 'served', '-t', '2', '--no-webui', ...flags], servedModelName: 'served', metricsPath: flags.includes('--metrics') ? '/metrics' : null },
    model: model ? { path: model } : 'served',
  }
}
