#!/usr/bin/env node
// The llem command. The TypeScript sources compile to dist/ on `npm install` (the prepare script).
import { existsSync } from 'node:fs'
const entry = new URL('../dist/core/cli/main.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write('llem: dist/ is missing; run `npm run build` in the llem package\n')
  process.exit(1)
}
const { main } = await import(entry.href)
process.exit(await main(process.argv.slice(2)))
