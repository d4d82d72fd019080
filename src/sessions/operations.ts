import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { copyFile, mkdir, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { GroveError } from "../errors.js";
import {
	CURRENT_VERSION,
	type LabelEntry,
	newEntryId,
	type SessionEntry,
	type SessionHeader,
	SessionTree,
	uuidv7,
} from "../tree/index.js";
import { writeFileAtomic } from "../util/index.js";
import { findSession, listSessions } from "./catalog.js";
import { folderFor, type SessionStore } from "./layout.js";
import { messageText } from "./summary.js";

/** pi's file name for a session: `<ISO timestamp with : and . as ->_<id>.jsonl`. */
function sessionFileName(id: string, timestamp: string): string {
	return `${timestamp.replace(/[:.]/g, "-")}_${id}.jsonl`;
}

function newHeader(cwd: string, parentSession?: string): SessionHeader {
	return {
		type: "session",
		version: CURRENT_VERSION,
		id: uuidv7(),
		timestamp: new Date().toISOString(),
		cwd,
		...(parentSession === undefined ? {} : { parentSession }),
	};
}

/** Writes a complete session file (header, then entries) at a path that must not exist yet. */
async function writeSessionFile(
	path: string,
	header: SessionHeader,
	entries: Iterable<SessionEntry>,
): Promise<void> {
	await mkdir(dirname(path), { recursive: true });
	const lines = [JSON.stringify(header)];
	for (const entry of entries) lines.push(JSON.stringify(entry));
	try {
		await stat(path);
		throw new GroveError("ALREADY_EXISTS", `${path} already exists`);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
	}
	await writeFileAtomic(path, `${lines.join("\n")}\n`);
}

/** An open session and the file it lives in. */
export interface OpenedSession {
	tree: SessionTree;
	path: string;
}

/** Starts a new, empty session for `cwd` (default `process.cwd()`) in `store`. */
export async function newSession(
	store: SessionStore,
	options: { cwd?: string } = {},
): Promise<OpenedSession> {
	const cwd = resolve(options.cwd ?? process.cwd());
	const id = uuidv7();
	const path = join(folderFor(store, cwd), sessionFileName(id, new Date().toISOString()));
	await mkdir(dirname(path), { recursive: true });
	return { tree: await SessionTree.create(path, { cwd, id }), path };
}

/**
 * Opens the session of `cwd` with the latest activity, or `null` when the directory has none
 * (pi's `--continue`). Pass `lock: "exclusive"` to write to it.
 */
export async function continueSession(
	store: SessionStore,
	options: { cwd?: string; lock?: "none" | "exclusive" } = {},
): Promise<OpenedSession | null> {
	const [latest] = await listSessions(store, { ...(options.cwd === undefined ? {} : { cwd: options.cwd }) });
	if (latest === undefined) return null;
	const tree = await SessionTree.open(latest.path, {
		...(options.lock === undefined ? {} : { lock: options.lock }),
	});
	return { tree, path: latest.path };
}

/** Opens a session by path or id prefix (see `findSession`). */
export async function openSession(
	store: SessionStore,
	reference: string,
	options: { lock?: "none" | "exclusive"; readOnly?: boolean } = {},
): Promise<SessionTree> {
	const summary = await findSession(store, reference);
	return SessionTree.open(summary.path, options);
}

/** A session file written by `forkSession` or `cloneSession`. */
export interface NewSessionFile {
	path: string;
	id: string;
}

async function readSource(
	store: SessionStore,
	reference: string,
): Promise<{ path: string; tree: SessionTree }> {
	const summary = await findSession(store, reference);
	return { path: summary.path, tree: await SessionTree.open(summary.path, { readOnly: true }) };
}

/**
 * The path from the root to `leafId` without its label entries, then one label entry for each
 * label that is on the path, chained after it — as pi's `createBranchedSession`.
 */
function branchEntries(tree: SessionTree, leafId: string | null): SessionEntry[] {
	const path = leafId === null ? [] : tree.getBranch(leafId).filter((entry) => entry.type !== "label");
	const ids = new Set(path.map((entry) => entry.id));
	// The label entry in force for each target, in the order targets were first labelled.
	const latest = new Map<string, LabelEntry>();
	for (const entry of tree.getEntries()) {
		if (entry.type === "label") latest.set((entry as LabelEntry).targetId, entry as LabelEntry);
	}
	const labels: SessionEntry[] = [];
	let parentId = path.at(-1)?.id ?? null;
	for (const [targetId, entry] of latest) {
		if (!ids.has(targetId) || !entry.label) continue;
		const id = newEntryId((candidate) => ids.has(candidate));
		ids.add(id);
		labels.push({
			type: "label",
			id,
			parentId,
			timestamp: entry.timestamp,
			targetId,
			label: entry.label,
		} as SessionEntry);
		parentId = id;
	}
	return [...path, ...labels];
}

/**
 * Forks a whole session into a new file in the same folder: every entry, the header's
 * `parentSession` set to the source, the active leaf kept.
 */
export async function forkSession(store: SessionStore, reference: string): Promise<NewSessionFile> {
	const source = await readSource(store, reference);
	try {
		const header = newHeader(source.tree.header.cwd, source.path);
		const path = join(dirname(source.path), sessionFileName(header.id, header.timestamp));
		const entries = source.tree.getEntries();
		await writeSessionFile(path, header, entries);
		const leaf = source.tree.activeLeaf;
		if (leaf !== null && leaf !== entries.at(-1)?.id) {
			const fork = await SessionTree.open(path);
			try {
				fork.switchBranch(leaf);
			} finally {
				await fork.close();
			}
		}
		return { path, id: header.id };
	} finally {
		await source.tree.close();
	}
}

/**
 * Forks at a user message, as pi's `/fork`: the new file holds the path up to that message's
 * parent (labels on it kept), and the message's text is returned so it can be edited and sent again.
 */
export async function forkSessionAt(
	store: SessionStore,
	reference: string,
	entryId: string,
): Promise<NewSessionFile & { text: string }> {
	const source = await readSource(store, reference);
	try {
		const entry = source.tree.getEntry(entryId);
		if (entry === undefined) {
			throw new GroveError("NOT_FOUND", `No entry ${entryId} in ${source.path}`, {
				hint: "List the entries with `grove tree FILE`",
			});
		}
		const message =
			entry.type === "message"
				? (entry as { message?: { role?: unknown; content?: unknown } }).message
				: undefined;
		if (message?.role !== "user") {
			throw new GroveError(
				"INVALID_ARGUMENT",
				`Entry ${entryId} is not a user message; a fork starts at one`,
				{
					hint: "Pick a user message from `grove tree FILE`",
				},
			);
		}
		const header = newHeader(source.tree.header.cwd, source.path);
		const path = join(dirname(source.path), sessionFileName(header.id, header.timestamp));
		await writeSessionFile(
			path,
			header,
			branchEntries(source.tree, source.tree.tree.parentOf(entryId) ?? null),
		);
		return { path, id: header.id, text: messageText(message.content) };
	} finally {
		await source.tree.close();
	}
}

/** Clones the active branch into a new file (labels on it kept), as pi's `/clone`. */
export async function cloneSession(store: SessionStore, reference: string): Promise<NewSessionFile> {
	const source = await readSource(store, reference);
	try {
		const header = newHeader(source.tree.header.cwd, source.path);
		const path = join(dirname(source.path), sessionFileName(header.id, header.timestamp));
		await writeSessionFile(path, header, branchEntries(source.tree, source.tree.activeLeaf));
		return { path, id: header.id };
	} finally {
		await source.tree.close();
	}
}

/** Names a session (a `session_info` entry); an empty name clears it. Returns the session's path. */
export async function nameSession(store: SessionStore, reference: string, name: string): Promise<string> {
	const summary = await findSession(store, reference);
	const tree = await SessionTree.open(summary.path, { lock: "exclusive" });
	try {
		tree.setName(name);
	} finally {
		await tree.close();
	}
	return summary.path;
}

function runTrash(path: string, env: NodeJS.ProcessEnv): Promise<"trash" | "missing" | "failed"> {
	return new Promise((resolvePromise) => {
		const child = spawn("trash", [path], { stdio: "ignore", env });
		child.on("error", (error: NodeJS.ErrnoException) =>
			resolvePromise(error.code === "ENOENT" ? "missing" : "failed"),
		);
		child.on("close", (code) => resolvePromise(code === 0 ? "trash" : "failed"));
	});
}

/**
 * Deletes a session file: to the trash through the `trash` command when it is installed, else by
 * unlinking it. A session whose writer lock another live process holds is refused
 * (`SESSION_LOCKED`). Returns what was done. `env` is where `trash` is looked up (default `process.env`).
 */
export async function deleteSession(
	store: SessionStore,
	reference: string,
	options: { env?: NodeJS.ProcessEnv } = {},
): Promise<{ path: string; id: string; method: "trash" | "unlink" }> {
	const summary = await findSession(store, reference);
	// Taking the lock proves no live process is writing the session; it is held until the file is gone.
	const tree = await SessionTree.open(summary.path, { lock: "exclusive", readOnly: true });
	try {
		const outcome = await runTrash(summary.path, options.env ?? process.env);
		if (outcome === "failed") {
			throw new GroveError("COMMAND_FAILED", `\`trash ${summary.path}\` failed; the session is kept`, {
				hint: "Check the trash command, or delete the file yourself",
			});
		}
		if (outcome === "missing") await rm(summary.path);
		return { path: summary.path, id: summary.id, method: outcome === "trash" ? "trash" : "unlink" };
	} finally {
		await tree.close();
	}
}

/**
 * Imports a session file into the store: it is checked to be a session, then copied (never moved)
 * into the folder of its working directory (`cwd` overrides the header's) under its own name.
 * An existing file of that name is `ALREADY_EXISTS`.
 */
export async function importSession(
	store: SessionStore,
	file: string,
	options: { cwd?: string } = {},
): Promise<NewSessionFile> {
	const source = resolve(file);
	const tree = await SessionTree.open(source, { readOnly: true });
	const header = tree.header;
	await tree.close();
	const cwd = options.cwd === undefined ? header.cwd : resolve(options.cwd);
	const name = basename(source).endsWith(".jsonl")
		? basename(source)
		: sessionFileName(header.id, header.timestamp);
	const path = join(folderFor(store, cwd), name);
	if (path === source) return { path, id: header.id };
	await mkdir(dirname(path), { recursive: true });
	try {
		await copyFile(source, path, constants.COPYFILE_EXCL);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === "EEXIST") {
			throw new GroveError("ALREADY_EXISTS", `The store already has ${path}`, {
				hint: "It was imported before; open it with `grove open`",
			});
		}
		throw error;
	}
	return { path, id: header.id };
}

/**
 * Exports the active branch as a JSONL session file, as pi: the header (same id and cwd, a new
 * timestamp) and the path's entries re-chained into one line of parents.
 */
export async function exportJsonl(tree: SessionTree, out: string): Promise<string> {
	const path = resolve(out);
	const header: SessionHeader = {
		type: "session",
		version: CURRENT_VERSION,
		id: tree.id,
		timestamp: new Date().toISOString(),
		cwd: tree.header.cwd,
	};
	let parentId: string | null = null;
	const entries: SessionEntry[] = [];
	for (const entry of tree.getBranch()) {
		entries.push({ ...entry, parentId } as SessionEntry);
		parentId = entry.id;
	}
	await mkdir(dirname(path), { recursive: true });
	await writeFileAtomic(path, `${[header, ...entries].map((line) => JSON.stringify(line)).join("\n")}\n`);
	return path;
}
