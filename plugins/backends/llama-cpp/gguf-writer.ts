/**
 * Minimal GGUF v3 writer: typed metadata, f32 tensors, streamed to disk.
 *
 * Why it exists: llem's random-weight models (random-model.ts) let users benchmark an
 * architecture's shape without downloading weights. A 26M-parameter f32 model is ~100 MB,
 * so the header is built in memory (it is small) and tensor data is written chunk by
 * chunk from generators, never held whole.
 *
 * Layout (all little-endian): magic "GGUF", u32 version, u64 tensor count, u64 kv count,
 * the KVs, the tensor infos, zero padding to `alignment`, then each tensor's data at its
 * recorded offset (relative to the start of the data section, aligned too).
 */
import { open, type FileHandle } from 'node:fs/promises'
import { endianness } from 'node:os'

export const GGUF_MAGIC = 0x46554747 // "GGUF" read as a little-endian u32
export const GGUF_DEFAULT_ALIGNMENT = 32

/** GGUF metadata value type ids, as in the spec (gguf_type). */
export const GgufType = {
  u8: 0,
  i8: 1,
  u16: 2,
  i16: 3,
  u32: 4,
  i32: 5,
  f32: 6,
  bool: 7,
  string: 8,
  array: 9,
  u64: 10,
  i64: 11,
  f64: 12,
} as const
export type GgufScalarTypeName = Exclude<keyof typeof GgufType, 'array'>

/** One typed metadata value. Arrays hold scalars or strings (GGUF allows nested arrays; we never need them). */
export type GgufValue =
  | { type: 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64'; value: number }
  | { type: 'u64' | 'i64'; value: number | bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; itemType: 'string'; value: readonly string[] }
  | {
      type: 'array'
      itemType: Exclude<GgufScalarTypeName, 'string' | 'bool' | 'u64' | 'i64'>
      value: ArrayLike<number>
    }

/** Shorthands so call sites read like the llama.cpp key tables. */
export const gguf = {
  u32: (value: number): GgufValue => ({ type: 'u32', value }),
  i32: (value: number): GgufValue => ({ type: 'i32', value }),
  f32: (value: number): GgufValue => ({ type: 'f32', value }),
  u64: (value: number | bigint): GgufValue => ({ type: 'u64', value }),
  bool: (value: boolean): GgufValue => ({ type: 'bool', value }),
  str: (value: string): GgufValue => ({ type: 'string', value }),
  strArray: (value: readonly string[]): GgufValue => ({ type: 'array', itemType: 'string', value }),
  f32Array: (value: ArrayLike<number>): GgufValue => ({ type: 'array', itemType: 'f32', value }),
  i32Array: (value: ArrayLike<number>): GgufValue => ({ type: 'array', itemType: 'i32', value }),
}

/** An f32 tensor whose data is produced lazily, in order, as chunks (any sizes summing to the element count). */
export interface GgufTensor {
  name: string
  /** innermost (fastest-varying) dimension first, as GGUF stores them */
  dims: readonly number[]
  data: () => Iterable<Float32Array>
}

export interface GgufFile {
  /** insertion order is kept; `general.alignment` is added when absent */
  metadata: Record<string, GgufValue>
  tensors: readonly GgufTensor[]
  alignment?: number
}

const TYPE_F32 = 0 // ggml_type GGML_TYPE_F32

/** Grows a byte buffer for the header; the header is at most a few MB (token lists). */
class ByteSink {
  private buf = Buffer.alloc(1 << 16)
  length = 0
  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n))
    this.buf.copy(next, 0, 0, this.length)
    this.buf = next
  }
  u8(v: number): void { this.reserve(1); this.buf.writeUInt8(v, this.length); this.length += 1 }
  i8(v: number): void { this.reserve(1); this.buf.writeInt8(v, this.length); this.length += 1 }
  u16(v: number): void { this.reserve(2); this.buf.writeUInt16LE(v, this.length); this.length += 2 }
  i16(v: number): void { this.reserve(2); this.buf.writeInt16LE(v, this.length); this.length += 2 }
  u32(v: number): void { this.reserve(4); this.buf.writeUInt32LE(v, this.length); this.length += 4 }
  i32(v: number): void { this.reserve(4); this.buf.writeInt32LE(v, this.length); this.length += 4 }
  f32(v: number): void { this.reserve(4); this.buf.writeFloatLE(v, this.length); this.length += 4 }
  f64(v: number): void { this.reserve(8); this.buf.writeDoubleLE(v, this.length); this.length += 8 }
  u64(v: number | bigint): void { this.reserve(8); this.buf.writeBigUInt64LE(BigInt(v), this.length); this.length += 8 }
  i64(v: number | bigint): void { this.reserve(8); this.buf.writeBigInt64LE(BigInt(v), this.length); this.length += 8 }
  str(s: string): void {
    const bytes = Buffer.from(s, 'utf8')
    this.u64(bytes.length)
    this.reserve(bytes.length)
    bytes.copy(this.buf, this.length)
    this.length += bytes.length
  }
  zeros(n: number): void { this.reserve(n); this.buf.fill(0, this.length, this.length + n); this.length += n }
  bytes(): Buffer { return this.buf.subarray(0, this.length) }
}

function writeScalar(sink: ByteSink, type: GgufScalarTypeName, v: unknown): void {
  switch (type) {
    case 'u8': return sink.u8(v as number)
    case 'i8': return sink.i8(v as number)
    case 'u16': return sink.u16(v as number)
    case 'i16': return sink.i16(v as number)
    case 'u32': return sink.u32(v as number)
    case 'i32': return sink.i32(v as number)
    case 'f32': return sink.f32(v as number)
    case 'f64': return sink.f64(v as number)
    case 'u64': return sink.u64(v as number | bigint)
    case 'i64': return sink.i64(v as number | bigint)
    case 'bool': return sink.u8(v ? 1 : 0)
    case 'string': return sink.str(v as string)
  }
}

function writeValue(sink: ByteSink, value: GgufValue): void {
  sink.u32(GgufType[value.type])
  if (value.type !== 'array') return writeScalar(sink, value.type, value.value)
  sink.u32(GgufType[value.itemType])
  sink.u64(value.value.length)
  for (let i = 0; i < value.value.length; i++) writeScalar(sink, value.itemType, value.value[i])
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a

function elementCount(t: GgufTensor): number {
  if (t.dims.length < 1 || t.dims.length > 4) throw new Error(`tensor ${t.name}: GGUF needs 1 to 4 dims, got ${t.dims.length}`)
  let n = 1
  for (const d of t.dims) {
    if (!Number.isSafeInteger(d) || d < 1) throw new Error(`tensor ${t.name}: bad dimension ${d}`)
    n *= d
  }
  return n
}

/** Serialises everything before the tensor data, including the padding up to the data section. */
export function buildGgufHeader(file: GgufFile): { header: Buffer; offsets: number[]; sizes: number[] } {
  const alignment = file.alignment ?? GGUF_DEFAULT_ALIGNMENT
  const metadata: Record<string, GgufValue> = { ...file.metadata }
  // llama.cpp reads general.alignment to find the data section; always state it.
  metadata['general.alignment'] ??= gguf.u32(alignment)
  const entries = Object.entries(metadata)

  const sink = new ByteSink()
  sink.u32(GGUF_MAGIC)
  sink.u32(3)
  sink.u64(file.tensors.length)
  sink.u64(entries.length)
  for (const [key, value] of entries) {
    sink.str(key)
    writeValue(sink, value)
  }
  const offsets: number[] = []
  const sizes: number[] = []
  let offset = 0
  for (const t of file.tensors) {
    const size = elementCount(t) * 4
    sink.str(t.name)
    sink.u32(t.dims.length)
    for (const d of t.dims) sink.u64(d)
    sink.u32(TYPE_F32)
    sink.u64(offset)
    offsets.push(offset)
    sizes.push(size)
    offset = alignUp(offset + size, alignment)
  }
  sink.zeros(alignUp(sink.length, alignment) - sink.length)
  return { header: sink.bytes(), offsets, sizes }
}

async function writeAll(fh: FileHandle, buf: Uint8Array): Promise<void> {
  let done = 0
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done)
    done += bytesWritten
  }
}

/**
 * Writes `file` to `path` (created or truncated) and fsyncs it. Atomic placement
 * (temp file + rename) is the caller's job, since only it knows the final name.
 * Returns the number of bytes written.
 */
export async function writeGguf(path: string, file: GgufFile): Promise<number> {
  // Float32Array views are copied to disk as-is, which is only right on little-endian hosts.
  if (endianness() !== 'LE') throw new Error('writing GGUF is only supported on little-endian hosts')
  const alignment = file.alignment ?? GGUF_DEFAULT_ALIGNMENT
  const { header, sizes } = buildGgufHeader(file)
  const padding = new Uint8Array(alignment)
  const fh = await open(path, 'w')
  try {
    await writeAll(fh, header)
    let written = header.length
    for (let i = 0; i < file.tensors.length; i++) {
      const t = file.tensors[i]
      let bytes = 0
      for (const chunk of t.data()) {
        await writeAll(fh, new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
        bytes += chunk.byteLength
      }
      if (bytes !== sizes[i]) throw new Error(`tensor ${t.name}: data has ${bytes / 4} elements, dims say ${sizes[i] / 4}`)
      written += bytes
      // Pad after every tensor, the last included: ggml's own writer does, and gguf readers
      // that size the data section as the sum of padded tensor sizes expect it.
      const pad = alignUp(written, alignment) - written
      if (pad > 0) await writeAll(fh, padding.subarray(0, pad))
      written += pad
    }
    await fh.sync()
    return written
  } finally {
    await fh.close()
  }
}
