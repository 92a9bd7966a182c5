/**
 * What a worker failure means to the user: one line saying what went wrong and a hint saying what to
 * do, as a LlemError the session records on the experiment. A worker that dies while requests are in
 * flight, or a CUDA out-of-memory during generation, is fatal: the load stops, the experiment fails,
 * and the next experiment starts a fresh worker of its own.
 */
import { LlemError } from 'llem/plugin/runtime'
import { WorkerGoneError, WorkerReplyError } from './worker-client.js'

export interface FailureContext {
  python: string
  pythonVersion?: string
  model: string
  phase: 'start' | 'run'
  quantization?: string
  attnImplementation?: string
  /** a string model that named no existing folder: where that folder would have been */
  missingLocal?: string
  batch?: { rows: number; maxTokens: number }
}

/** The oldest transformers llem supports; llem_model.py's MIN_TRANSFORMERS says the same. */
const MIN_TRANSFORMERS = '4.36'

const firstLine = (s: string) => s.split('\n').map((l) => l.trim()).find(Boolean) ?? s

function line(cause: string, hint: string, opts: { code?: 'BACKEND_FAILED' | 'MODEL_NOT_FOUND'; fatal?: boolean } = {}): LlemError {
  // a cause quoted from Python often ends with its own period: one is enough
  return new LlemError(opts.code ?? 'BACKEND_FAILED', `${cause.replace(/\.+$/, '')}. Hint: ${hint}`, { fatal: opts.fatal })
}

export function explainWorkerError(e: unknown, c: FailureContext): unknown {
  const py = c.pythonVersion ? `${c.python} (Python ${c.pythonVersion})` : c.python
  if (e instanceof WorkerGoneError) {
    switch (e.kind) {
      case 'spawn':
        return line(e.message, 'install Python 3, or set backend.python to an interpreter path such as /path/to/venv/bin/python')
      case 'protocol':
        return line(e.message, 'the worker file and llem come from different installs; reinstall llem so that both match')
      case 'reply':
        // the worker is stopped and its state unknown: nothing more can run on it
        return line(
          `the transformers worker ${e.message.replace(/^the worker /, '')}`,
          'the worker was stopped; its stderr is in the experiment log. This is a bug in the worker or in a package that writes to its protocol channel: please report it with that log',
          { fatal: c.phase === 'run' },
        )
      case 'timeout':
        return line(e.message, `check that ${c.python} is a Python 3 interpreter that starts on its own`)
      case 'exited':
        if (c.phase === 'run')
          return line(`the transformers worker died mid-run: ${e.message.replace(/^the worker /, '')}`, 'see the experiment log for its stderr; a native crash or the kernel OOM killer (dmesg) are the usual causes', { fatal: true })
        return line(`the transformers worker stopped while starting: ${e.message.replace(/^the worker /, '')}`, `run "${c.python} -c 'import torch, transformers'" to see why`)
    }
  }
  if (!(e instanceof WorkerReplyError)) return e
  const msg = firstLine(e.message)
  const module = e.reply.module as string | undefined
  switch (e.code) {
    case 'missing_module':
      if (module === 'bitsandbytes')
        return line(`quantization "${c.quantization}" needs bitsandbytes, which ${py} cannot import (${msg})`, `"${c.python} -m pip install bitsandbytes" (it needs a CUDA GPU), or leave backend.quantization unset`)
      if (module === 'flash_attn')
        return line(
          `attnImplementation "${c.attnImplementation}" needs the flash-attn package, which ${py} does not have (${msg})`,
          `"${c.python} -m pip install flash-attn" (CUDA GPUs only), or set backend.attnImplementation to 'sdpa' or 'eager'`,
        )
      return line(
        `${py} cannot import ${module} (${msg}): the transformers backend needs torch and transformers`,
        `"${c.python} -m pip install torch 'transformers>=${(e.reply.minimum as string | undefined) ?? MIN_TRANSFORMERS}'" in that environment (Debian/Ubuntu: apt install python3-torch for torch), or set backend.python to a venv that has both`,
      )
    case 'old_module':
      return line(
        `${py} has transformers ${e.reply.version}, older than ${e.reply.minimum}, the oldest release llem supports`,
        `"${c.python} -m pip install -U 'transformers>=${e.reply.minimum}'" in that environment, or set backend.python to a venv with a newer transformers`,
      )
    case 'broken_module':
      return line(msg, `reinstall ${module} in the environment of ${c.python}`)
    case 'model_not_found':
      if (c.missingLocal)
        return line(
          `model "${c.model}" not found: there is no folder ${c.missingLocal}, and as a hub id: ${msg}`,
          'check the path (relative paths start at the project root) or the hub id; offline (HF_HUB_OFFLINE=1, localFilesOnly) a hub model must already be in the Hugging Face cache (HF_HOME), and gated models need HF_TOKEN',
          { code: 'MODEL_NOT_FOUND' },
        )
      return line(`model "${c.model}" not found: ${msg}`, 'check the hub id or local path; with localFilesOnly the model must already be in the Hugging Face cache (HF_HOME), and gated models need HF_TOKEN in the environment', { code: 'MODEL_NOT_FOUND' })
    case 'bad_config':
      return line(
        `model "${c.model}": transformers cannot build its config: ${msg}`,
        `fix the config (model_type and its fields), or run a transformers that knows the architecture ("${c.python} -m pip install -U transformers"; this one is ${e.reply.transformers})`,
      )
    case 'dtype_unsupported':
      return line(
        `dtype ${e.reply.dtype} cannot run on the ${e.reply.device} with torch ${e.reply.torch}: ${msg}`,
        `set backend.dtype to 'float32' (or 'bfloat16') for the CPU, or use a torch that has these kernels`,
        { fatal: true },
      )
    case 'oom':
      if (c.phase === 'run' && c.batch)
        return line(`CUDA out of memory generating a batch of ${c.batch.rows} x ${c.batch.maxTokens} new tokens: ${msg}`, 'lower backend.batchSize or generation.maxTokens, or use quantization; the next experiment starts a fresh worker', { fatal: true })
      return line(`CUDA out of memory loading model "${c.model}": ${msg}`, 'use dtype bfloat16 or float16, quantization "8bit"/"4bit", or deviceMap "auto" over several GPUs (gpus: n)')
    case 'bad_option':
      return line(msg, 'see the transformers section of docs/backends.md')
    default:
      return line(`the transformers worker failed: ${e.reply.error_type ?? 'error'}: ${msg}`, 'the worker traceback is in the experiment log')
  }
}
