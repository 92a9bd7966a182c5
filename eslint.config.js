// @ts-check
/**
 * Lint: the layering of the source tree as a rule, the no-spread rule, and typescript-eslint's
 * recommended rules that need no type information. `npm test` runs it (test/lint.test.ts); so does
 * `npx eslint .`.
 *
 * Layering (ARCHITECTURE.md, "Layering rules"), rule `llem/layering`:
 * - core/ never imports plugins/, except the two registries that name the built-in plugins;
 * - plugins/ import core only by the package's name, `llem/plugin` (core/plugin.ts) or
 *   `llem/plugin/runtime` (core/plugin-runtime.ts, the same without zod): no relative
 *   path into core/ (core/plugin.ts included) and not `llem` itself. There are no exceptions.
 * Each import is resolved against the importing file, so core/plugins/ (core's plugin loader) is not
 * mistaken for plugins/. Static imports, re-exports, import(), `import('...')` types and
 * `import x = require()` all count. scripts/import-boundaries.ts checks the same, plus cycles.
 *
 * Format: the house style as @stylistic rules (single quotes, no semicolons, two-space indent,
 * trailing commas on multi-line lists, spacing), so `npm run format` (eslint --fix) is the formatter
 * and `npm test` fails on an unformatted file. Line length is left free: long one-line calls and
 * messages are the style here, and a formatter that rewraps them would churn every file.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'eslint/config'
import stylistic from '@stylistic/eslint-plugin'
import tseslint from 'typescript-eslint'

const ROOT = path.dirname(fileURLToPath(import.meta.url))
/** the only core files that may name a built-in plugin */
const REGISTRIES = ['core/plugins/builtins.ts', 'core/reporters/builtin-reporters.ts']
const PLUGIN_ENTRY = 'llem/plugin'
/** the same without zod, for the plugin modules the experiment worker loads (core/plugin-runtime.ts) */
const PLUGIN_RUNTIME_ENTRY = 'llem/plugin/runtime'

/** @type {import('eslint').Rule.RuleModule} */
const layering = {
  meta: {
    type: 'problem',
    docs: { description: 'core names plugins only in its registries; plugins import core only as llem/plugin' },
    schema: [],
    messages: {
      coreToPlugins: 'core imports {{to}}: only the registries ({{registries}}) may name a plugin',
      pluginToCore: "a plugin imports {{to}} by a relative path: import it from '" + PLUGIN_ENTRY + "' (core/plugin.ts), exporting it there if it is missing",
      pluginToPackage: "a plugin imports '{{spec}}': plugins import llem only as '" + PLUGIN_ENTRY + "' or '" + PLUGIN_RUNTIME_ENTRY + "'",
    },
  },
  create(context) {
    const from = path.relative(ROOT, context.filename).split(path.sep).join('/')
    const inCore = from.startsWith('core/') && !REGISTRIES.includes(from)
    const inPlugins = from.startsWith('plugins/')
    if (!inCore && !inPlugins) return {}
    /** @param {import('estree').Node} node @param {unknown} spec */
    const check = (node, spec) => {
      if (typeof spec !== 'string') return
      if (spec === 'llem' || spec.startsWith('llem/')) {
        if (inPlugins && spec !== PLUGIN_ENTRY && spec !== PLUGIN_RUNTIME_ENTRY) context.report({ node, messageId: 'pluginToPackage', data: { spec } })
        return
      }
      if (!spec.startsWith('.')) return
      const to = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec))
      if (inCore && (to === 'plugins' || to.startsWith('plugins/'))) context.report({ node, messageId: 'coreToPlugins', data: { to, registries: REGISTRIES.join(', ') } })
      if (inPlugins && (to === 'core' || to.startsWith('core/'))) context.report({ node, messageId: 'pluginToCore', data: { to } })
    }
    /** a string literal, or a template literal without expressions @param {any} n */
    const text = (n) => (n?.type === 'Literal' ? n.value : n?.type === 'TemplateLiteral' && n.expressions.length === 0 ? n.quasis[0].value.cooked : undefined)
    return {
      ImportDeclaration: (n) => check(n.source, n.source.value),
      ExportNamedDeclaration: (n) => n.source && check(n.source, n.source.value),
      ExportAllDeclaration: (n) => check(n.source, n.source.value),
      ImportExpression: (n) => check(n.source, text(n.source)),
      // typescript-eslint's nodes: `import('x').T` and `import x = require('x')`
      /** @param {any} n */
      TSImportType: (n) => check(n, text(n.argument?.literal)),
      /** @param {any} n */
      TSExternalModuleReference: (n) => check(n, text(n.expression)),
    }
  },
}

/**
 * No spread of a list into Math.max / Math.min / String.fromCharCode (nor `.apply` with a list):
 * every element becomes a call argument, and V8 overflows the stack past ~100k of them. A long
 * window sampled from 8 GPUs, or 200k ITL stamps in a benchmark, crashed llem this way. maxOf /
 * minOf (llem/plugin, core/stats/extent.ts) loop instead. The rule is on the call, not on whether a
 * given list is short: the list that is short today is the one that grows tomorrow.
 */
const SPREAD_MESSAGE = 'no spread of a list into call arguments (stack overflow past ~100k elements): use maxOf/minOf from core/stats/extent.ts (llem/plugin)'
const noArgumentSpread = [
  { selector: "CallExpression[callee.object.name='Math'][callee.property.name=/^(max|min)$/] > SpreadElement", message: SPREAD_MESSAGE },
  { selector: "CallExpression[callee.object.name='String'][callee.property.name='fromCharCode'] > SpreadElement", message: SPREAD_MESSAGE },
  { selector: "CallExpression[callee.property.name='apply'][callee.object.object.name='Math'][callee.object.property.name=/^(max|min)$/]", message: SPREAD_MESSAGE },
]

/** the formatting rules: each one `eslint --fix` can apply */
const format = {
  '@stylistic/quotes': ['error', 'single', { avoidEscape: true, allowTemplateLiterals: 'always' }],
  '@stylistic/semi': ['error', 'never'],
  '@stylistic/indent': ['error', 2, { SwitchCase: 1, flatTernaryExpressions: true, offsetTernaryExpressions: true, ignoredNodes: ['TemplateLiteral *', 'ConditionalExpression', 'ConditionalExpression *', 'TSUnionType *'] }],
  '@stylistic/comma-dangle': ['error', 'always-multiline'],
  '@stylistic/no-trailing-spaces': 'error',
  '@stylistic/eol-last': 'error',
  '@stylistic/no-multiple-empty-lines': ['error', { max: 1, maxEOF: 0, maxBOF: 0 }],
  '@stylistic/no-tabs': 'error',
  '@stylistic/comma-spacing': 'error',
  '@stylistic/keyword-spacing': 'error',
  '@stylistic/space-infix-ops': 'error',
  '@stylistic/arrow-spacing': 'error',
  '@stylistic/key-spacing': 'error',
  '@stylistic/space-before-blocks': 'error',
  '@stylistic/arrow-parens': ['error', 'always'],
  '@stylistic/brace-style': ['error', '1tbs', { allowSingleLine: true }],
}

export default defineConfig(
  { ignores: ['dist/**', 'node_modules/**', '**/__pycache__/**'] },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  // the non-type-aware set: parses each file alone, fast enough for every `npm test`
  tseslint.configs.recommended,
  {
    plugins: { llem: { rules: { layering } }, '@stylistic': stylistic },
    rules: {
      ...format,
      'llem/layering': 'error',
      'no-restricted-syntax': ['error', ...noArgumentSpread],
      // a control character in a regex is how terminal text is sanitised here: allowed where a comment says so
      'no-control-regex': 'error',
      // `any` stays where a plugin registry or a test's loose fixture needs it; tsc's strict mode is the type gate
      '@typescript-eslint/no-explicit-any': 'off',
      // `_`-prefixed names are deliberately unused (a destructured field left out of ...rest, a callback's slot)
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
)
