/**
 * jiti's createJiti, loaded through require. jiti's ES module entry imports its 190 KB CommonJS
 * bundle, which Node then scans for named exports (cjs-module-lexer) at every start: 30-40 ms of
 * `llem list` here. Its CommonJS entry is the same function (same options, same native import
 * beside it in jiti's lib/) without the scan.
 */
import { createRequire } from 'node:module'
import type { createJiti as CreateJiti } from 'jiti'

export const createJiti: typeof CreateJiti = (createRequire(import.meta.url)('jiti') as { createJiti: typeof CreateJiti }).createJiti
