/**
 * Reads a GGUF file's header, metadata and tensor infos, never the tensor data: model files
 * are many GB and llem only needs the shape and parameter count for provenance and reports.
 * The file is read through a handle in small chunks; big arrays (tokenizer tokens, scores,
 * merges) are walked over and summarised as `{ type, length }` instead of being loaded.
 */
import { open, type FileHandle } from 'node:fs/promises'
import { InputError, maxOf } from 'llem/plugin/runtime'

export interface GgufModelShape {
  layers: number
  hidden: number
  heads: number
  headsKv: number
  ff: number
  vocab: number
  context: number
}

/** Stands in for an array too large to be worth loading. `type` is the element type name. */
export interface GgufArraySummary {
  type: string
  length: number
}

export interface GgufInfo {
  version: number
  /** u64/i64 values are numbers when safe integers, bigints otherwise */
  metadata: Record<string, unknown>
  tensorCount: number
  /** sum over tensors of the product of their dims */
  parameterCount: number
  architecture: string | null
  shape: GgufModelShape | null
  /** `general.file_type` (llama_ftype: 0 all f32, 1 mostly f16, ...), null when absent */
  fileType: number | null
}

/** Arrays longer than these are summarised; per-layer arrays stay loaded. */
const MAX_LOADED_NUMBERS = 4096
const MAX_LOADED_STRINGS = 64
/** Sanity limits that turn a corrupt length into an error instead of a huge allocation or a long walk. */
const MAX_STRING_BYTES = 1 << 26
const MAX_COUNT = 1 << 30

const TYPE_NAMES = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'bool', 'string', 'array', 'u64', 'i64', 'f64']
const FIXED_SIZES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 }

/** Thrown inside the parser; turned into an InputError naming the file at the top. */
class NotGguf extends Error {}

/** Sequential little-endian reads over a file handle, through a refillable window. */
class HandleReader {
  private buf = Buffer.alloc(0)
  private bufStart = 0 // file position of buf[0]
  pos = 0
  constructor(private readonly fh: FileHandle, private readonly size: number) {}

  /** Makes bytes [pos, pos+n) available in `buf`, reading ahead at least 64 KiB. */
  private async need(n: number, what: string): Promise<number> {
    if (this.pos + n > this.size) throw new NotGguf(`truncated: file ends inside ${what} at byte ${this.pos}`)
    const end = this.bufStart + this.buf.length
    if (this.pos >= this.bufStart && this.pos + n <= end) return this.pos - this.bufStart
    const want = Math.min(Math.max(n, 1 << 16), this.size - this.pos)
    const next = Buffer.alloc(want)
    let got = 0
    while (got < want) {
      const { bytesRead } = await this.fh.read(next, got, want - got, this.pos + got)
      if (bytesRead === 0) throw new NotGguf(`truncated: file ends inside ${what} at byte ${this.pos + got}`)
      got += bytesRead
    }
    this.buf = next
    this.bufStart = this.pos
    return 0
  }
  async u32(what: string): Promise<number> {
    const at = await this.need(4, what)
    this.pos += 4
    return this.buf.readUInt32LE(at)
  }
  async u64(what: string): Promise<bigint> {
    const at = await this.need(8, what)
    this.pos += 8
    return this.buf.readBigUInt64LE(at)
  }
  async count(what: string): Promise<number> {
    const n = await this.u64(what)
    if (n > BigInt(MAX_COUNT)) throw new NotGguf(`implausible ${what} ${n}`)
    return Number(n)
  }
  async string(what: string): Promise<string> {
    const len = await this.u64(`${what} length`)
    if (len > BigInt(MAX_STRING_BYTES)) throw new NotGguf(`implausible ${what} length ${len}`)
    const n = Number(len)
    const at = await this.need(n, what)
    this.pos += n
    return this.buf.toString('utf8', at, at + n)
  }
  async skipString(what: string): Promise<void> {
    const len = await this.u64(`${what} length`)
    if (len > BigInt(MAX_STRING_BYTES)) throw new NotGguf(`implausible ${what} length ${len}`)
    this.skip(Number(len), what)
  }
  skip(n: number, what: string): void {
    if (this.pos + n > this.size) throw new NotGguf(`truncated: file ends inside ${what} at byte ${this.pos}`)
    this.pos += n
  }
  async scalar(type: number, what: string): Promise<unknown> {
    if (type === 8) return this.string(what)
    const size = FIXED_SIZES[type]
    if (size === undefined) throw new NotGguf(`unknown value type ${type} in ${what}`)
    const at = await this.need(size, what)
    this.pos += size
    const b = this.buf
    switch (type) {
      case 0: return b.readUInt8(at)
      case 1: return b.readInt8(at)
      case 2: return b.readUInt16LE(at)
      case 3: return b.readInt16LE(at)
      case 4: return b.readUInt32LE(at)
      case 5: return b.readInt32LE(at)
      case 6: return b.readFloatLE(at)
      case 7: return b.readUInt8(at) !== 0
      case 10: return safeNumber(b.readBigUInt64LE(at))
      case 11: return safeNumber(b.readBigInt64LE(at))
      default: return b.readDoubleLE(at)
    }
  }
}

const safeNumber = (v: bigint): number | bigint =>
  v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v

async function readValue(r: HandleReader, type: number, what: string): Promise<unknown> {
  if (type !== 9) return r.scalar(type, what)
  const itemType = await r.u32(`${what} array type`)
  const length = await r.count(`${what} array length`)
  const name = TYPE_NAMES[itemType]
  if (name === undefined) throw new NotGguf(`unknown array element type ${itemType} in ${what}`)
  const limit = itemType === 8 || itemType === 9 ? MAX_LOADED_STRINGS : MAX_LOADED_NUMBERS
  if (length <= limit) {
    const out: unknown[] = []
    for (let i = 0; i < length; i++) out.push(await readValue(r, itemType, what))
    return out
  }
  // Too big to keep: step over it. Fixed-size elements are skipped in one go; strings and
  // nested arrays have to be walked, since each carries its own length.
  const fixed = FIXED_SIZES[itemType]
  if (fixed !== undefined) r.skip(fixed * length, what)
  else if (itemType === 8) for (let i = 0; i < length; i++) await r.skipString(what)
  else for (let i = 0; i < length; i++) await readValue(r, itemType, what)
  const summary: GgufArraySummary = { type: name, length }
  return summary
}

async function parse(fh: FileHandle, size: number): Promise<GgufInfo> {
  const r = new HandleReader(fh, size)
  if (size < 4) throw new NotGguf(`only ${size} bytes long`)
  const magic = await r.u32('magic')
  if (magic !== 0x46554747) throw new NotGguf(`bad magic 0x${magic.toString(16).padStart(8, '0')}, expected "GGUF"`)
  const version = await r.u32('version')
  // v1 used u32 counts and is long obsolete; a byte-swapped version means a big-endian file.
  if (version !== 2 && version !== 3) {
    const hint = (version & 0xffff) === 0 ? ' (big-endian GGUF is not supported)' : ''
    throw new NotGguf(`unsupported GGUF version ${version}${hint}; supported: 2, 3`)
  }
  const tensorCount = await r.count('tensor count')
  const kvCount = await r.count('metadata count')

  const metadata: Record<string, unknown> = {}
  for (let i = 0; i < kvCount; i++) {
    const key = await r.string(`metadata key #${i}`)
    const type = await r.u32(`type of ${key}`)
    metadata[key] = await readValue(r, type, key)
  }

  let parameterCount = 0
  for (let i = 0; i < tensorCount; i++) {
    const name = await r.string(`tensor info #${i} name`)
    const nDims = await r.u32(`dims of ${name}`)
    if (nDims > 8) throw new NotGguf(`tensor ${name} has ${nDims} dims`)
    let elements = 1
    for (let d = 0; d < nDims; d++) elements *= Number(await r.u64(`dims of ${name}`))
    r.skip(4 + 8, `tensor info of ${name}`) // ggml type, data offset
    parameterCount += elements
  }

  const architecture = typeof metadata['general.architecture'] === 'string' ? metadata['general.architecture'] : null
  const fileType = typeof metadata['general.file_type'] === 'number' ? metadata['general.file_type'] : null
  return { version, metadata, tensorCount, parameterCount, architecture, shape: shapeOf(metadata, architecture), fileType }
}

/** A number, or the largest entry of a per-layer array (e.g. head counts in OpenELM-style models). */
function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v
  if (typeof v === 'bigint') return Number(v)
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number')) return maxOf(v as number[])
  return undefined
}

function shapeOf(m: Record<string, unknown>, arch: string | null): GgufModelShape | null {
  if (!arch) return null
  const k = (suffix: string): number | undefined => num(m[`${arch}.${suffix}`])
  const tokens = m['tokenizer.ggml.tokens']
  const tokenCount = Array.isArray(tokens) ? tokens.length : (tokens as GgufArraySummary | undefined)?.length
  const heads = k('attention.head_count')
  const shape = {
    layers: k('block_count'),
    hidden: k('embedding_length'),
    heads,
    headsKv: k('attention.head_count_kv') ?? heads,
    ff: k('feed_forward_length'),
    vocab: k('vocab_size') ?? tokenCount,
    context: k('context_length'),
  }
  return Object.values(shape).every((v) => typeof v === 'number') ? (shape as GgufModelShape) : null
}

/** Header, metadata and tensor infos of the GGUF file at `path`; throws InputError if missing or not GGUF. */
export async function readGgufInfo(path: string): Promise<GgufInfo> {
  let fh: FileHandle
  try {
    fh = await open(path, 'r')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new InputError('MODEL_NOT_FOUND', `model file not found: ${path}`, { file: path, cause: e })
    throw new InputError('MODEL_NOT_GGUF', `${path} is not a GGUF file (cannot open it: ${(e as Error).message})`, { file: path, cause: e })
  }
  try {
    const st = await fh.stat()
    if (!st.isFile()) throw new NotGguf(st.isDirectory() ? 'it is a directory' : 'not a regular file')
    return await parse(fh, st.size)
  } catch (e) {
    if (e instanceof NotGguf) throw new InputError('MODEL_NOT_GGUF', `${path} is not a GGUF file (${e.message})`, { file: path })
    if ((e as NodeJS.ErrnoException).code === 'EISDIR') throw new InputError('MODEL_NOT_GGUF', `${path} is not a GGUF file (it is a directory)`, { file: path })
    throw e
  } finally {
    await fh.close()
  }
}
