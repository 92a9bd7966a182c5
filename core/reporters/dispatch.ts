/**
 * Sends each reporter event to every reporter, in order, one at a time. A reporter is presentation,
 * not measurement: one that throws must not cost the user the other reporters' output (a broken
 * custom reporter must not lose the JSON file). So an error is written to stderr with the reporter's
 * name and the hook, kept, and the next reporter runs; the CLI asks `errors()` at the end and exits
 * non-zero when there are any.
 */
import { FileWriteError } from '../results/atomic-write.js'
import { redactSecrets, redactText } from '../results/redact.js'
import { sanitiseText } from '../text/sanitise-terminal.js'
import type { Reporter, ReporterContext, ReporterHook } from './types.js'

export type HookArgs<H extends ReporterHook> = Parameters<NonNullable<Reporter[H]>>

export interface ReporterError {
  /** reporter.name, else the spec it was loaded from, else "reporter #<index>" */
  reporter: string
  hook: ReporterHook
  error: unknown
}

export interface Dispatcher {
  /** calls `hook` on every reporter that has it, awaiting each in turn; never rejects because of a reporter */
  emit<H extends ReporterHook>(hook: H, ...args: HookArgs<H>): Promise<void>
  /** every error a reporter threw so far, in the order they happened */
  errors(): ReporterError[]
}

interface Binding {
  ctx: ReporterContext
  label: string
}

// Each reporter has its own context (its options, its outputFile), but a dispatcher emits one event
// to all. The loader registers the per-reporter context here and onInit gets that one instead of the
// context the caller passed. A WeakMap, so a user's reporter object is never modified.
const bindings = new WeakMap<Reporter, Binding>()

/** Called by loadReporters: `reporter`'s onInit receives `ctx`; errors name it `label`. */
export function bindReporter(reporter: Reporter, ctx: ReporterContext, label: string): void {
  bindings.set(reporter, { ctx, label })
}

/** The context loadReporters made for this reporter, if it came from there. */
export function reporterContext(reporter: Reporter): ReporterContext | undefined {
  return bindings.get(reporter)?.ctx
}

export function createDispatcher(reporters: Reporter[], options: { stderr?: NodeJS.WritableStream } = {}): Dispatcher {
  const errors: ReporterError[] = []
  const stderr = options.stderr ?? process.stderr

  async function call(reporter: Reporter, index: number, hook: ReporterHook, args: unknown[]): Promise<void> {
    const fn = reporter[hook] as ((...a: unknown[]) => unknown) | undefined
    if (typeof fn !== 'function') return
    const binding = bindings.get(reporter)
    try {
      // called as a method: class reporters use `this`
      await fn.apply(reporter, hook === 'onInit' && binding ? [binding.ctx] : args)
    } catch (error) {
      const name = reporter.name ?? binding?.label ?? `reporter #${index + 1}`
      errors.push({ reporter: name, hook, error })
      // a file the disk refused is no bug of the reporter's: its message says all (the run names it again at its end)
      const detail = error instanceof FileWriteError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)
      stderr.write(sanitiseText(redactText(`llem: reporter "${name}" failed in ${hook}: ${detail}`)) + '\n')
    }
  }

  return {
    async emit(hook, ...args) {
      // every reporter's output (files, console, a step summary) is made from these: the redaction
      // pass runs once here, so no reporter, built in or a user's, ever sees a secret
      // (a copy, made for them) and read-only: a reporter that changed a result would change what the
      // reporters after it write (results.json without the field a custom reporter deleted)
      const safe = hook === 'onInit' ? args : (freezeCopy(redactSecrets(args)) as typeof args)
      for (const [i, reporter] of reporters.entries()) await call(reporter, i, hook, safe)
    },
    errors: () => [...errors],
  }
}

/** Freezes the plain objects and arrays of a copy redactSecrets made (never an object it passed through:
 *  those are not its own). */
function freezeCopy<T>(value: T): T {
  if (Array.isArray(value)) {
    for (const v of value) if (v !== null && typeof v === 'object') freezeCopy(v)
    Object.freeze(value)
  } else if (value !== null && typeof value === 'object') {
    const proto = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) return value
    for (const v of Object.values(value)) if (v !== null && typeof v === 'object') freezeCopy(v)
    Object.freeze(value)
  }
  return value
}
