/**
 * Redaction where a pattern alone falls short: a URL password holding an unencoded '@', a Bearer
 * credential echoed later without its scheme, prose after "Basic" that must not become a secret, a
 * text cut short through a secret, and an apiKeyEnv that holds a key instead of a variable's name.
 */
import { describe, expect, it } from 'vitest'
import { redactedPrefix, redactText } from '../core/results/redact.js'
import { makeProject, QUICK_CONFIG, runCli } from './fixtures/project.js'

const uniq = `${process.pid}${Date.now().toString(36)}`

describe('redaction by pattern, by value and across a cut', () => {
  it("a URL's whole user part goes, up to the last '@' before the host", () => {
    const pw = `p@ss${uniq}`
    expect(redactText(`GET http://alice:${pw}@127.0.0.1:8000/v1 refused`)).toBe('GET http://[redacted]@127.0.0.1:8000/v1 refused')
    // the password was learnt whole: its echo alone is masked too
    expect(redactText(`the server said: bad password ${pw}`)).toBe('the server said: bad password [redacted]')
    // an address after a URL is not a password
    expect(redactText('see http://example.org/about or mail me@example.org')).toBe('see http://example.org/about or mail me@example.org')
  })

  it('a Bearer credential is learnt, and its bare echo masked; prose after Basic or Token is not learnt', () => {
    const token = `UpTok${uniq}9`
    expect(redactText(`--upstream-header Authorization: Bearer ${token}`)).toBe('--upstream-header Authorization: Bearer [redacted]')
    expect(redactText(`upstream credential ${token} accepted`)).toBe('upstream credential [redacted] accepted')
    expect(redactText('Basic authentication failed')).toBe('Basic [redacted] failed')
    expect(redactText('Token usage.total is missing')).toBe('Token [redacted] is missing')
    // not learnt: the same words elsewhere stay
    expect(redactText('authentication is off; usage.total = 3')).toBe('authentication is off; usage.total = 3')
  })

  it('a text cut short is masked before the cut: no start of a secret survives it', () => {
    const key = `sk-${uniq}-abcdefghijklmnop`
    const body = `{"error":{"message":"${'x'.repeat(150)} ${key}","api_key":"${key}"}}`
    // the key starts at character 172: a cut at 190 runs through it
    expect(body.slice(0, 190)).toContain(key.slice(0, 6))
    // masked first (the key learnt from its name later in the text, and its echo with it), then cut
    expect(redactedPrefix(body, 190)).toBe(`{"error":{"message":"${'x'.repeat(150)} [redacted]","api_key":"[redacted]"}}`.slice(0, 190))
    // a short text is masked whole
    expect(redactedPrefix(`"password": "${key}"`, 200)).toBe('"password": "[redacted]"')
  })

  it('apiKeyEnv holding a key, not a variable name, is bad input: exit 2, the place named, the key not echoed', async () => {
    const key = `sk-proj-Pasted${uniq}`
    const dir = makeProject({
      'llem.config.ts': QUICK_CONFIG,
      'benchmarks/k.bench.ts': `import { bench } from 'llem'\nbench('k', { backend: { name: 'openai', baseURL: 'http://127.0.0.1:9/v1', apiKeyEnv: '${key}' }, model: 'm', dataset: { prompts: ['x'] } })\n`,
    })
    const r = await runCli(dir, ['list'])
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toMatch(/k\.bench\.ts:2: bench\("k"\): backend\.apiKeyEnv: must be the NAME of an environment variable/)
    expect(r.stderr + r.stdout).not.toContain(key)
  })
})
