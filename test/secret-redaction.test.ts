/** Secrets never reach results: values under KEY / TOKEN / SECRET / PASSWORD names are masked. */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { isSecretName, redactArgv, redactSecrets } from '../core/results/redact.js'
import { makeProject, QUICK_CONFIG, runCli } from './fixtures/project.js'

describe('secret redaction', () => {
  it('names by whole words: tokens counts are not secrets, tokens are', () => {
    for (const n of ['HF_TOKEN', 'apiKey', 'OPENAI_API_KEY', 'db-password', 'secret', 'Authorization']) expect(isSecretName(n)).toBe(true)
    for (const n of ['maxTokens', 'inputTokens', 'apiKeyEnv', 'keyboard', 'baseURL', 'tokenizer', 'energy_per_token', 'time_per_output_token', 'msPerToken']) expect(isSecretName(n)).toBe(false)
    for (const n of ['per_user_token', 'tokenPerUser', 'session_token']) expect(isSecretName(n)).toBe(true)
    // results.json's pareto names the J/token it ranks by: a unit, kept (it was written masked)
    expect(redactSecrets({ pareto: { energy_per_token: 'avg_energy_per_token_j' }, session_token: 'abcdefgh' })).toEqual({ pareto: { energy_per_token: 'avg_energy_per_token_j' }, session_token: '[redacted]' })
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
    // every file the run wrote, raw results and logs included: a secret leaks wherever it is written
    const files = (readdirSync(run, { recursive: true }) as string[]).filter((f) => statSync(path.join(run, f)).isFile())
    expect(files).toContain('manifest.json')
    expect(files.some((f) => f.startsWith('raw/'))).toBe(true)
    expect(files.some((f) => f.startsWith('aggregated/'))).toBe(true)
    for (const f of files) {
      const text = readFileSync(path.join(run, f), 'utf8')
      expect(text, f).not.toContain('hf_supersecret')
      expect(text, f).not.toContain('sk-alsosecret')
    }
    // both secrets were recorded, masked: the server's env in the configuration, the flag in the argv
    const all = files.map((f) => readFileSync(path.join(run, f), 'utf8')).join('\n')
    expect(all).toContain('"HF_TOKEN": "[redacted]"')
    expect(all).toMatch(/"--backend\.env\.API_KEY",\s*"\[redacted\]"/)
  })
})
