/**
 * A closed stdout (`llem bench | head -1`, a CI log pipe that went away) must stop console output,
 * never the run: on Linux a write to a pipe whose reader is gone fails with EPIPE (Node ignores the
 * SIGPIPE that would otherwise end the process), and Node reports it as an 'error' event on
 * process.stdout, which, with no listener, throws and kills llem mid-experiment with the lock held.
 * See https://nodejs.org/api/process.html#a-note-on-process-io and the 'error' event of stream.Writable.
 */

/**
 * Listens for write errors on stdout and stderr for the rest of the process: after the first one the
 * stream is destroyed and drops later writes, and this listener stays attached so none of them throws.
 * Idempotent.
 */
const guarded = new WeakSet<NodeJS.WriteStream>()

export function tolerateClosedOutput(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const s of streams) {
    if (guarded.has(s)) continue
    guarded.add(s)
    s.on('error', () => {
      // EPIPE, ECONNRESET (a socket), EIO (a terminal gone): nothing more can be shown there either way
    })
  }
}
