import { createHash, randomUUID } from "node:crypto";
import { readlinkSync } from "node:fs";
import { isatty } from "node:tty";
import { GroveError } from "../errors.js";

/** The UUID namespace of automatic session keys (a fixed random UUID; changing it orphans every session). */
const keyNamespace = "3b4f7a0e-5c1d-4e8a-9f6b-2d7c8e1a0b93";

/** A name-based UUID (RFC 4122 version 5: SHA-1 of the namespace and the name). */
export function uuid5(name: string, namespace: string): string {
	const hash = createHash("sha1")
		.update(Buffer.from(namespace.replaceAll("-", ""), "hex"))
		.update(name, "utf8")
		.digest();
	const bytes = hash.subarray(0, 16);
	bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
	bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
	const hex = bytes.toString("hex");
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The terminal on stdin (`/dev/pts/3`), or `notty`. */
function stdinTerminal(): string {
	if (!isatty(0)) return "notty";
	try {
		return readlinkSync("/proc/self/fd/0");
	} catch {
		// Without /proc (macOS) the terminal's name is not readable; the parent pid still tells shells apart.
		return "tty";
	}
}

export interface KeySources {
	/** `-S KEY` from the command line. */
	session?: string | undefined;
	/** `-p NAME` from the command line. */
	profile?: string | undefined;
	env?: NodeJS.ProcessEnv;
	/** The process whose terminal session this is; default the parent of this process (the shell). */
	parentPid?: number;
	/** Default the terminal on stdin. */
	terminal?: string;
}

export interface SessionKey {
	profile: string;
	key: string;
	/** Where the key came from: `-S`, `GROVE_SESSION`, or derived from the terminal. */
	source: "option" | "environment" | "terminal";
}

const keyPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

function checkKey(key: string): string {
	if (!keyPattern.test(key)) {
		throw new GroveError("INVALID_ARGUMENT", `invalid session key ${JSON.stringify(key)}`, {
			hint: "a key is up to 128 letters, digits, '.', '_', ':' and '-'",
		});
	}
	return key;
}

/** The profile in use: `-p`, else `GROVE_PROFILE`, else `default`. */
export function resolveProfile(sources: Pick<KeySources, "profile" | "env"> = {}): string {
	const env = sources.env ?? process.env;
	return sources.profile || env.GROVE_PROFILE || "default";
}

/**
 * The sandbox session this command works on: `-S KEY`, else `GROVE_SESSION`, else a UUID5 of the
 * profile, the parent process id and the terminal of stdin — so one terminal keeps one session and
 * a new terminal or profile starts another.
 */
export function resolveSessionKey(sources: KeySources = {}): SessionKey {
	const env = sources.env ?? process.env;
	const profile = resolveProfile(sources);
	if (sources.session) return { profile, key: checkKey(sources.session), source: "option" };
	if (env.GROVE_SESSION) return { profile, key: checkKey(env.GROVE_SESSION), source: "environment" };
	const parentPid = sources.parentPid ?? process.ppid;
	const terminal = sources.terminal ?? stdinTerminal();
	return { profile, key: uuid5(`${profile}\n${parentPid}\n${terminal}`, keyNamespace), source: "terminal" };
}

/** A fresh random key, for `grove use -N`. */
export function randomSessionKey(): string {
	return randomUUID();
}
