#!/usr/bin/env node
// Opening big conversation trees and appending to them: grove's SessionTree against pi's own
// SessionManager (0.73.1), on session files pi itself wrote. Each measurement runs in a fresh
// child process, so times include loading and peak RSS is that process's alone; contenders
// alternate and the median of the runs is printed, with the ratios.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const self = fileURLToPath(import.meta.url);
const grovePath = new URL("../dist/index.js", import.meta.url).href;

// pi's session manager module itself, not the whole coding agent: no contender pays for loading
// code it does not use.
const piSessionManager = new URL(
	"../node_modules/@mariozechner/pi-coding-agent/dist/core/session-manager.js",
	import.meta.url,
).href;

const loaders = {
	grove: async () => (await import(grovePath)).SessionTree,
	"grove-entries": async () => (await import(grovePath)).SessionTree,
	pi: async () => (await import(piSessionManager)).SessionManager,
	"parse-only": async () => null,
};

const contenders = {
	// The path walked as ids (O(depth)); only the entries in the context are parsed.
	async grove(SessionTree, file) {
		const session = await SessionTree.open(file);
		const context = session.buildContext();
		const path = session.tree.pathIds(session.activeLeaf);
		await session.close();
		return { messages: context.messages.length, path: path.length, leaf: session.activeLeaf };
	},
	// The path as parsed entries, for a caller that needs every entry on it.
	async "grove-entries"(SessionTree, file) {
		const session = await SessionTree.open(file);
		const context = session.buildContext();
		const path = session.getBranch();
		await session.close();
		return { messages: context.messages.length, path: path.length, leaf: session.activeLeaf };
	},
	// No index, no context: the file read and every line given to JSON.parse, the results kept. What
	// walking every entry costs at the least, whoever does it.
	async "parse-only"(_, file) {
		const buffer = readFileSync(file);
		const entries = [];
		let start = 0;
		for (let end = buffer.indexOf(10); end !== -1; end = buffer.indexOf(10, start)) {
			entries.push(JSON.parse(buffer.toString("utf8", start, end)));
			start = end + 1;
		}
		return { lines: entries.length };
	},
	async pi(SessionManager, file) {
		const session = SessionManager.open(file, join(file, ".."));
		const context = session.buildSessionContext();
		const path = session.getBranch();
		return { messages: context.messages.length, path: path.length, leaf: session.getLeafId() };
	},
};

const appenders = {
	async grove(SessionTree, dir, count) {
		const session = await SessionTree.create(join(dir, "grove.jsonl"), { cwd: "/w" });
		const started = performance.now();
		for (let turn = 0; turn < count; turn++) session.addMessage(userMessage(turn));
		const ms = performance.now() - started;
		await session.close();
		return ms;
	},
	async pi(SessionManager, dir, count) {
		const session = SessionManager.create("/w", dir);
		// pi writes nothing before the first assistant message; start past that point.
		session.appendMessage(assistantReply(0));
		const started = performance.now();
		for (let turn = 0; turn < count; turn++) session.appendMessage(userMessage(turn));
		return performance.now() - started;
	},
};

function userMessage(turn) {
	const text = `Turn ${turn}: please look at src/module-${turn % 97}.ts and explain how the exported functions handle errors, then suggest one change that would make failures easier to diagnose for the next person.`;
	return { role: "user", content: text, timestamp: 1_700_000_000_000 + turn * 1000 };
}

const usage = {
	input: 1800,
	output: 120,
	cacheRead: 900,
	cacheWrite: 0,
	totalTokens: 2820,
	cost: { input: 0.0054, output: 0.0018, cacheRead: 0.00027, cacheWrite: 0, total: 0.00747 },
};

function assistantCall(turn) {
	return {
		role: "assistant",
		content: [
			{ type: "text", text: "Let me read that file first." },
			{
				type: "toolCall",
				id: `toolu_${turn}`,
				name: "read",
				arguments: { path: `src/module-${turn % 97}.ts` },
			},
		],
		api: "anthropic-messages",
		provider: "anthropic",
		model: "claude-sonnet-4-5",
		usage,
		stopReason: "toolUse",
		timestamp: 1_700_000_000_000 + turn * 1000 + 200,
	};
}

function toolResult(turn) {
	const line = `export function handle${turn}(input: string): Result { return parse(input) ?? fail("bad"); }\n`;
	return {
		role: "toolResult",
		toolCallId: `toolu_${turn}`,
		toolName: "read",
		content: [{ type: "text", text: line.repeat(Math.ceil(2048 / line.length)).slice(0, 2048) }],
		isError: false,
		timestamp: 1_700_000_000_000 + turn * 1000 + 400,
	};
}

function assistantReply(turn) {
	const text = `The exported functions return a Result and fall back to fail() when parsing gives nothing. `
		.repeat(5)
		.slice(0, 400);
	return {
		role: "assistant",
		content: [{ type: "text", text }],
		api: "anthropic-messages",
		provider: "anthropic",
		model: "claude-sonnet-4-5",
		usage,
		stopReason: "stop",
		timestamp: 1_700_000_000_000 + turn * 1000 + 600,
	};
}

/** A session as the issue describes it, written by pi's SessionManager. Returns its path. */
async function generate(dir, entries) {
	const SessionManager = await loaders.pi();
	const pi = SessionManager.create("/w", dir);
	pi.appendModelChange("anthropic", "claude-sonnet-4-5");
	let sinceCompaction = 0;
	const userIds = [];
	let written = 1;
	for (let turn = 0; written < entries; turn++) {
		const userId = pi.appendMessage(userMessage(turn));
		userIds.push(userId);
		pi.appendMessage(assistantCall(turn));
		pi.appendMessage(toolResult(turn));
		pi.appendMessage(assistantReply(turn));
		sinceCompaction += 4;
		written += 4;
		if (turn % 25 === 24) {
			const main = pi.getLeafId();
			pi.branch(userIds[userIds.length - 2]);
			pi.appendMessage(userMessage(turn + 0.5));
			pi.appendMessage(assistantReply(turn + 0.5));
			pi.branch(main);
			sinceCompaction += 2;
			written += 2;
		}
		if (turn % 50 === 49) {
			pi.appendLabelChange(userId, `turn-${turn}`);
			sinceCompaction++;
			written++;
		}
		if (sinceCompaction >= 5000) {
			pi.appendCompaction(
				"Summary of the work so far: modules were read and their error handling explained.",
				userIds[userIds.length - 10],
				150_000,
			);
			sinceCompaction = 0;
			written++;
		}
	}
	return pi.getSessionFile();
}

function child(args) {
	const output = execFileSync(process.execPath, ["--expose-gc", self, ...args], {
		encoding: "utf8",
		maxBuffer: 1 << 20,
	});
	return JSON.parse(output);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
	const dir = mkdtempSync(join(tmpdir(), "grove-bench-"));
	try {
		const rows = [];
		for (const entries of [10_000, 100_000]) {
			const file = await generate(join(dir, String(entries)), entries);
			const megabytes = statSync(file).size / 1e6;
			const names = ["pi", "grove", "grove-entries", "parse-only"];
			const runs = Object.fromEntries(names.map((name) => [name, []]));
			for (let round = 0; round < 5; round++) {
				for (const name of names) runs[name].push(child(["open", name, file]));
			}
			const first = runs.pi[0];
			for (const name of names.filter((name) => name !== "parse-only")) {
				const { leaf, messages, path } = runs[name][0];
				if (leaf !== first.leaf || messages !== first.messages || path !== first.path) {
					throw new Error(`${name} and pi disagree: ${JSON.stringify({ [name]: runs[name][0], pi: first })}`);
				}
			}
			const summary = (name) => ({
				ms: median(runs[name].map((run) => run.ms)),
				rss: Math.max(...runs[name].map((run) => run.rssMb)),
			});
			const pi = summary("pi");
			const cell = ({ ms, rss }) => `${ms.toFixed(0)} ms, ${rss.toFixed(0)} MB`;
			const ratio = ({ ms, rss }) => `${(pi.ms / ms).toFixed(1)}x, ${((100 * rss) / pi.rss).toFixed(0)}%`;
			const size = `${entries / 1000}k (${megabytes.toFixed(0)} MB, path ${first.path})`;
			for (const [name, label] of [
				["grove", "grove, path as ids"],
				["grove-entries", "grove, path as entries"],
				["parse-only", "JSON.parse of every line"],
			]) {
				const measured = summary(name);
				rows.push([size, label, cell(pi), cell(measured), ratio(measured)]);
			}
		}
		console.log("open + build the leaf's context + walk the leaf path: time (median of 5) and peak RSS");
		console.log(
			"as ids: only the context's entries are parsed; as entries: getBranch(), every entry on the path",
		);
		console.log("JSON.parse of every line: neither grove nor pi, the least a walk of every entry costs");
		console.log("vs pi: how many times faster, and the share of pi's peak memory\n");
		printTable(["entries", "walk", "pi 0.73.1", "time, peak RSS", "vs pi"], rows);

		const count = 50_000;
		const rates = {};
		for (const name of ["pi", "grove"]) {
			const ms = median(
				[0, 1, 2].map(
					(round) => child(["append", name, join(dir, `append-${name}-${round}`), String(count)]).ms,
				),
			);
			rates[name] = count / (ms / 1000);
		}
		console.log(`\nappending ${count / 1000}k user messages to a session file (median of 3)\n`);
		printTable(
			["", "pi 0.73.1", "grove", "grove vs pi"],
			[["entries/s", rates.pi.toFixed(0), rates.grove.toFixed(0), `${(rates.grove / rates.pi).toFixed(1)}x`]],
		);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

function printTable(headers, rows) {
	const widths = headers.map((header, column) =>
		Math.max(header.length, ...rows.map((row) => row[column].length)),
	);
	const line = (cells) =>
		cells
			.map((cell, column) => cell.padEnd(widths[column]))
			.join("  ")
			.trimEnd();
	console.log([line(headers), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n"));
}

const [mode, name, target, extra] = process.argv.slice(2);
if (mode === "open") {
	const load = await loaders[name]();
	const started = performance.now();
	const result = await contenders[name](load, target);
	const ms = performance.now() - started;
	console.log(JSON.stringify({ ...result, ms, rssMb: process.resourceUsage().maxRSS / 1024 }));
} else if (mode === "append") {
	const { mkdirSync } = await import("node:fs");
	mkdirSync(target, { recursive: true });
	const load = await loaders[name]();
	console.log(JSON.stringify({ ms: await appenders[name](load, target, Number(extra)) }));
} else if (mode === "generate") {
	console.log(await generate(name, Number(target)));
} else {
	await main();
}
