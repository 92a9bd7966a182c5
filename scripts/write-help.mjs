// Writes dist/help.txt: what `llem --help` prints, taken from the CLI itself once the build is done, so
// that bin/llem.js can print it without importing the CLI (Node's ES module loader costs ~20 ms for
// the handful of modules the CLI needs, a fifth of `llem --help` on a slow machine). Run by `npm run build`.
import { writeFileSync } from 'node:fs'

const { main } = await import(new URL('../dist/core/cli/main.js', import.meta.url).href)
const chunks = []
const write = process.stdout.write
process.stdout.write = (chunk) => (chunks.push(String(chunk)), true)
const log = console.log
console.log = (...args) => chunks.push(args.join(' ') + '\n')
let code
try {
  code = await main(['--help'])
} finally {
  process.stdout.write = write
  console.log = log
}
if (code !== 0 || chunks.length === 0) throw new Error(`llem --help exited ${code} with ${chunks.length} pieces of output: dist/help.txt not written`)
writeFileSync(new URL('../dist/help.txt', import.meta.url), chunks.join(''))
