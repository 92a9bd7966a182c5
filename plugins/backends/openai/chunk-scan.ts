/**
 * Reads an OpenAI-style streaming chunk straight from the bytes it arrived in, for the fields the
 * client needs: is the first choice's text (chat: delta.content) non-empty, is its finish_reason
 * "length", and the usage counts. JSON.parse of a ~250-byte vLLM chunk, plus decoding it to a string,
 * was most of the client's time per chunk (about 2.5 us on the benchmark VM).
 *
 * The scan checks the whole value is well-formed JSON, but it only ever answers for plainly valid
 * input: an error object, an escaped key, a duplicated or oddly typed field, deep nesting or any
 * syntax error and it gives up (returns false), and the caller parses the text with JSON.parse, which
 * also decides what is malformed. So it accepts nothing JSON.parse would reject and reads no field
 * differently from it.
 */

export interface ChunkFields {
  /** `usage` is an object (truthy) */
  usage: boolean
  /** usage.prompt_tokens / completion_tokens when they are numbers, else NaN */
  promptTokens: number
  completionTokens: number
  /** usage.prompt_tokens_details.cached_tokens when a number (the prompt tokens the server's prefix
   *  cache supplied, OpenAI's field, also llama.cpp's and vLLM's), else NaN; set by every scan */
  cachedTokens?: number
  /** the first choice's text (chat: delta.content) is a non-empty string */
  content: boolean
  /** the first choice's finish_reason is "length" */
  finishLength: boolean
  /** where the content string lies in the buffer, quotes included, and whether it holds an escape:
   *  set with `content` only when the scan is asked for them (`where`), as a caller that keeps the reply
   *  text does (a multi-turn conversation); a single-turn load only counts, and pays nothing for them */
  contentStart?: number
  contentEnd?: number
  contentEscaped?: boolean
}

const GENERIC = 0
const TOP = 1
const CHOICE = 2
const DELTA = 3
const USAGE = 4
const DETAILS = 5
const MAX_DEPTH = 64

// the keys read, one bit each (a duplicate would make JSON.parse keep the last: the scan gives up)
const CHOICES = 1
const USAGE_KEY = 2
const TEXT = 4
const DELTA_KEY = 8
const FINISH = 16
const CONTENT = 32
const PROMPT = 64
const COMPLETION = 128
const DETAILS_KEY = 256
const CACHED = 512
const ERROR = -1

const bytes = (s: string) => Uint8Array.from(Buffer.from(s))
const K_CHOICES = bytes('choices')
const K_USAGE = bytes('usage')
const K_ERROR = bytes('error')
const K_TEXT = bytes('text')
const K_DELTA = bytes('delta')
const K_CONTENT = bytes('content')
const K_FINISH = bytes('finish_reason')
const K_PROMPT = bytes('prompt_tokens')
const K_COMPLETION = bytes('completion_tokens')
const K_DETAILS = bytes('prompt_tokens_details')
const K_CACHED = bytes('cached_tokens')
const V_LENGTH = bytes('"length"')
const L_TRUE = bytes('true')
const L_FALSE = bytes('false')
const L_NULL = bytes('null')

/** Scans bytes [start, end) of `buf` into `fields`; false: not answered, use JSON.parse. `where`:
 *  also say where the content string lies (contentStart, contentEnd, contentEscaped). */
export function scanChunk(buf: Uint8Array, start: number, end: number, chat: boolean, fields: ChunkFields, where = false): boolean {
  return scanner.run(buf, start, end, chat, fields, where)
}

/** 1 for the bytes a JSON string holds as they are (not a control character, quote or backslash) */
const STRING_PLAIN = new Uint8Array(256).map((_, c) => (c >= 32 && c !== 34 && c !== 92 ? 1 : 0))
const isDigit = (c: number) => c >= 48 && c <= 57
const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)

// The cursor lives in an object's fields and hot loops copy it to locals: module-level `let`s cost a
// context slot and a hole check per access, which made an earlier version slower than JSON.parse.
class Scanner {
  b: Uint8Array = new Uint8Array(0)
  p = 0
  e = 0
  chat = false
  /** record where the content string lies */
  where = false
  f: ChunkFields = { usage: false, promptTokens: NaN, completionTokens: NaN, content: false, finishLength: false, contentStart: -1, contentEnd: -1, contentEscaped: false }
  /** the string just read held an escape */
  escaped = false

  run(buf: Uint8Array, start: number, end: number, chat: boolean, fields: ChunkFields, where: boolean): boolean {
    this.b = buf
    this.p = start
    this.e = end
    this.chat = chat
    this.where = where
    this.f = fields
    fields.usage = fields.content = fields.finishLength = false
    fields.promptTokens = fields.completionTokens = fields.cachedTokens = NaN
    this.ws()
    if (this.p >= end || buf[this.p] !== 123 || !this.object(TOP, 0)) return false
    this.ws()
    return this.p === end
  }

  ws(): void {
    // compact JSON has none: a single look decides
    if (this.b[this.p] > 32) return
    const b = this.b
    const e = this.e
    let p = this.p
    while (p < e) {
      const c = b[p]
      if (c !== 32 && c !== 10 && c !== 13 && c !== 9) break
      p++
    }
    this.p = p
  }

  is(s: number, t: number, lit: Uint8Array): boolean {
    if (t - s !== lit.length) return false
    const b = this.b
    for (let i = 0; i < lit.length; i++) if (b[s + i] !== lit[i]) return false
    return true
  }

  /** a string with its opening quote at p */
  string(): boolean {
    const b = this.b
    const e = this.e
    let p = this.p + 1
    let escaped = false
    while (p < e) {
      // most bytes are ordinary: one table look-up each
      if (STRING_PLAIN[b[p]] === 1) {
        p++
        continue
      }
      const c = b[p++]
      if (c === 34) {
        this.p = p
        this.escaped = escaped
        return true
      }
      if (c < 32) return false
      if (c === 92) {
        escaped = true
        const x = p < e ? b[p++] : 0
        if (x === 117) {
          if (p + 4 > e || !isHex(b[p]) || !isHex(b[p + 1]) || !isHex(b[p + 2]) || !isHex(b[p + 3])) return false
          p += 4
        } else if (x !== 34 && x !== 92 && x !== 47 && x !== 98 && x !== 102 && x !== 110 && x !== 114 && x !== 116) return false
      }
    }
    return false
  }

  digits(): boolean {
    const b = this.b
    const e = this.e
    const s = this.p
    let p = s
    while (p < e && isDigit(b[p])) p++
    this.p = p
    return p > s
  }

  number(): boolean {
    const b = this.b
    const e = this.e
    if (b[this.p] === 45) this.p++
    if (this.p < e && b[this.p] === 48) this.p++
    else if (!this.digits()) return false
    if (this.p < e && b[this.p] === 46) {
      this.p++
      if (!this.digits()) return false
    }
    if (this.p < e && (b[this.p] === 101 || b[this.p] === 69)) {
      this.p++
      if (this.p < e && (b[this.p] === 43 || b[this.p] === 45)) this.p++
      if (!this.digits()) return false
    }
    return true
  }

  /** the number just read, from p0 to p, as JSON.parse would give it */
  numberValue(p0: number): number {
    const b = this.b
    // plain integers below 10^15 are exact digit by digit; anything else goes through Number()
    if (this.p - p0 <= 15) {
      let n = 0
      let i = p0
      for (; i < this.p && isDigit(b[i]); i++) n = n * 10 + (b[i] - 48)
      if (i === this.p) return n
    }
    let text = ''
    for (let i = p0; i < this.p; i++) text += String.fromCharCode(b[i])
    return Number(text)
  }

  literal(lit: Uint8Array): boolean {
    if (!this.is(this.p, Math.min(this.p + lit.length, this.e), lit)) return false
    this.p += lit.length
    return true
  }

  value(depth: number): boolean {
    if (this.p >= this.e) return false
    const c = this.b[this.p]
    if (c === 34) return this.string()
    if (c === 123) return this.object(GENERIC, depth + 1)
    if (c === 91) return this.array(depth + 1, false)
    if (c === 116) return this.literal(L_TRUE)
    if (c === 102) return this.literal(L_FALSE)
    if (c === 110) return this.literal(L_NULL)
    return this.number()
  }

  /** an array at p; `choices`: its first element must be an object, read as the choice */
  array(depth: number, choices: boolean): boolean {
    if (depth > MAX_DEPTH) return false
    const b = this.b
    this.p++
    this.ws()
    if (this.p < this.e && b[this.p] === 93) return this.p++, true
    if (choices ? !(this.p < this.e && b[this.p] === 123 && this.object(CHOICE, depth + 1)) : !this.value(depth)) return false
    for (;;) {
      this.ws()
      if (this.p >= this.e) return false
      if (b[this.p] === 93) return this.p++, true
      if (b[this.p] !== 44) return false
      this.p++
      this.ws()
      if (!this.value(depth)) return false
    }
  }

  /** a string or null; a non-empty string is content */
  text(): boolean {
    const s = this.p
    if (this.b[s] === 110) return this.literal(L_NULL)
    if (this.b[s] !== 34 || !this.string()) return false
    const f = this.f
    f.content = this.p - s > 2
    if (this.where) {
      f.contentStart = s
      f.contentEnd = this.p
      f.contentEscaped = this.escaped
    }
    return true
  }

  /** which of the keys that matter in an object of `kind` the key [ks, ke) is (0: none) */
  keyOf(kind: number, ks: number, ke: number): number {
    const n = ke - ks
    if (kind === TOP) return n === 7 ? (this.is(ks, ke, K_CHOICES) ? CHOICES : 0) : n === 5 ? (this.is(ks, ke, K_USAGE) ? USAGE_KEY : this.is(ks, ke, K_ERROR) ? ERROR : 0) : 0
    if (kind === CHOICE) {
      if (n === 13) return this.is(ks, ke, K_FINISH) ? FINISH : 0
      return this.chat ? (n === 5 && this.is(ks, ke, K_DELTA) ? DELTA_KEY : 0) : n === 4 && this.is(ks, ke, K_TEXT) ? TEXT : 0
    }
    if (kind === DELTA) return n === 7 && this.is(ks, ke, K_CONTENT) ? CONTENT : 0
    if (kind === DETAILS) return n === 13 && this.is(ks, ke, K_CACHED) ? CACHED : 0
    if (n === 21) return this.is(ks, ke, K_DETAILS) ? DETAILS_KEY : 0
    return n === 13 ? (this.is(ks, ke, K_PROMPT) ? PROMPT : 0) : n === 17 && this.is(ks, ke, K_COMPLETION) ? COMPLETION : 0
  }

  /** the value of a key that matters; false: give up */
  member(key: number, depth: number): boolean {
    const c = this.b[this.p]
    if (key === CHOICES) return c === 110 ? this.literal(L_NULL) : c === 91 && this.array(depth + 1, true)
    if (key === USAGE_KEY) {
      if (c === 110) return this.literal(L_NULL)
      this.f.usage = true
      return c === 123 && this.object(USAGE, depth + 1)
    }
    if (key === TEXT || key === CONTENT) return this.text()
    if (key === DELTA_KEY) return c === 110 ? this.literal(L_NULL) : c === 123 && this.object(DELTA, depth + 1)
    // any other value (null, a number) holds no cached count, as optional chaining reads it
    if (key === DETAILS_KEY) return c === 123 ? this.object(DETAILS, depth + 1) : this.value(depth)
    if (key === FINISH) {
      if (c === 110) return this.literal(L_NULL)
      const s = this.p
      if (c !== 34 || !this.string() || this.escaped) return false
      this.f.finishLength = this.is(s, this.p, V_LENGTH)
      return true
    }
    // prompt_tokens, completion_tokens: kept when numbers, as `typeof === 'number'` would
    if (c !== 45 && !isDigit(c)) return this.value(depth)
    const s = this.p
    if (!this.number()) return false
    if (key === PROMPT) this.f.promptTokens = this.numberValue(s)
    else if (key === CACHED) this.f.cachedTokens = this.numberValue(s)
    else this.f.completionTokens = this.numberValue(s)
    return true
  }

  object(kind: number, depth: number): boolean {
    if (depth > MAX_DEPTH) return false
    const b = this.b
    this.p++
    this.ws()
    if (this.p < this.e && b[this.p] === 125) return this.p++, true
    let seen = 0
    for (;;) {
      if (this.p >= this.e || b[this.p] !== 34) return false
      const ks = this.p + 1
      if (!this.string()) return false
      const ke = this.p - 1
      let key = 0
      if (kind !== GENERIC) {
        // an escaped key might spell one that matters
        if (this.escaped) return false
        key = this.keyOf(kind, ks, ke)
        if (key === ERROR || (seen & key) !== 0) return false
        seen |= key
      }
      this.ws()
      if (this.p >= this.e || b[this.p] !== 58) return false
      this.p++
      this.ws()
      if (this.p >= this.e || !(key === 0 ? this.value(depth) : this.member(key, depth))) return false
      this.ws()
      if (this.p >= this.e) return false
      if (b[this.p] === 125) return this.p++, true
      if (b[this.p] !== 44) return false
      this.p++
      this.ws()
    }
  }
}

const scanner = new Scanner()
