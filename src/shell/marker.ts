import { randomBytes } from "node:crypto";
import { GroveError } from "../errors.js";
import { shellQuote } from "../util/index.js";

/**
 * The wire format between grove and the shell.
 *
 * Every command gets a fresh random id. The shell writes `\x1f` + id + `<\n` to both stdout and
 * stderr when the command starts, and `\x1f` + id + `>` + exit status + `\n` to both when it ends,
 * so each stream is delimited on its own and output without a trailing newline stays intact. The
 * id travels to the shell as two separate words and is only ever printed joined, so nothing the
 * command prints — its own text, `set -x` traces of the protocol functions, the shell's variables —
 * can contain a marker: the joined id exists nowhere but in the markers themselves.
 *
 * A command line never holds the command's text as shell syntax: the text is one single-quoted
 * word that the shell `eval`s, so an unterminated quote is a syntax error of that command alone.
 * A second line, sent with every command, ends the command when the shell aborted the first line
 * (a syntax error, or SIGINT, which an interactive shell answers by abandoning the line) before it
 * printed its end marker.
 */

/** Byte that starts every marker; a control character so ordinary text rarely holds one. */
export const markerLead = 0x1f;
export const startKind = 0x3c; // "<"
export const endKind = 0x3e; // ">"

/** Half of a command id: 8 random hex digits. */
export interface CommandId {
	readonly first: string;
	readonly second: string;
	/** The bytes that begin both markers of this command on the wire. */
	readonly marker: Buffer;
}

export function newCommandId(): CommandId {
	const hex = randomBytes(8).toString("hex");
	const first = hex.slice(0, 8);
	const second = hex.slice(8);
	return {
		first,
		second,
		marker: Buffer.from(`${String.fromCharCode(markerLead)}${first}${second}`, "latin1"),
	};
}

/**
 * Shell code that defines the protocol functions. POSIX sh, so it runs in bash, dash and busybox
 * ash alike. `__grove_s` keeps the last status so `$?` carries over from one command to the next;
 * `__grove_d` names the last command that ended, so the fallback line ends a command only once.
 */
export const setupScript = [
	// Interactive shells answer SIGINT by abandoning the running line and reading the next one,
	// which is exactly Ctrl-C at a terminal; prompts and history would only add noise.
	// TMOUT would make an interactive shell exit after that many idle seconds.
	"PS1=; PS2=; PS4='+ '; unset PS0 PROMPT_COMMAND MAILCHECK HISTFILE TMOUT 2>/dev/null",
	// biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
	'if [ -n "${BASH_VERSION-}" ]; then set +o history +H; fi',
	"__grove_s=0; __grove_d=; __grove_f=/dev/null; __grove_r=eval",
	// The markers go to copies of the shell's stdout and stderr, so a command that redirects the
	// shell's own output (`exec >log`) cannot hide them. bash picks free descriptors above 9 (in
	// `eval`, because other shells cannot even parse that syntax); other shells take 7 and 8.
	"__grove_o=7; __grove_w=8",
	// biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
	"if [ -n \"${BASH_VERSION-}\" ]; then eval 'exec {__grove_o}>&1 {__grove_w}>&2'; else exec 7>&1 8>&2; fi",
	"__grove_b() {",
	"  __grove_f=/dev/null",
	// biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
	'  if [ $# -gt 2 ]; then __grove_f="${TMPDIR:-/tmp}/.grove-stdin-$$-$1$2"; (umask 077; set -C; printf %b "$3" >"$__grove_f"); fi',
	// bash reports a syntax error inside eval as the status 2 of that eval; dash and ash abandon the
	// whole line instead, so there a command that does not parse runs in a subshell, which then
	// reports the error and exits 2 without taking the line down.
	"  __grove_r=eval",
	// biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
	'  if [ -z "${BASH_VERSION-}" ] && ! (eval "__grove_k() {',
	"$__grove_c",
	'}"); then __grove_r=__grove_n; fi',
	'  printf \'\\037%s%s<\\n\' "$1" "$2" >&"$__grove_o"; printf \'\\037%s%s<\\n\' "$1" "$2" >&"$__grove_w"',
	"  return $__grove_s",
	"}",
	"__grove_e() {",
	'  __grove_s=$3; __grove_d="$1:$2"',
	'  [ "$__grove_f" = /dev/null ] || rm -f "$__grove_f"',
	'  printf \'\\037%s%s>%s\\n\' "$1" "$2" "$3" >&"$__grove_o"; printf \'\\037%s%s>%s\\n\' "$1" "$2" "$3" >&"$__grove_w"',
	"}",
	'__grove_n() { (eval "$1"); }',
	'__grove_a() { __grove_x=$?; [ "$__grove_d" = "$1:$2" ] || __grove_e "$1" "$2" "$__grove_x"; }',
	"",
].join("\n");

/**
 * Around the protocol's own steps: stderr, where `set -x` traces go, is silenced (the markers have
 * descriptors of their own); the redirection ends with the step.
 */
const quiet = "2>/dev/null";

/** Throws INVALID_ARGUMENT for a command no shell can receive. */
export function checkCommand(command: string): void {
	if (command.includes("\0")) {
		throw new GroveError("INVALID_ARGUMENT", "a shell command cannot contain a NUL byte", {
			hint: "pass binary data through the stdin option instead",
		});
	}
}

/**
 * The two lines that run `command` in the shell. The first starts, runs and ends it; the second
 * ends it if the shell abandoned the first line.
 */
export function commandLines(id: CommandId, command: string, stdin?: string | Uint8Array): string {
	const input = stdin === undefined ? "" : ` ${printfEscape(stdin)}`;
	return (
		`{ __grove_c=${shellQuote(command)}; __grove_b ${id.first} ${id.second}${input}; } ${quiet};` +
		` $__grove_r "$__grove_c" <"$__grove_f"; { __grove_e ${id.first} ${id.second} $?; } ${quiet}\n` +
		fallbackLine(id)
	);
}

/** The line that ends the command `id` unless it already ended; harmless to send any number of times. */
export function fallbackLine(id: CommandId): string {
	return `{ __grove_a ${id.first} ${id.second}; } ${quiet}\n`;
}

/**
 * Encodes bytes as one single-quoted word for `printf %b`: printable ASCII stays as it is, every
 * other byte (quotes, backslashes, newlines, NUL, non-ASCII) becomes a `\0NNN` octal escape, so the
 * word stays on one line and any bytes survive.
 */
function printfEscape(data: string | Uint8Array): string {
	const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
	let word = "'";
	for (const byte of bytes) {
		if (byte >= 0x20 && byte < 0x7f && byte !== 0x27 && byte !== 0x5c) word += String.fromCharCode(byte);
		else word += `\\0${byte.toString(8).padStart(3, "0")}`;
	}
	return `${word}'`;
}
