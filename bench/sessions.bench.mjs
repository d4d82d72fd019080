#!/usr/bin/env node
// Listing a session store: grove's catalog (cold: no metadata cache; warm: cache in place) against
// pi's SessionManager.list, side by side. The store: 12 sessions written by pi's own SessionManager,
// one of 100k entries and eleven of 10k (about 200 MB). Each measurement runs in its own process so
// peak memory is that contender's alone; each is repeated and the median is reported.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const piSessionManager = pathToFileURL(
	join(here, "..", "node_modules", "@mariozechner", "pi-coding-agent", "dist", "core", "session-manager.js"),
).href;
const groveDist = pathToFileURL(join(here, "..", "dist", "index.js")).href;

const CWD = "/bench/project";
const ROOT = join(tmpdir(), "grove-bench-sessions-v1");
const FOLDER = join(ROOT, "sessions", "--bench-project--");
const HOME = join(ROOT, "grove-home");
const RUNS = 3;

function usage(input, output) {
	const cost = (input * 3 + output * 15) / 1e6;
	return {
		input,
		output,
		cacheRead: 0,
		cacheWrite: 0,
		totalTokens: input + output,
		cost: { input: cost / 2, output: cost / 2, cacheRead: 0, cacheWrite: 0, total: cost },
	};
}

/** One turn as the benchmark's agent produces it: question, tool call, 2.5 KB result, answer. */
function appendTurn(manager, turn, time) {
	manager.appendMessage({
		role: "user",
		content: `Turn ${turn}: please look at src/module-${turn % 97}.ts and explain how the exported functions handle errors, then suggest a fix for the edge case.`,
		timestamp: time,
	});
	manager.appendMessage({
		role: "assistant",
		content: [
			{
				type: "toolCall",
				id: `call_${turn}`,
				name: "read",
				arguments: { path: `src/module-${turn % 97}.ts` },
			},
		],
		api: "anthropic-messages",
		provider: "anthropic",
		model: "claude-sonnet-4-5",
		usage: usage(1200 + turn, 40),
		stopReason: "toolUse",
		timestamp: time + 1,
	});
	manager.appendMessage({
		role: "toolResult",
		toolCallId: `call_${turn}`,
		toolName: "read",
		content: [
			{
				type: "text",
				text: `// module ${turn}\n${"export function f(x: number) { return x * 2; }\n".repeat(52)}`,
			},
		],
		isError: false,
		timestamp: time + 2,
	});
	manager.appendMessage({
		role: "assistant",
		content: [
			{
				type: "text",
				text: `The module doubles its input. ${"It has no error handling for NaN inputs, which propagate silently. ".repeat(5)}`,
			},
		],
		api: "anthropic-messages",
		provider: "anthropic",
		model: "claude-sonnet-4-5",
		usage: usage(3800 + turn, 120),
		stopReason: "stop",
		timestamp: time + 3,
	});
}

async function generate() {
	if (existsSync(join(ROOT, "complete"))) return;
	rmSync(ROOT, { recursive: true, force: true });
	mkdirSync(FOLDER, { recursive: true });
	const { SessionManager } = await import(piSessionManager);
	const sizes = [100_000, ...Array.from({ length: 11 }, () => 10_000)];
	let time = Date.UTC(2026, 0, 1);
	for (const [index, entries] of sizes.entries()) {
		process.stderr.write(`generating session ${index + 1}/12 (${entries} entries)\n`);
		const manager = SessionManager.create(CWD, FOLDER);
		for (let turn = 0; turn * 4 < entries; turn++) {
			appendTurn(manager, turn, time);
			time += 10_000;
			if (turn % 50 === 49) manager.appendLabelChange(manager.getLeafId(), `checkpoint ${turn}`);
		}
		manager.appendSessionInfo(`bench session ${index + 1}`);
	}
	writeFileSync(join(ROOT, "complete"), "");
}

async function child(kind) {
	if (kind === "pi") {
		const { SessionManager } = await import(piSessionManager);
		const base = process.memoryUsage().rss;
		const t0 = performance.now();
		const count = (await SessionManager.list(CWD, FOLDER)).length;
		report(kind, performance.now() - t0, base, count);
		return;
	}
	const { listSessions, resolveStore } = await import(groveDist);
	const store = resolveStore({ env: { GROVE_HOME: HOME, PI_CODING_AGENT_DIR: ROOT }, pi: true });
	if (kind === "grove-cold") rmSync(store.cacheFile, { force: true });
	const base = process.memoryUsage().rss;
	const t0 = performance.now();
	const count = (await listSessions(store, { cwd: CWD })).length;
	report(kind, performance.now() - t0, base, count);
}

function report(kind, ms, baseRss, count) {
	const peakRss = process.resourceUsage().maxRSS * 1024;
	process.stdout.write(
		`${JSON.stringify({ kind, ms, peakRss, growth: Math.max(0, peakRss - baseRss), count })}\n`,
	);
}

function measure(kind) {
	const results = [];
	for (let run = 0; run < RUNS; run++) {
		if (kind === "grove-warm")
			spawnSync(process.execPath, [fileURLToPath(import.meta.url), "child", "grove-cold"]);
		const result = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "child", kind], {
			encoding: "utf8",
		});
		if (result.status !== 0) throw new Error(`${kind} failed: ${result.stderr}`);
		results.push(JSON.parse(result.stdout));
	}
	const median = (key) => results.map((result) => result[key]).sort((a, b) => a - b)[Math.floor(RUNS / 2)];
	return {
		kind,
		ms: median("ms"),
		peakRss: median("peakRss"),
		growth: median("growth"),
		count: results[0].count,
	};
}

if (process.argv[2] === "child") {
	await child(process.argv[3]);
} else {
	await generate();
	const pi = measure("pi");
	const cold = measure("grove-cold");
	const warm = measure("grove-warm");
	if (cold.count !== pi.count || warm.count !== pi.count) {
		throw new Error(`session counts differ: pi ${pi.count}, grove cold ${cold.count}, warm ${warm.count}`);
	}
	const mb = (bytes) => (bytes / 1048576).toFixed(0);
	const rows = [
		["contender", "time ms", "vs pi", "peak RSS MB", "RSS growth MB", "growth vs pi"],
		...[pi, cold, warm].map((result) => [
			result.kind === "pi"
				? "pi SessionManager.list"
				: result.kind === "grove-cold"
					? "grove list (cold cache)"
					: "grove list (warm cache)",
			result.ms.toFixed(1),
			result === pi ? "1.0×" : `${(pi.ms / result.ms).toFixed(1)}× faster`,
			mb(result.peakRss),
			mb(result.growth),
			result === pi ? "1.00" : (result.growth / pi.growth).toFixed(2),
		]),
	];
	const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
	console.log(
		`store: 12 sessions (1 × 100k entries, 11 × 10k), ${pi.count} listed, median of ${RUNS} runs\n`,
	);
	for (const row of rows)
		console.log(
			row
				.map((cell, column) => cell.padEnd(widths[column]))
				.join("  ")
				.trimEnd(),
		);
	const targets = [
		["warm ≥ 20× faster than pi", pi.ms / warm.ms >= 20],
		["cold ≥ 3× faster than pi", pi.ms / cold.ms >= 3],
		[
			"peak memory ≤ ¼ of pi's (growth while listing)",
			cold.growth * 4 <= pi.growth && warm.growth * 4 <= pi.growth,
		],
	];
	console.log("");
	for (const [name, met] of targets) console.log(`${met ? "met " : "MISSED"}  ${name}`);
	if (targets.some(([, met]) => !met)) process.exitCode = 1;
}
