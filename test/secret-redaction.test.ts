/** Secrets never reach results: values under KEY / TOKEN / SECRET / PASSWORD names are masked. */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { isSecretName, redactArgv, redactSecrets } from '../core/results/redact.js'
import { makeProject, QUICK_CONFIG, runCli } from './fixtures/project.js'

describe('secret redaction', () => {
  it('names by whole words: tokens counts are not secrets, tokens are', () => {
    for (const n of ['HF_TOKEN', 'apiKey', 'OPENAI_API_KEY', 'db-password', 'secret', 'Authorization']) expect(isSecretName(n)).toBe(true)
    for (const n of ['maxTokens', 'inputTokens', 'apiKeyEnv', 'keyboard', 'baseURL', 'tokenizer']) expect(isSecretName(n)).toBe(false)
    expect(redactSecrets({ env: { HF_TOKEN: 'hf_abc', PATH: '/bin' }, generation: { maxTokens: 8 } })).toEqual({ env: { HF_TOKEN: '[redacted]', PATH: '/bin' }, generation: { maxTokens: 8 } })
    expect(redactArgv(['bench', '--backend.env.HF_TOKEN', 'hf_abc', '--x.apiKey=sk-1', '--generation.maxTokens', '8'])).toEqual(['bench', '--backend.env.HF_TOKEN', '[redacted]', '--x.apiKey=[redacted]', '--generation.maxTokens', '8'])
  })

  it('end to end: a token in a server env never appears in any result file', async () => {
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG,
      'benchmarks/s.bench.ts': `import { bench } from 'llem'\nbench('s', { backend: { name: 'server', command: ['bash', '-c', 'sleep 5'], startupTimeoutMs: 300, env: { HF_TOKEN: 'hf_supersecret' } }, model: 'm', dataset: { prompts: ['x'] } })\n`,
    })
    await runCli(dir, ['bench', '--backend.env.API_KEY', 'sk-alsosecret'])
    const root = path.join(dir, 'llem-results')
    const run = path.join(root, readdirSync(root).filter((d) => !d.startsWith('.'))[0])
    const files = ['manifest.json', ...readdirSync(path.join(run, 'aggregated')).map((f) => `aggregated/${f}`)]
    for (const f of files) {
      const text = readFileSync(path.join(run, f), 'utf8')
      expect(text).not.toContain('hf_supersecret')
      expect(text).not.toContain('sk-alsosecret')
    }
    expect(readFileSync(path.join(run, files[1]), 'utf8')).toContain('[redacted]')
  })
})
