/**
 * The openai client's own HTTP/1.1 and SSE reading against a raw TCP peer that sends exactly the bytes
 * scripted: heads and events split mid-byte-sequence, chunk extensions and trailers, 1xx responses,
 * content-length and close-delimited bodies, broken chunk sizes, resets, error objects, odd JSON.
 * Each case gives the outcome (token counts and finish reason, or the error's kind and message) and
 * how the tokens reached the sink (one onTokens call per chunk that arrived, `+`-joined). These are
 * the outcomes of the node:http client this one replaced (one wording differs: a bad chunk size).
 */
import { describe, expect, it } from 'vitest'
import { streamCompletion } from '../plugins/backends/openai/sse-stream.js'
import { event, frame, split, startRawPeer, type RawScript } from './fixtures/sse-raw-peer.js'

const H = (extra = 'Transfer-Encoding: chunked\r\n', status = '200 OK') => `HTTP/1.1 ${status}\r\nContent-Type: text/event-stream\r\n${extra}\r\n`
const usage = (n: number) => `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: n } })}\n\n`
const DONE = 'data: [DONE]\n\n'
const body3 = event(' a') + event(' b') + event(' c') + usage(3) + DONE
const chunkedAll = (evs: string[]) => Buffer.concat([...evs.map((e) => frame(e)), Buffer.from('0\r\n\r\n')])
const evs = [event(' a'), event(' b'), event(' c'), usage(3), DONE]
const utf = [event(' héllo ✓ 😀'), event('日本'), usage(2), DONE]

type Options = { chat?: boolean; timeoutMs?: number; abortMs?: number; url?: string }
const cases: [string, RawScript, Options?][] = [
  ['chunked frames', { pieces: [H(), ...evs.map((e) => frame(e)), '0\r\n\r\n'] }],
  ['head split byte by byte', { pieces: [...split(H(), 1), ...evs.map((e) => frame(e)), '0\r\n\r\n'], gapMs: 1 }],
  ['everything byte by byte incl. utf-8', { pieces: split(Buffer.concat([Buffer.from(H()), chunkedAll(utf)]), 1), gapMs: 0 }],
  ['everything in 7-byte pieces', { pieces: split(Buffer.concat([Buffer.from(H()), chunkedAll(utf)]), 7), gapMs: 1 }],
  ['all in one write', { pieces: [Buffer.concat([Buffer.from(H()), chunkedAll(evs)])] }],
  ['several events in one frame', { pieces: [H(), frame(event(' a') + event(' b') + event(' c')), frame(usage(3) + DONE), '0\r\n\r\n'] }],
  ['content-length', { pieces: [H(`Content-Length: ${Buffer.byteLength(body3)}\r\n`), ...split(body3, 50)], close: false }],
  ['close-delimited', { pieces: [H(''), ...split(body3, 40)] }],
  ['chunk extension and trailers', { pieces: [H(), frame(evs[0], ';x=1'), ...evs.slice(1).map((e) => frame(e)), '0\r\nX-Trailer: 1\r\n\r\n'] }],
  ['100 continue first', { pieces: ['HTTP/1.1 100 Continue\r\n\r\n', H(), ...evs.map((e) => frame(e)), '0\r\n\r\n'] }],
  ['crlf events, comments, event: lines', { pieces: [H(), frame(': keep-alive\r\n\r\n'), frame('event: message\r\n' + event(' a').replace(/\n/g, '\r\n')), frame(event(' b')), frame(usage(2)), frame(DONE), '0\r\n\r\n'] }],
  ['multi-line data', { pieces: [H(), frame('data: {"choices":\ndata: [{"text":"a"}]}\n\n'), frame(DONE), '0\r\n\r\n'] }],
  ['data without space, tab', { pieces: [H(), frame('data:{"choices":[{"text":"a"}]}\n\n'), frame('data:\t {"choices":[{"text":"b"}]}\n\n'), frame('data:\n\n'), frame(DONE), '0\r\n\r\n'] }],
  ['503 chunked body', { pieces: [H('Transfer-Encoding: chunked\r\n', '503 Service Unavailable'), frame('{"error":\n "busy"}'), '0\r\n\r\n'] }],
  ['404 content-length', { pieces: [H('Content-Length: 9\r\n', '404 Not Found'), 'not found'], close: false }],
  ['invalid chunk size', { pieces: [H(), 'zz\r\n', event('a')] }],
  ['reset mid-body', { pieces: [H(), frame(evs[0]), frame(evs[1])], reset: true }],
  ['close mid-body', { pieces: [H(), frame(evs[0]), frame(evs[1])] }],
  ['close before head', { pieces: [] }],
  ['close mid-head', { pieces: ['HTTP/1.1 200 OK\r\nContent-'] }],
  ['error object', { pieces: [H(), frame(evs[0]), frame('data: {"error":{"message":"overloaded","code":503}}\n\n'), '0\r\n\r\n'] }],
  ['error null', { pieces: [H(), frame('data: {"error":null,"choices":[{"text":"x"}]}\n\n'), frame(DONE), '0\r\n\r\n'] }],
  ['malformed json', { pieces: [H(), frame(evs[0]), frame('data: {"choices":[{"text":"x"}]\n\n'), '0\r\n\r\n'] }],
  ['json null data', { pieces: [H(), frame('data: null\n\n'), '0\r\n\r\n'] }],
  ['ended before DONE', { pieces: [H(), frame(evs[0]), frame(evs[1]), '0\r\n\r\n'] }],
  ['empty stream', { pieces: [H(), '0\r\n\r\n'] }],
  ['chat', { pieces: [H(), frame('data: {"choices":[{"delta":{"role":"assistant"}}]}\n\n'), frame('data: {"choices":[{"delta":{"content":"hi"}}]}\n\n'), frame('data: {"choices":[{"delta":{"content":""},"finish_reason":"length"}]}\n\n'), frame(usage(1)), frame(DONE), '0\r\n\r\n'] }, { chat: true }],
  ['continuous usage, 4 per chunk', { pieces: [H(), frame(event(' a b c d', { usage: { prompt_tokens: 3, completion_tokens: 4 } })), frame(event(' e f g h', { usage: { prompt_tokens: 3, completion_tokens: 8 } })), frame('data: {"choices":[{"text":"","finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":8}}\n\n'), frame(DONE), '0\r\n\r\n'] }],
  ['data after DONE ignored', { pieces: [H(), frame(evs[0]), frame(DONE), frame(event(' z')), frame('data: {bad\n\n'), '0\r\n\r\n'] }],
  ['hang -> timeout', { pieces: [H(), frame(evs[0])], close: false }, { timeoutMs: 200 }],
  ['abort', { pieces: [H(), frame(evs[0])], close: false }, { abortMs: 100 }],
  ['refused', { pieces: [] }, { url: 'http://127.0.0.1:9/v1/completions' }],
  ['escaped keys and odd types', { pieces: [H(), frame('data: {"choices":[{"t\\u0065xt":"a"}]}\n\n'), frame('data: {"choices":{"0":{"text":"b"}}}\n\n'), frame('data: {"choices":[{"text":5}]}\n\n'), frame('data: {"choices":[{"text":"x","text":""}]}\n\n'), frame(DONE), '0\r\n\r\n'] }],
]

async function runOne(script: RawScript, o: Options = {}) {
  const peer = await startRawPeer(() => script)
  const calls: number[] = []
  const ac = new AbortController()
  if (o.abortMs) setTimeout(() => ac.abort(), o.abortMs)
  try {
    const r = await streamCompletion({ url: o.url ?? `${peer.url}/completions`, body: { x: 1 }, headers: { authorization: 'Bearer k' }, timeoutMs: o.timeoutMs ?? 3000, chat: o.chat ?? false, signal: ac.signal }, { onTokens: (n) => calls.push(n) })
    return { ok: r, calls: calls.join('+'), req: peer.requests[0]?.split('\r\n')[0] }
  } catch (e) {
    const err = e as Error & { kind?: string }
    return { err: `${err.kind ?? err.name}: ${err.message}`, calls: calls.join('+') }
  } finally {
    await peer.close()
  }
}

const expected: Record<string, unknown> = {
  'chunked frames': {
    'ok': {
      'promptTokens': 3,
      'completionTokens': 3,
      'chunkTokens': 3,
      'finishReason': 'stop',
    },
    'calls': '1+1+1',
    'req': 'POST /v1/completions HTTP/1.1',
  },
  'head split byte by byte': {
    'ok': {
      'promptTokens': 3,
      'completionTokens': 3,
      'chunkTokens': 3,
      'finishReason': 'stop',
    },
    'calls': '1+1+1',
    'req': 'POST /v1/completions HTTP/1.1',
  },
  'everything byte by byte incl. utf-8': {
    'ok': {
      'promptTokens': 3,
      'completionTokens': 2,
      'chunkTokens': 2,
      'finishReason': 'stop',
    },
    'calls': '1+1',
    'req': 'POST /v1/completions HTTP/1.1',
  },
  'everything in 7-byte pieces': {
    'ok': {
      'promptTokens': 3,
      'completionTokens': 2,
      'chunkTokens': 2,
      'finishReason': 'stop',
    },
    'calls': '1+1',
    'req': 'POST /v1/completions HTTP/1.1',
  },
  'all in one write': {
    'ok': {
      'promptTokens': 3,
      'completionTokens': 3,
      'chunkTokens': 3,
      'finishReason': 'stop',
    },
    'calls': '1+1+1',
    'req': 'POST /v1/completions HTTP/1.1',
  },
  'several events in one frame': {
    'ok': {
      'promptTokens': 3,
      'completionTokens': 3,
      'chunkTokens': 3,
      'finishReason': 'stop',
    },
    'calls': '3',
    'req': 'POST /v1/completions HTTP/1.1',
  },
  'content-length': {
    'ok': {
      'promptTokens': 3,
      'completionTokens': 3,
      'chunkTokens': 3,
      'finishReason': 'stop',
    },
    'calls': '1+1+1',
    'req': 'POST /v1/completions HTTP/1.1',
  },
  'close-delimited': {
    'ok': {
      'promptTokens': 3,
      'completionTokens': 3,
      'chunkTokens': 3,
      'finishReason': 'stop',
    },
    'calls': '1+1+1',
    'req': 'POST /v1/completions HTTP/1.1',
  },
  'chunk extension and trailers': {
    'ok': {
      'promptTokens': 3,
      'completionTokens': 3,
      'chunkTokens': 3,
      'finishReason': 'stop',
    },
    'calls': '1+1+1',
    'req': 'POST /v1/completions HTTP/1.1',
  },
  '100 continue first': {
    'ok': {
      'promptTokens': 3,
      'completionTokens': 3,
      'chunkTokens': 3,
      'finishReason': 'stop',
    },
    'calls': '1+1+1',
    'req': 'POST /v1/completions HTTP/1.1',
  },
  'crlf events, comments, event: lines': {
    'ok': {
      'promptTokens': 3,
      'completionTokens': 2,
      'chunkTokens': 2,
      'finishReason': 'stop',
    },
    'calls': '1+1',
    'req': 'POST /v1/completions HTTP/1.1',
  },
  'multi-line data': {
    'ok': {
      'promptTokens': null,
      'completionTokens': null,
      'chunkTokens': 1,
      'finishReason': 'stop',
    },
    'calls': '1',
    'req': 'POST /v1/completions HTTP/1.1',
  },
  'data without space, tab': {
    'ok': {
      'promptTokens': null,
      'completionTokens': null,
      'chunkTokens': 2,
      'finishReason': 'stop',
    },
    'calls': '1+1',
    'req': 'POST /v1/completions HTTP/1.1',
  },
  '503 chunked body': {
    'err': 'http: HTTP 503 Service Unavailable: {"error": "busy"}',
    'calls': '',
  },
  '404 content-length': {
    'err': 'http: HTTP 404 Not Found: not found',
    'calls': '',
  },
  'invalid chunk size': {
    'err': 'network: connection failed: invalid chunk size in the response',
    'calls': '',
  },
  'reset mid-body': {
    'err': 'network: connection failed: read ECONNRESET (ECONNRESET)',
    'calls': '1+1',
  },
  'close mid-body': {
    'err': 'network: connection failed: the server closed the stream mid-response',
    'calls': '1+1',
  },
  'close before head': {
    'err': 'network: connection failed: socket hang up (ECONNRESET)',
    'calls': '',
  },
  'close mid-head': {
    'err': 'network: connection failed: socket hang up (ECONNRESET)',
    'calls': '',
  },
  'error object': {
    'err': 'http: server error in stream: {"message":"overloaded","code":503}',
    'calls': '1',
  },
  'error null': {
    'ok': {
      'promptTokens': null,
      'completionTokens': null,
      'chunkTokens': 1,
      'finishReason': 'stop',
    },
    'calls': '1',
    'req': 'POST /v1/completions HTTP/1.1',
  },
  'malformed json': {
    'err': 'malformed: malformed SSE data: {"choices":[{"text":"x"}]',
    'calls': '1',
  },
  'json null data': {
    'err': 'malformed: malformed SSE data: null',
    'calls': '',
  },
  'ended before DONE': {
    'err': 'network: connection failed: the stream ended before [DONE]',
    'calls': '1+1',
  },
  'empty stream': {
    'err': 'malformed: the stream ended without data or [DONE]',
    'calls': '',
  },
  'chat': {
    'ok': {
      'promptTokens': 3,
      'completionTokens': 1,
      'chunkTokens': 1,
      'finishReason': 'length',
    },
    'calls': '1',
    'req': 'POST /v1/completions HTTP/1.1',
  },
  'continuous usage, 4 per chunk': {
    'ok': {
      'promptTokens': 3,
      'completionTokens': 8,
      'chunkTokens': 8,
      'finishReason': 'length',
    },
    'calls': '4+4',
    'req': 'POST /v1/completions HTTP/1.1',
  },
  'data after DONE ignored': {
    'ok': {
      'promptTokens': null,
      'completionTokens': null,
      'chunkTokens': 1,
      'finishReason': 'stop',
    },
    'calls': '1',
    'req': 'POST /v1/completions HTTP/1.1',
  },
  'hang -> timeout': {
    'err': 'timeout: request timed out after 200 ms',
    'calls': '1',
  },
  'abort': {
    'err': 'network: request aborted',
    'calls': '1',
  },
  'refused': {
    'err': 'network: connection failed: connect ECONNREFUSED 127.0.0.1:9 (ECONNREFUSED)',
    'calls': '',
  },
  'escaped keys and odd types': {
    'ok': {
      'promptTokens': null,
      'completionTokens': null,
      'chunkTokens': 3,
      'finishReason': 'stop',
    },
    'calls': '1+1+1',
    'req': 'POST /v1/completions HTTP/1.1',
  },
}

describe('the openai client against raw bytes', () => {
  for (const [name, script, o] of cases)
    it(name, async () => {
      const got = await runOne(script, o)
      const want = expected[name] as { err?: string }
      // the kernel's wording for a refused connection carries the port; the rest is exact
      if (name === 'refused') expect(got.err).toMatch(/^network: connection failed: connect ECONNREFUSED/)
      else expect(got).toEqual(want)
    })
})
