/**
 * Text that came from outside llem (a server's error body, a log tail, a model or experiment name read
 * from a results file, a worker's output) made safe to print to a terminal or a GitHub Actions log,
 * applied where it is printed. Left raw, it could:
 *
 * - drive the terminal: ESC (CSI colours and cursor moves, OSC 8 hyperlinks, OSC 52 clipboard writes
 *   on some terminals), C1 controls (U+009B is a one-character CSI), BEL, backspace, and a CR that
 *   returns to the line start and overwrites what llem printed before it;
 * - reorder what is shown (Unicode bidi overrides, the "Trojan Source" trick), or break lines where a
 *   reader does not expect it (U+2028, U+2029);
 * - be run by the GitHub Actions runner as a workflow command: a line that starts with `::` after
 *   leading whitespace (`::stop-commands::`, `::add-mask::`, `::set-output`), or holds `##[` anywhere
 *   (the runner's older command form, still parsed: actions/runner src/Runner.Worker/ActionCommand.cs,
 *   TryParseV2 and TryParse).
 *
 * Every such character is shown as a visible escape (`\x1b`, `\r`, `\u202e`), nothing is dropped, so
 * what a server sent can still be read. The `:` that would start a command becomes `\x3a` and the
 * `#` of `##[` becomes `\x23`.
 */

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

// C0 controls, DEL, C1 controls; line and paragraph separators; bidi embeddings, overrides and isolates
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g
// the same without LF and TAB, for text of several lines
// eslint-disable-next-line no-control-regex
const CONTROL_IN_TEXT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

function escapeChar(c: string): string {
  const code = c.charCodeAt(0)
  return NAMED[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`)
}

/** A workflow command cannot start this line (after whitespace, as the runner trims it) nor hide in it. */
function neutraliseCommands(line: string): string {
  return line.replace(/^(\s*):(?=:)/, '$1\\x3a').replace(/#(?=#\[)/g, '\\x23')
}

/** One line from outside: every control character escaped (a line break too), no workflow command. */
export function sanitiseLine(text: string): string {
  return neutraliseCommands(text.replace(CONTROL, escapeChar))
}

/** Several lines from outside: line breaks (LF, CRLF) kept, each line as sanitiseLine makes it. */
export function sanitiseText(text: string): string {
  return text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => neutraliseCommands(line.replace(CONTROL_IN_TEXT, escapeChar)))
    .join('\n')
}
