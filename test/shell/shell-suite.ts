import { describe, expect, it } from "vitest";
import type { CommandResult, OutputChunk, ShellSession } from "../../src/shell/index.js";

export interface ShellSuiteHarness {
	/** Opens a fresh session over the transport under test. */
	open: () => Promise<ShellSession>;
	/**
	 * Whether the process with this pid (as the shell inside the sandbox sees it) still exists,
	 * asked from outside the session.
	 */
	isAlive: (pid: number) => Promise<boolean>;
}

/** Result fields that do not depend on timing, for exact comparisons. */
function settled<Output>(result: CommandResult<Output>): Omit<CommandResult<Output>, "durationMs"> {
	const { durationMs, ...rest } = result;
	expect(durationMs).toBeGreaterThanOrEqual(0);
	return rest;
}

function joined(chunks: OutputChunk[], stream: "stdout" | "stderr"): string {
	return chunks
		.filter((chunk) => chunk.stream === stream)
		.map((chunk) => chunk.data)
		.join("");
}

const ok = { exitCode: 0, ok: true, timedOut: false, truncated: false, stderr: "" };

/**
 * The behaviour every shell transport must have: the host shell, a process inside a local-engine
 * sandbox and a Docker/Podman exec stream all run this same suite. Inside, the sandbox needs a
 * POSIX sh (bash, dash or busybox ash) with cat, head, tr, sleep, mktemp and kill.
 */
export function defineShellSuite(name: string, harness: ShellSuiteHarness): void {
	describe(`shell session: ${name}`, () => {
		async function withSession(body: (session: ShellSession) => Promise<void>): Promise<void> {
			await using session = await harness.open();
			await body(session);
		}

		it("returns output without a trailing newline intact", () =>
			withSession(async (session) => {
				expect(settled(await session.sendAndWait("printf abc"))).toEqual({ ...ok, stdout: "abc" });
				expect(settled(await session.sendAndWait("printf 'x\\ny'; printf z >&2"))).toEqual({
					...ok,
					stdout: "x\ny",
					stderr: "z",
				});
			}));

		it("captures stderr apart from stdout without any sleep", () =>
			withSession(async (session) => {
				const result = await session.sendAndWait("echo out; echo err >&2; echo out2");
				expect(settled(result)).toEqual({ ...ok, stdout: "out\nout2\n", stderr: "err\n" });
			}));

		it("interrupts a timed-out command and keeps its output out of the next result", () =>
			withSession(async (session) => {
				const timedOut = await session.sendAndWait("echo before; sleep 30; echo late", { timeoutMs: 300 });
				expect(timedOut).toMatchObject({ stdout: "before\n", exitCode: 130, ok: false, timedOut: true });
				expect(settled(await session.sendAndWait("echo next"))).toEqual({ ...ok, stdout: "next\n" });
			}));

		it("kills the whole process group of a timed-out command, even a process that ignores SIGINT", () =>
			withSession(async (session) => {
				await session.sendAndWait('d=$(mktemp -d); cd "$d"');
				// The timeout leaves time for the pipeline to start and set its trap on a loaded machine:
				// the subject is what happens to processes that are in place when it fires.
				const result = await session.sendAndWait(
					"sleep 31 & echo $! > bg; sh -c 'trap \"\" INT; echo $$ > fg; exec sleep 32' | cat",
					{ timeoutMs: 2000 },
				);
				expect(result).toMatchObject({ timedOut: true, ok: false });
				const pids = await session.sendAndWait("cat fg");
				expect(await harness.isAlive(Number(pids.stdout))).toBe(false);
				expect(settled(await session.sendAndWait("echo next"))).toEqual({ ...ok, stdout: "next\n" });
			}));

		it("gives a command end of input unless stdin is passed", () =>
			withSession(async (session) => {
				const result = await session.sendAndWait("cat; read x; echo read=$?", { timeoutMs: 10_000 });
				expect(settled(result)).toEqual({ ...ok, stdout: "read=1\n" });
				const fed = await session.sendAndWait("cat", { stdin: "line 1\nquote ' back\\slash \0 €" });
				expect(settled(fed)).toEqual({ ...ok, stdout: "line 1\nquote ' back\\slash \0 €" });
				const bytes = new Uint8Array([0, 1, 10, 39, 92, 200, 255]);
				const binary = await session.sendAndWait("cat", { stdin: bytes, encoding: "buffer" });
				expect(binary.stdout).toEqual(bytes);
				expect(settled(await session.sendAndWait("echo after"))).toEqual({ ...ok, stdout: "after\n" });
			}));

		it("fails a syntax error with a non-zero exit code and keeps the session working", () =>
			withSession(async (session) => {
				const result = await session.sendAndWait('echo "unterminated');
				expect(result).toMatchObject({ stdout: "", exitCode: 2, ok: false, timedOut: false });
				expect(result.stderr).toMatch(/unterminated|unexpected EOF/i);
				expect(settled(await session.sendAndWait("echo fine"))).toEqual({ ...ok, stdout: "fine\n" });
			}));

		it("gives up a shell stuck in a builtin that ignores SIGINT: the result is timed out, the session closed", () =>
			withSession(async (session) => {
				const result = await session.sendAndWait("echo spinning; trap '' INT; while :; do :; done", {
					timeoutMs: 200,
				});
				expect(result).toMatchObject({ stdout: "spinning\n", exitCode: 137, ok: false, timedOut: true });
				await expect(session.sendAndWait("echo")).rejects.toMatchObject({ code: "SESSION_CLOSED" });
			}));

		it("stops a command when its AbortSignal fires and rejects with ABORTED", () =>
			withSession(async (session) => {
				const controller = new AbortController();
				const chunks: OutputChunk[] = [];
				session.onOutput((chunk) => chunks.push(chunk));
				const running = session
					.sendAndWait("echo started; sleep 30", { signal: controller.signal })
					.catch((error: unknown) => error);
				const queued = session
					.sendAndWait("echo queued", { signal: controller.signal })
					.catch((error: unknown) => error);
				await expect.poll(() => joined(chunks, "stdout")).toBe("started\n");
				controller.abort();
				expect(await running).toMatchObject({ code: "ABORTED" });
				expect(await queued).toMatchObject({ code: "ABORTED" });
				await expect(session.sendAndWait("echo", { signal: controller.signal })).rejects.toMatchObject({
					name: "AbortError",
				});
				expect(settled(await session.sendAndWait("echo next"))).toEqual({ ...ok, stdout: "next\n" });
			}));

		it("rejects a command with a NUL byte with INVALID_ARGUMENT", () =>
			withSession(async (session) => {
				await expect(session.sendAndWait("echo a\0b")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
				expect(() => session.send("echo a\0b")).toThrow(
					expect.objectContaining({ code: "INVALID_ARGUMENT" }),
				);
			}));

		it("keeps working after a command redirects the shell's own output and input", () =>
			withSession(async (session) => {
				await session.sendAndWait('d=$(mktemp -d); exec 5>&1 >"$d/out" 6>&2 2>"$d/err" </dev/null');
				const hidden = await session.sendAndWait("echo to-file; echo err-to-file >&2");
				expect(settled(hidden)).toEqual({ ...ok, stdout: "" });
				const restored = await session.sendAndWait('exec >&5 5>&- 2>&6 6>&-; cat "$d/out" "$d/err"');
				expect(settled(restored)).toEqual({ ...ok, stdout: "to-file\nerr-to-file\n" });
			}));

		it("resolves `exit 3` with exit code 3, then throws SessionClosed from every call", () =>
			withSession(async (session) => {
				const result = await session.sendAndWait("echo bye; exit 3");
				expect(result).toMatchObject({ stdout: "bye\n", exitCode: 3, ok: false, timedOut: false });
				const closed = { code: "SESSION_CLOSED", name: "SessionClosed", exitStatus: 3 };
				await expect(session.sendAndWait("echo again")).rejects.toMatchObject(closed);
				expect(() => session.send("echo again")).toThrow(expect.objectContaining(closed));
				expect(() => session.read()).toThrow(expect.objectContaining(closed));
				expect(() => session.onOutput(() => undefined)).toThrow(expect.objectContaining(closed));
				expect(() => session.interrupt()).toThrow(expect.objectContaining(closed));
				await session.close();
			}));

		it("resolves a command whose shell is killed with 137, then throws SessionClosed", () =>
			withSession(async (session) => {
				const result = await session.sendAndWait("echo going; kill -9 $$");
				expect(result).toMatchObject({ stdout: "going\n", exitCode: 137, ok: false, timedOut: false });
				await expect(session.sendAndWait("echo")).rejects.toMatchObject({
					code: "SESSION_CLOSED",
					exitStatus: 137,
				});
			}));

		it("delivers a multibyte character split across reads whole, and binary output intact", () =>
			withSession(async (session) => {
				const chunks: OutputChunk[] = [];
				session.onOutput((chunk) => chunks.push(chunk));
				// The sleep makes the shell write the two halves of "€" in separate reads.
				const result = await session.sendAndWait("printf '\\342'; sleep 0.2; printf '\\202\\254\\n'");
				expect(settled(result)).toEqual({ ...ok, stdout: "€\n" });
				expect(joined(chunks, "stdout")).toBe("€\n");
				const all = Array.from({ length: 256 }, (_, byte) => byte);
				const octal = all.map((byte) => `\\${byte.toString(8).padStart(3, "0")}`).join("");
				const binary = await session.sendAndWait(`printf '${octal}'; printf '${octal}' >&2`, {
					encoding: "buffer",
				});
				expect(binary.stdout).toEqual(new Uint8Array(all));
				expect(binary.stderr).toEqual(new Uint8Array(all));
				expect(binary.exitCode).toBe(0);
			}));

		it("cuts output over maxOutputBytes and bounds what read() keeps", () =>
			withSession(async (session) => {
				const big = "head -c 5000000 /dev/zero | tr '\\0' a";
				const cut = await session.sendAndWait(`${big}; echo tail; ${big} >&2`, { maxOutputBytes: 1000 });
				expect(cut).toMatchObject({ exitCode: 0, ok: true, truncated: true });
				expect(cut.stdout).toBe("a".repeat(1000));
				expect(cut.stderr).toBe("a".repeat(1000));
				const multibyte = await session.sendAndWait("printf 'ab€'", { maxOutputBytes: 4 });
				expect(multibyte).toMatchObject({ stdout: "ab", truncated: true });
				session.send("head -c 12000000 /dev/zero | tr '\\0' b; echo end");
				await session.sendAndWait(":");
				const kept = session.read();
				const text = joined(kept, "stdout");
				expect(text.length).toBeLessThanOrEqual(10 * 1024 * 1024);
				expect(text.length).toBeGreaterThan(9 * 1024 * 1024);
				expect(text.endsWith("bbbend\n")).toBe(true);
			}));

		it("keeps memory bounded while a command prints far more than maxOutputBytes", () =>
			withSession(async (session) => {
				const before = process.memoryUsage();
				let peak = 0;
				const sampler = setInterval(() => {
					const now = process.memoryUsage();
					peak = Math.max(peak, now.arrayBuffers + now.heapUsed - before.arrayBuffers - before.heapUsed);
				}, 5);
				try {
					const result = await session.sendAndWait("head -c 200000000 /dev/zero", { maxOutputBytes: 1000 });
					expect(result).toMatchObject({ exitCode: 0, truncated: true });
					expect(result.stdout).toHaveLength(1000);
				} finally {
					clearInterval(sampler);
				}
				// Keeping the output would take 200 MB; what is held at once stays a fraction of it.
				expect(peak).toBeLessThan(100_000_000);
			}));

		it("runs concurrent sendAndWait calls one after another in call order", () =>
			withSession(async (session) => {
				await session.sendAndWait("order=");
				const results = await Promise.all(
					[0, 1, 2, 3, 4].map((index) =>
						session.sendAndWait(`${index === 0 ? "sleep 0.2; " : ""}order="$order ${index}"; echo "$order"`),
					),
				);
				expect(results.map((result) => result.stdout)).toEqual([
					" 0\n",
					" 0 1\n",
					" 0 1 2\n",
					" 0 1 2 3\n",
					" 0 1 2 3 4\n",
				]);
			}));

		it("never attributes the output of a send() command to the next sendAndWait", () =>
			withSession(async (session) => {
				session.send("echo from-send; echo err-from-send >&2; printf no-newline");
				expect(settled(await session.sendAndWait("echo mine"))).toEqual({ ...ok, stdout: "mine\n" });
				const chunks = session.read();
				expect(joined(chunks, "stdout")).toBe("from-send\nno-newline");
				expect(joined(chunks, "stderr")).toBe("err-from-send\n");
				expect(session.read()).toEqual([]);
			}));

		it("cannot be fooled into an early end by anything a command prints", () =>
			withSession(async (session) => {
				const spoof = "printf '\\037%s>0\\n' 0123456789abcdef; printf '\\037'; echo fake >&2";
				expect(settled(await session.sendAndWait(spoof))).toEqual({
					...ok,
					stdout: "\x1f0123456789abcdef>0\n\x1f",
					stderr: "fake\n",
				});
				const traced = await session.sendAndWait("set -x; echo traced; set +x");
				expect(traced).toMatchObject({ stdout: "traced\n", exitCode: 0 });
				const echoed = await session.sendAndWait('set; echo "$__grove_c"; declare -f 2>/dev/null; echo end');
				expect(echoed).toMatchObject({ exitCode: 0 });
				expect(echoed.stdout.endsWith("end\n")).toBe(true);
				expect(settled(await session.sendAndWait("echo clean"))).toEqual({ ...ok, stdout: "clean\n" });
			}));

		it("close() kills the running command, background jobs and the shell, and is idempotent", async () => {
			const session = await harness.open();
			const probe = await session.sendAndWait('d=$(mktemp -d); sleep 60 & echo "$! $$"');
			const [background, shell] = probe.stdout.trim().split(" ").map(Number) as [number, number];
			const pending = session.sendAndWait("sleep 61");
			const queued = session.sendAndWait("echo never");
			await expect.poll(() => harness.isAlive(background)).toBe(true);
			await session.close();
			await expect(pending).rejects.toMatchObject({ code: "SESSION_CLOSED", exitStatus: null });
			await expect(queued).rejects.toMatchObject({ code: "SESSION_CLOSED" });
			await expect(session.close()).resolves.toBeUndefined();
			await expect.poll(() => harness.isAlive(background)).toBe(false);
			await expect.poll(() => harness.isAlive(shell)).toBe(false);
			await expect(session.sendAndWait("echo")).rejects.toMatchObject({ code: "SESSION_CLOSED" });
		});

		it("keeps the working directory, exported variables and functions between commands", () =>
			withSession(async (session) => {
				await session.sendAndWait("cd /; cd tmp; export GROVE_X='a b'; plain=1; greet() { echo \"hi $1\"; }");
				const result = await session.sendAndWait(
					'pwd; echo "$GROVE_X $plain"; greet you; sh -c \'echo "$GROVE_X"\'',
				);
				expect(settled(result)).toEqual({ ...ok, stdout: "/tmp\na b 1\nhi you\na b\n" });
				await session.sendAndWait("false");
				expect((await session.sendAndWait("echo $?")).stdout).toBe("1\n");
			}));

		it("keeps delivering output to other listeners when one throws", () =>
			withSession(async (session) => {
				const warnings: string[] = [];
				const onWarning = (warning: Error) => warnings.push(warning.message);
				process.on("warning", onWarning);
				try {
					const chunks: OutputChunk[] = [];
					session.onOutput(() => {
						throw new Error("listener bug");
					});
					session.onOutput((chunk) => chunks.push(chunk));
					expect(settled(await session.sendAndWait("echo hello"))).toEqual({ ...ok, stdout: "hello\n" });
					expect(joined(chunks, "stdout")).toBe("hello\n");
					await expect
						.poll(() => warnings)
						.toEqual(["a ShellSession onOutput listener threw: Error: listener bug"]);
				} finally {
					process.off("warning", onWarning);
				}
			}));

		it("interrupt() stops the running command like Ctrl-C", () =>
			withSession(async (session) => {
				const chunks: OutputChunk[] = [];
				const unsubscribe = session.onOutput((chunk) => chunks.push(chunk));
				const running = session.sendAndWait("echo started; sleep 30; echo late");
				await expect.poll(() => joined(chunks, "stdout")).toBe("started\n");
				unsubscribe();
				session.interrupt();
				expect(await running).toMatchObject({
					stdout: "started\n",
					exitCode: 130,
					timedOut: false,
					ok: false,
				});
				expect(joined(chunks, "stdout")).toBe("started\n");
				expect(settled(await session.sendAndWait("echo next"))).toEqual({ ...ok, stdout: "next\n" });
			}));
	});
}
