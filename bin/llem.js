#!/usr/bin/env node
// The llem command. The TypeScript sources compile to dist/ on `npm install` (the prepare script).
import { existsSync } from 'node:fs'
const entry = new URL('../dist/core/cli/main.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write('llem: dist/ is missing; run `npm run build` in the llem package\n')
  process.exit(1)
}
const { main } = await import(entry.href)
const code = await main(process.argv.slice(2))
// exit only once stdout and stderr are flushed: a pipe (`llem schema | jq`) would otherwise be cut short
await Promise.all([process.stdout, process.stderr].map((s) => new Promise((resolve) => s.write('', resolve))))
process.exit(code)
