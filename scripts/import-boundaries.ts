/**
 * The layering rules of the source tree, checked on every import TypeScript's own parser finds
 * (static imports and re-exports, and dynamic import() of a string):
 *
 * - core/ imports plugins/ only from the registries that name the built-in plugins;
 * - plugins/ import core/ only through its plugin entries, by their package names `llem/plugin`
 *   (core/plugin.ts) and `llem/plugin/runtime` (core/plugin-runtime.ts, the same without zod): no
 *   relative path into core/, the entries included, and not `llem` itself (core/index.ts). There are
 *   no exceptions;
 * - core/'s runtime imports (static, not type-only) form no cycle.
 *
 * `npx jiti scripts/import-boundaries.ts` prints every violation with its file:line; the test
 * test/import-boundaries.test.ts runs the same check in `npm test`. eslint.config.js states the first
 * two rules again as lint rules, so that an editor flags a violation as it is typed; this check stays as the
 * one that also sees cycles and needs nothing installed but TypeScript.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'

export interface ImportEdge {
  /** repository-relative, forward slashes */
  from: string
  to: string
  line: number
  /** erased at run time (import type / export type), or loaded lazily (import()) */
  typeOnly: boolean
  dynamic: boolean
  /** named by the package's own name (`llem`, `llem/plugin`), not by a relative path */
  byName: boolean
}

/** The registries: the only core files that name built-in plugins. */
export const CORE_REGISTRIES = ['core/plugins/builtins.ts', 'core/reporters/builtin-reporters.ts']
/** The one core module plugins are meant to import, and the name they import it by. */
export const PLUGIN_ENTRY = 'core/plugin.ts'
export const PLUGIN_ENTRY_NAME = 'llem/plugin'
/** the same without zod, for the plugin modules the experiment worker loads */
export const PLUGIN_RUNTIME_ENTRY = 'core/plugin-runtime.ts'
export const PLUGIN_RUNTIME_ENTRY_NAME = 'llem/plugin/runtime'
/** what the package's exports map its own names to, in source (package.json "exports") */
const SELF_NAMES: Record<string, string> = { llem: 'core/index.ts', [PLUGIN_ENTRY_NAME]: PLUGIN_ENTRY, [PLUGIN_RUNTIME_ENTRY_NAME]: PLUGIN_RUNTIME_ENTRY }

function tsFiles(root: string, dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(path.join(root, dir)).sort()) {
    const rel = `${dir}/${name}`
    if (statSync(path.join(root, rel)).isDirectory()) out.push(...tsFiles(root, rel))
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(rel)
  }
  return out
}

/** Every relative import of one file, and every import of llem by its own name, resolved to the .ts file it names. */
export function importsOf(root: string, file: string): ImportEdge[] {
  const text = readFileSync(path.join(root, file), 'utf8')
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const out: ImportEdge[] = []
  const add = (spec: ts.Expression | undefined, node: ts.Node, typeOnly: boolean, dynamic: boolean) => {
    if (!spec || !ts.isStringLiteralLike(spec)) return
    const byName = spec.text === 'llem' || spec.text.startsWith('llem/')
    if (!byName && !spec.text.startsWith('.')) return
    // a name the exports do not map (`llem/core/errors.js`) fails to resolve anyway: kept as written, outside core/
    const to = byName ? (SELF_NAMES[spec.text] ?? spec.text) : path.posix.normalize(path.posix.join(path.posix.dirname(file), spec.text.replace(/\.js$/, '.ts')))
    out.push({ from: file, to, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, typeOnly, dynamic, byName })
  }
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      const c = node.importClause
      // `import { type A, type B }` is erased too
      const allTypes = !!c && !c.name && !!c.namedBindings && ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)
      add(node.moduleSpecifier, node, !!c?.isTypeOnly || allTypes, false)
    } else if (ts.isExportDeclaration(node)) {
      const allTypes = !!node.exportClause && ts.isNamedExports(node.exportClause) && node.exportClause.elements.length > 0 && node.exportClause.elements.every((e) => e.isTypeOnly)
      add(node.moduleSpecifier, node, node.isTypeOnly || allTypes, false)
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], node, false, true)
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal as ts.Expression, node, true, false)
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  return out
}

export interface BoundaryReport {
  /** core -> plugins outside the registries */
  coreToPlugins: ImportEdge[]
  /** plugins -> core (or llem by a name) other than `llem/plugin` */
  pluginDeepImports: ImportEdge[]
  /** each cycle as the chain of file:line edges that closes it */
  coreCycles: ImportEdge[][]
}

export function checkBoundaries(root: string): BoundaryReport {
  const files = [...tsFiles(root, 'core'), ...tsFiles(root, 'plugins')]
  const edges = files.flatMap((f) => importsOf(root, f))
  const coreToPlugins = edges.filter((e) => e.from.startsWith('core/') && e.to.startsWith('plugins/') && !CORE_REGISTRIES.includes(e.from))
  const intoCore = (e: ImportEdge) => e.to.startsWith('core/') || e.byName
  return {
    coreToPlugins,
    pluginDeepImports: edges.filter((e) => e.from.startsWith('plugins/') && intoCore(e) && !(e.byName && (e.to === PLUGIN_ENTRY || e.to === PLUGIN_RUNTIME_ENTRY))),
    coreCycles: cycles(edges.filter((e) => e.from.startsWith('core/') && e.to.startsWith('core/') && !e.typeOnly && !e.dynamic)),
  }
}

/** One cycle per strongly connected component that has one (Tarjan), as the edges around it. */
function cycles(edges: ImportEdge[]): ImportEdge[][] {
  const out = new Map<string, ImportEdge[]>()
  for (const e of edges) out.set(e.from, [...(out.get(e.from) ?? []), e])
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: ImportEdge[][] = []
  let next = 0
  const strong = (v: string) => {
    index.set(v, next)
    low.set(v, next++)
    stack.push(v)
    onStack.add(v)
    for (const e of out.get(v) ?? []) {
      if (!index.has(e.to)) {
        strong(e.to)
        low.set(v, Math.min(low.get(v)!, low.get(e.to)!))
      } else if (onStack.has(e.to)) low.set(v, Math.min(low.get(v)!, index.get(e.to)!))
    }
    if (low.get(v) !== index.get(v)) return
    const component = new Set<string>()
    for (let w = ''; w !== v; ) {
      w = stack.pop()!
      onStack.delete(w)
      component.add(w)
    }
    const self = (out.get(v) ?? []).find((e) => e.to === v)
    if (component.size > 1 || self) found.push(self ? [self] : pathAround(v, component, out))
  }
  for (const v of [...out.keys()].sort()) if (!index.has(v)) strong(v)
  return found
}

/** a shortest path from v back to v inside its component (breadth first) */
function pathAround(v: string, component: Set<string>, out: Map<string, ImportEdge[]>): ImportEdge[] {
  const via = new Map<string, ImportEdge>()
  const queue = [v]
  for (let i = 0; i < queue.length; i++) {
    for (const e of out.get(queue[i]) ?? []) {
      if (!component.has(e.to)) continue
      if (e.to === v) {
        const chain = [e]
        for (let at = e.from; at !== v; at = via.get(at)!.from) chain.unshift(via.get(at)!)
        return chain
      }
      if (!via.has(e.to)) {
        via.set(e.to, e)
        queue.push(e.to)
      }
    }
  }
  return []
}

/** one line per violation, each naming file:line */
export function describeViolations(r: BoundaryReport): string[] {
  const where = (e: ImportEdge) => `${e.from}:${e.line}`
  return [
    ...r.coreToPlugins.map((e) => `${where(e)}: core imports ${e.to}; only the registries (${CORE_REGISTRIES.join(', ')}) may name a plugin`),
    ...r.pluginDeepImports.map((e) =>
      e.to === PLUGIN_ENTRY
        ? `${where(e)}: a plugin imports ${PLUGIN_ENTRY} by a relative path; import '${PLUGIN_ENTRY_NAME}'`
        : `${where(e)}: a plugin imports ${e.to}; import it from '${PLUGIN_ENTRY_NAME}' (${PLUGIN_ENTRY}), exporting it there if it is missing`,
    ),
    ...r.coreCycles.map((c) => `import cycle in core: ${c.map((e) => `${where(e)} -> ${e.to}`).join(', ')}`),
  ]
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
  const lines = describeViolations(checkBoundaries(root))
  for (const l of lines) console.log(l)
  process.exit(lines.length ? 1 : 0)
}
