/**
 * A Parquet column as the parquet reporter declares it: a name, a type fixed in advance (never
 * guessed from the data) and how to read its value from a row; and the cell conversion that keeps
 * every value to its declared type.
 */
import type { ColumnSource } from 'hyparquet-writer'

export type ColumnType = 'STRING' | 'INT32' | 'INT64' | 'DOUBLE' | 'BOOLEAN' | 'TIMESTAMP'

export interface Column<R> {
  name: string
  type: ColumnType
  get(row: R): unknown
}

export const str = <R>(name: string, get: (r: R) => unknown): Column<R> => ({ name, type: 'STRING', get })
export const dbl = <R>(name: string, get: (r: R) => unknown): Column<R> => ({ name, type: 'DOUBLE', get })
export const i32 = <R>(name: string, get: (r: R) => unknown): Column<R> => ({ name, type: 'INT32', get })
export const i64 = <R>(name: string, get: (r: R) => unknown): Column<R> => ({ name, type: 'INT64', get })

/** A value as its column's type declares it; anything that does not fit is null, never coerced. */
export function cell(type: ColumnType, v: unknown): unknown {
  if (v === null || v === undefined) return null
  switch (type) {
    case 'STRING':
      return typeof v === 'string' ? v : null
    case 'BOOLEAN':
      return typeof v === 'boolean' ? v : null
    case 'DOUBLE':
      return typeof v === 'number' && Number.isFinite(v) ? v : null
    case 'INT32':
      return Number.isInteger(v) && Math.abs(v as number) <= 2 ** 31 - 1 ? v : null
    case 'INT64':
      // the writer takes 64-bit integers as bigint only
      return Number.isSafeInteger(v) ? BigInt(v as number) : null
    case 'TIMESTAMP': {
      const d = typeof v === 'string' && v ? new Date(v) : null
      return d && !Number.isNaN(d.getTime()) ? d : null
    }
  }
}

export function toColumnData<R>(columns: Column<R>[], rows: R[]): ColumnSource[] {
  return columns.map((c) => ({ name: c.name, type: c.type, data: rows.map((r) => cell(c.type, c.get(r))) }))
}
