import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { groveHome } from "../util/index.js";

/**
 * Where session files live.
 *
 * - `layout`: pi's folder layout, `<dir>/--<encoded cwd>--/<timestamp>_<id>.jsonl`, where `dir` is
 *   `<root>/sessions`.
 * - `flat`: every session file directly in `dir` (`--session-dir`).
 */
export interface SessionStore {
	readonly kind: "layout" | "flat";
	/** The directory of session files (flat) or of per-directory folders (layout). */
	readonly dir: string;
	/** The metadata cache of this store. It lives under grove's home, never inside pi's store. */
	readonly cacheFile: string;
}

/** How to pick a store; the CLI's `--session-dir` and `--pi` map onto these. */
export interface StoreOptions {
	/** A flat folder of session files. Wins over `pi`. */
	sessionDir?: string;
	/**
	 * Work on pi's own store: `$PI_CODING_AGENT_DIR/sessions` (default `~/.pi/agent/sessions`), or the
	 * flat folder `$PI_CODING_AGENT_SESSION_DIR` when that is set, as pi does.
	 */
	pi?: boolean;
	/** Environment to read `GROVE_HOME` and `PI_CODING_AGENT_DIR` from; default `process.env`. */
	env?: NodeJS.ProcessEnv;
}

/** A path with a leading `~` expanded, as pi expands its environment variables. */
function expandHome(path: string): string {
	if (path === "~") return homedir();
	if (path.startsWith("~/")) return join(homedir(), path.slice(2));
	return resolve(path);
}

/** pi's agent directory: `$PI_CODING_AGENT_DIR` (with a leading `~` expanded), else `~/.pi/agent`. */
export function piAgentDir(env: NodeJS.ProcessEnv = process.env): string {
	const fromEnv = env.PI_CODING_AGENT_DIR;
	return fromEnv === undefined || fromEnv === "" ? join(homedir(), ".pi", "agent") : expandHome(fromEnv);
}

/** Resolves the store the options name. Nothing is created on disk. */
export function resolveStore(options: StoreOptions = {}): SessionStore {
	const env = options.env ?? process.env;
	let kind: SessionStore["kind"] = "layout";
	let dir: string;
	if (options.sessionDir !== undefined) {
		kind = "flat";
		dir = resolve(options.sessionDir);
	} else if (options.pi === true) {
		// pi itself puts every session in one flat folder when PI_CODING_AGENT_SESSION_DIR is set.
		const piSessionDir = env.PI_CODING_AGENT_SESSION_DIR;
		if (piSessionDir !== undefined && piSessionDir !== "") {
			kind = "flat";
			dir = expandHome(piSessionDir);
		} else {
			dir = join(piAgentDir(env), "sessions");
		}
	} else {
		dir = join(groveHome(env), "sessions");
	}
	// One cache per store, named by a hash of the store's path, so pi's folders stay untouched.
	const key = createHash("sha256").update(`${kind}\0${dir}`).digest("hex").slice(0, 16);
	return { kind, dir, cacheFile: join(groveHome(env), "cache", `sessions-${key}.json`) };
}

/**
 * pi's folder name for a working directory: the leading separator dropped, every `/`, `\` and `:`
 * turned into `-`, wrapped in `--`. It is lossy (`/a/b-c` and `/a-b/c` share a folder), which is
 * why the catalog always checks a session's header `cwd` as well.
 */
export function encodeCwd(cwd: string): string {
	return `--${cwd.replace(/^[/\\]/, "").replace(/[/\\:]/g, "-")}--`;
}

/** The folder that holds the sessions of `cwd` in `store`. */
export function folderFor(store: SessionStore, cwd: string): string {
	return store.kind === "flat" ? store.dir : join(store.dir, encodeCwd(cwd));
}
