#!/usr/bin/env node
// The llem command. The TypeScript sources compile to dist/ on `npm install` (the prepare script).
import { existsSync, readFileSync } from 'node:fs'

const flush = () => Promise.all([process.stdout, process.stderr].map((s) => new Promise((resolve) => s.write('', resolve))))
const argv = process.argv.slice(2)
// `llem --help` prints the text the build took from the CLI (scripts/write-help.mjs) without loading
// the CLI; if it is missing, the CLI prints it
if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) {
  const help = new URL('../dist/help.txt', import.meta.url)
  if (existsSync(help)) {
    process.stdout.write(readFileSync(help))
    await flush()
    process.exit(0)
  }
}
const entry = new URL('../dist/core/cli/main.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write('llem: dist/ is missing; run `npm run build` in the llem package\n')
  process.exit(1)
}
const { main } = await import(entry.href)
const code = await main(argv)
// exit only once stdout and stderr are flushed: a pipe (`llem schema | jq`) would otherwise be cut short
await flush()
process.exit(code)
