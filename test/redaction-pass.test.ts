/**
 * The redaction pass itself (core/results/redact.ts), place by place: each case is a place a user can
 * put a secret (issue 14, items 4, 5 and 7); the scan over a whole run is test/secret-scan.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { redactArgv, redactSecrets, redactText, REDACTED } from '../core/results/redact.js'

describe('the redaction pass', () => {
  it('masks nested secrets in backend settings, keeps the rest', () => {
    const settings = { base_url: 'http://127.0.0.1:8000/v1', extra_body: { api_key: 'sk-nested-1', auth: { user: 'me', password: 'pw-nested-2' }, max_tokens: 8 } }
    expect(redactSecrets(settings)).toEqual({ base_url: 'http://127.0.0.1:8000/v1', extra_body: { api_key: REDACTED, auth: { user: 'me', password: REDACTED }, max_tokens: 8 } })
  })

  it('masks lists under secret names and plural names, but not counts or metrics', () => {
    const v = { api_keys: ['sk-list-1', 'sk-list-2'], tokens: ['tok-plural-1'], auth: ['user', 'pw-list-3'], max_tokens: 8, total_output_tokens: 12, energy_per_token_j: 0.5, input_tokens: [3, 4] }
    expect(redactSecrets(v)).toEqual({ api_keys: [REDACTED, REDACTED], tokens: [REDACTED], auth: [REDACTED, REDACTED], max_tokens: 8, total_output_tokens: 12, energy_per_token_j: 0.5, input_tokens: [3, 4] })
  })

  it('masks secret flags in a command template and extraArgs, wherever they sit', () => {
    const cmd = ['vllm', 'serve', 'm', '--api-key', 'sk-flag-1', '--port', '{port}', '--hf-token=hf-flag-2', '--max-num-seqs', '4']
    expect(redactSecrets({ command: cmd, extraArgs: ['--api-key', 'sk-flag-3'] })).toEqual({
      command: ['vllm', 'serve', 'm', '--api-key', REDACTED, '--port', '{port}', `--hf-token=${REDACTED}`, '--max-num-seqs', '4'],
      extraArgs: ['--api-key', REDACTED],
    })
  })

  it('masks credentials in URLs and setup lines', () => {
    expect(redactSecrets({ baseURL: 'https://alice:url-pw-4@example.com/v1' })).toEqual({ baseURL: `https://${REDACTED}@example.com/v1` })
    expect(redactText('GET https://example.com/v1/models?api_key=q-secret-16&x=1')).toBe(`GET https://example.com/v1/models?api_key=${REDACTED}&x=1`)
    const setup = ['module load cuda', 'export HF_TOKEN=hf-setup-5', 'huggingface-cli login --token hf-setup-6', "export OPENAI_API_KEY='sk-setup-7'"]
    expect(redactSecrets({ setup })).toEqual({ setup: ['module load cuda', `export HF_TOKEN=${REDACTED}`, `huggingface-cli login --token ${REDACTED}`, `export OPENAI_API_KEY=${REDACTED}`] })
  })

  it('masks a secret by value once it was seen by name: a server echoing it is masked too', () => {
    redactSecrets({ env: { HF_TOKEN: 'hf-echoed-value-8' } })
    expect(redactText('server: loading with hf-echoed-value-8 from the hub')).toBe(`server: loading with ${REDACTED} from the hub`)
    expect(redactText('{"error": "bad header Bearer sk-bearer-9abc"}')).toBe(`{"error": "bad header Bearer ${REDACTED}"}`)
    expect(redactText('{"client_secret": "cs-json-10", "model": "m"}')).toBe(`{"client_secret": "${REDACTED}", "model": "m"}`)
  })

  it('argv: secret flags, and JSON-valued flags redacted inside', () => {
    expect(redactArgv(['bench', '--backend.extraBody', '{"api_key":"sk-argv-12","n":1}', '--backend.env.HF_TOKEN', 'hf-argv-13', '--x.apiKey=sk-argv-14'])).toEqual([
      'bench', '--backend.extraBody', `{"api_key":"${REDACTED}","n":1}`, '--backend.env.HF_TOKEN', REDACTED, `--x.apiKey=${REDACTED}`,
    ])
    expect(redactArgv(['bench', '--backend.extraBody={"auth":{"password":"pw-argv-15"}}'])).toEqual(['bench', `--backend.extraBody={"auth":{"password":"${REDACTED}"}}`])
  })

  it("never changes llem's own identifiers, which name files", () => {
    redactSecrets({ env: { API_TOKEN: 'e46b99' } })
    expect(redactSecrets({ experiment_id: 'echoed-e46b9934', run_id: 'r-e46b99', task_hash: 'e46b9934aa', note: 'id e46b9934' })).toEqual({ experiment_id: 'echoed-e46b9934', run_id: 'r-e46b99', task_hash: 'e46b9934aa', note: `id ${REDACTED}34` })
  })

  it('leaves non-plain objects and ordinary text alone', () => {
    const d = new Date(0)
    expect(redactSecrets({ when: d }).when).toBe(d)
    expect(redactText('max_tokens=8 tokens=3 --port 8000 model=m')).toBe('max_tokens=8 tokens=3 --port 8000 model=m')
  })
})
