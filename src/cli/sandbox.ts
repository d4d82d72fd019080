import { open } from "node:fs/promises";
import { basename, join } from "node:path";
import { type Command, Option } from "commander";
import type { FileData } from "../engines/index.js";
import { GroveError } from "../errors.js";
import { renderTable } from "./output.js";
import {
	printJson,
	printLine,
	printLines,
	type SessionOptions,
	withSession,
	withSessionOptions,
} from "./sandbox-context.js";

function collect(value: string, previous: string[]): string[] {
	return [...previous, value];
}

/** Splits `K=V` words into variables. */
function parseAssignments(words: readonly string[]): Record<string, string> {
	const variables: Record<string, string> = {};
	for (const word of words) {
		const equals = word.indexOf("=");
		if (equals <= 0) {
			throw new GroveError("INVALID_ARGUMENT", `expected NAME=VALUE, got ${JSON.stringify(word)}`, {
				hint: "write variables as NAME=VALUE",
			});
		}
		variables[word.slice(0, equals)] = word.slice(equals + 1);
	}
	return variables;
}

/** The line that makes a shell use session `key`: fish has its own syntax. */
function exportLine(key: string): string {
	return (process.env.SHELL ?? "").endsWith("/fish")
		? `set -gx GROVE_SESSION ${key}`
		: `export GROVE_SESSION=${key}`;
}

function modeString(type: string, mode: number): string {
	const kind = type === "directory" ? "d" : type === "symlink" ? "l" : type === "file" ? "-" : "?";
	let bits = "";
	for (let shift = 6; shift >= 0; shift -= 3) {
		const part = (mode >> shift) & 7;
		bits += `${part & 4 ? "r" : "-"}${part & 2 ? "w" : "-"}${part & 1 ? "x" : "-"}`;
	}
	return kind + bits;
}

interface RunOptions extends SessionOptions {
	disposable?: boolean;
	env: string[];
	cwd?: string;
	file: string[];
	timeout?: string;
	onlyOk?: boolean;
	shell?: string;
	network?: boolean;
}

export function registerSandboxCommands(program: Command): void {
	withSessionOptions(
		program
			.command("use")
			.description("run the session on IMAGE (host, tag:NAME, an image id or reference)")
			.argument("<image>")
			.option("-N, --new", "start a fresh session with a random key")
			.addOption(new Option("--engine <kind>", "the engine of a new session").choices(["local", "docker"])),
	).action(
		async (image: string, options: SessionOptions & { new?: boolean; engine?: "local" | "docker" }) => {
			const { randomSessionKey } = await import("../sandbox/index.js");
			const fresh = options.new ? randomSessionKey() : undefined;
			await withSession(
				options,
				async ({ session, key }) => {
					const entry = await session.use(
						image,
						options.engine === undefined ? {} : { engine: options.engine },
					);
					const line = exportLine(key.key);
					if (options.format === "json") {
						return printJson({ session: key.key, profile: key.profile, entry, export: line });
					}
					printLine(line);
					const active = key.source === "terminal" || process.env.GROVE_SESSION === key.key;
					if (!active && process.stdout.isTTY) {
						process.stderr.write(
							`session ${key.key} is not active in this shell until you run the line above\n`,
						);
					}
				},
				fresh,
			);
		},
	);

	withSessionOptions(
		program
			.command("run")
			.description("run a command in the session's image; a completed run records a new image")
			.argument("[command...]", "the program and its arguments, after --")
			.option("-s, --shell <command>", "a command line for /bin/sh -c instead")
			.option("-D, --disposable", "record the run off the branch and keep none of its changes")
			.option("-e, --env <K=V>", "a variable for this run only (repeatable)", collect, [])
			.option("-C, --cwd <dir>", "working directory for this run only")
			.option("--file <host[:dest]>", "copy a host file in for this run only (repeatable)", collect, [])
			.option("--timeout <seconds>", "kill the command after this long; the branch does not move")
			.option("--only-ok", "advance the branch only when the command exits 0")
			.option("--network", "give the command the network"),
	).action(async (argv: string[], options: RunOptions) => {
		const timeoutSeconds = options.timeout === undefined ? undefined : Number(options.timeout);
		if (timeoutSeconds !== undefined && !(timeoutSeconds > 0)) {
			throw new GroveError("INVALID_ARGUMENT", `invalid timeout ${options.timeout}`, {
				hint: "give seconds, e.g. 30",
			});
		}
		const files: Record<string, FileData> = {};
		for (const spec of options.file) {
			const colon = spec.lastIndexOf(":");
			const host = colon > 0 ? spec.slice(0, colon) : spec;
			const dest = colon > 0 ? spec.slice(colon + 1) : basename(spec);
			files[dest] = await readHostFile(host).catch((error: NodeJS.ErrnoException) => {
				throw new GroveError("NOT_FOUND", `cannot read ${host}: ${error.code ?? error.message}`, {
					hint: "give --file HOST[:DEST] with a file on this machine",
				});
			});
		}
		const controller = new AbortController();
		const interrupt = () => controller.abort();
		process.once("SIGINT", interrupt);
		process.once("SIGTERM", interrupt);
		// Output goes to the terminal as the command writes it; `-f json` prints it in the result.
		const live = options.format !== "json";
		try {
			await withSession(options, async ({ session }) => {
				const result = await session.run({
					...(options.shell === undefined ? { argv } : { shell: options.shell }),
					env: parseAssignments(options.env),
					...(options.cwd === undefined ? {} : { cwd: options.cwd }),
					files,
					...(timeoutSeconds === undefined ? {} : { timeoutMs: Math.round(timeoutSeconds * 1000) }),
					disposable: options.disposable ?? false,
					onlyOk: options.onlyOk ?? false,
					...(options.network ? { network: true } : {}),
					signal: controller.signal,
					...(live ? { onOutput: (stream, chunk) => process[stream].write(chunk) } : {}),
				});
				if (!live) printJson(result);
				else if (result.timedOut) {
					process.stderr.write(
						`grove: timed out after ${timeoutSeconds}s; recorded as @${result.entry.id}, the branch did not move\n`,
					);
				}
				process.exitCode = result.exitCode;
			});
		} catch (error) {
			if (!controller.signal.aborted) throw error;
			process.stderr.write("grove: cancelled; the run is recorded off the branch\n");
			process.exitCode = 130;
		} finally {
			process.off("SIGINT", interrupt);
			process.off("SIGTERM", interrupt);
		}
	});

	withSessionOptions(
		program.command("cd").description("change the session's working directory").argument("<path>"),
	).action(async (path: string, options: SessionOptions) => {
		await withSession(options, async ({ session }) => {
			const entry = await session.cd(path);
			if (options.format === "json") return printJson(entry);
			printLine(entry.title);
		});
	});

	withSessionOptions(
		program
			.command("env")
			.description("set (K=V) or unset (-U K) the session's variables; without arguments, list them")
			.argument("[assignments...]", "NAME=VALUE")
			.option("-U, --unset <name>", "unset a variable (repeatable)", collect, []),
	).action(async (words: string[], options: SessionOptions & { unset: string[] }) => {
		await withSession(options, async ({ session }) => {
			if (words.length > 0 || options.unset.length > 0) {
				await session.history.env(parseAssignments(words), options.unset);
			}
			const env = session.history.state().env;
			if (options.format === "json") return printJson(env);
			const rows = Object.entries(env);
			if (options.format === "plain") return printLines(rows.map(([name, value]) => `${name}=${value}`));
			if (rows.length > 0) printLine(renderTable(["NAME", "VALUE"], rows));
		});
	});

	const file = program.command("file").description("files that the next run writes into the sandbox");
	withSessionOptions(
		file
			.command("cp")
			.description("copy a host file in at the next run (DEST relative to the working directory)")
			.argument("<host>")
			.argument("[dest]"),
	).action(async (host: string, dest: string | undefined, options: SessionOptions) => {
		await withSession(options, async ({ session }) => {
			const entry = await session.copyIn(host, dest);
			if (options.format === "json") return printJson(entry);
			printLine(options.format === "plain" ? String(entry.data.path) : `pending: ${entry.title}`);
		});
	});
	withSessionOptions(file.command("ls").description("the files waiting for the next run")).action(
		async (options: SessionOptions) => {
			await withSession(options, async ({ session }) => {
				const files = session.history.state().files;
				if (options.format === "json") return printJson(files);
				if (options.format === "plain") return printLines(files.map((pending) => pending.path));
				if (files.length > 0) {
					printLine(
						renderTable(
							["PATH", "SIZE", "MODE", "FROM"],
							files.map((pending) => [
								pending.path,
								String(pending.size),
								pending.mode.toString(8),
								`@${pending.historyId}`,
							]),
						),
					);
				}
			});
		},
	);

	withSessionOptions(
		program
			.command("ls")
			.description("list a directory of the session's image without starting anything")
			.argument("[path]")
			.option("--ref <ref>", "the entry to read: HEAD~N, @ID, BRANCH, BRANCH~N"),
	).action(async (path: string | undefined, options: SessionOptions & { ref?: string }) => {
		await withSession(options, async ({ session }) => {
			const entries = await session.list(path, options.ref === undefined ? {} : { ref: options.ref });
			if (options.format === "json") return printJson(entries);
			const name = (entry: (typeof entries)[number]) =>
				basename(entry.path) +
				(entry.type === "directory" ? "/" : entry.type === "symlink" ? ` -> ${entry.linkTarget ?? ""}` : "");
			if (options.format === "plain") return printLines(entries.map((entry) => name(entry)));
			printLine(
				renderTable(
					["MODE", "SIZE", "NAME"],
					entries.map((entry) => [modeString(entry.type, entry.mode), String(entry.size), name(entry)]),
				),
			);
		});
	});

	withSessionOptions(
		program
			.command("cat")
			.description("print a file of the session's image without starting anything")
			.argument("<path>")
			.option("--ref <ref>", "the entry to read"),
	).action(async (path: string, options: SessionOptions & { ref?: string }) => {
		await withSession(options, async ({ session }) => {
			const content = await session.readFile(path, options.ref === undefined ? {} : { ref: options.ref });
			if (options.format !== "json") return void process.stdout.write(content);
			const text = new TextDecoder("utf-8", { fatal: true });
			try {
				printJson({ path, encoding: "utf8", content: text.decode(content) });
			} catch {
				// Not UTF-8: JSON carries the bytes as base64 instead.
				printJson({ path, encoding: "base64", content: Buffer.from(content).toString("base64") });
			}
		});
	});

	withSessionOptions(
		program
			.command("cp")
			.description("copy a file or directory of the session's image to the host")
			.argument("<path>")
			.argument("<hostdest>")
			.option("--ref <ref>", "the entry to read"),
	).action(async (path: string, hostDest: string, options: SessionOptions & { ref?: string }) => {
		await withSession(options, async ({ session }) => {
			const written = await session.copyOut(
				path,
				hostDest,
				options.ref === undefined ? {} : { ref: options.ref },
			);
			if (options.format === "json") return printJson(written);
			for (const hostPath of written) printLine(hostPath);
		});
	});

	withSessionOptions(
		program
			.command("diff")
			.description("what changed: HEAD~1 to HEAD, REF to HEAD, or REF to REF")
			.argument("[from]")
			.argument("[to]"),
	).action(async (from: string | undefined, to: string | undefined, options: SessionOptions) => {
		await withSession(options, async ({ session }) => {
			const changes = await session.diff(from, to);
			if (options.format === "json") return printJson(changes);
			const letter = { added: "A", modified: "M", deleted: "D" } as const;
			if (options.format === "plain") {
				return printLines(changes.map((change) => `${letter[change.change]}\t${change.path}`));
			}
			if (changes.length > 0) {
				printLine(
					renderTable(
						["CHANGE", "TYPE", "SIZE", "PATH"],
						changes.map((change) => [change.change, change.type, String(change.size), change.path]),
					),
				);
			}
		});
	});

	withSessionOptions(
		program
			.command("apply")
			.description("write what the session changed since its image was chosen into a host directory")
			.argument("[ref]", "the entry whose changes to write (default HEAD)")
			.requiredOption("--to <dir>", "the host directory that stands for the image's /"),
	).action(async (ref: string | undefined, options: SessionOptions & { to: string }) => {
		await withSession(options, async ({ session }) => {
			const applied = await session.apply(options.to, ref === undefined ? {} : { ref });
			if (options.format === "json") return printJson(applied);
			if (options.format === "plain")
				return printLines(applied.map((change) => join(options.to, change.path)));
			if (applied.length > 0) {
				printLine(
					renderTable(
						["CHANGE", "TYPE", "SIZE", "PATH"],
						applied.map((change) => [
							change.change,
							change.type,
							String(change.size),
							join(options.to, change.path),
						]),
					),
				);
			}
		});
	});
}

/** A host file's bytes and permission bits, so a script copied in stays executable. */
async function readHostFile(path: string): Promise<FileData> {
	const handle = await open(path);
	try {
		const info = await handle.stat();
		return { content: new Uint8Array(await handle.readFile()), mode: info.mode & 0o7777 };
	} finally {
		await handle.close();
	}
}
