#!/usr/bin/env node
// The tree navigator on a 100k-entry session: time to the first screen, then 100 moves down, each
// a key press and a redraw. Beside it, on the same file and the same headless terminal, pi's own
// `/tree` selector, and the root-to-leaf path walk (`getBranch()`) pi repeats on its redraws.
// Targets: first screen under 1 s; a move under 16 ms.
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initTheme, SessionManager, TreeSelectorComponent } from "@mariozechner/pi-coding-agent";
import { TUI } from "@mariozechner/pi-tui";

const root = fileURLToPath(new URL("..", import.meta.url));
const { SessionTree } = await import(join(root, "dist/tree/index.js"));
const { conversationSource } = await import(join(root, "dist/tui/conversation.js"));
const { NavigatorModel } = await import(join(root, "dist/tui/navigator-model.js"));
const { NavigatorView } = await import(join(root, "dist/tui/navigator-view.js"));

const ENTRIES = 100_000;
const MOVES = 100;
const COLUMNS = 120;
const ROWS = 40;
const DOWN = "\x1b[B";

/** A terminal that keeps nothing: the cost measured is building the frame and its escape codes. */
class HeadlessTerminal {
	bytes = 0;
	start() {}
	stop() {}
	async drainInput() {}
	write(data) {
		this.bytes += data.length;
	}
	get columns() {
		return COLUMNS;
	}
	get rows() {
		return ROWS;
	}
	get kittyProtocolActive() {
		return false;
	}
	moveBy() {}
	hideCursor() {}
	showCursor() {}
	clearLine() {}
	clearFromCursor() {}
	clearScreen() {}
	setTitle() {}
	setProgress() {}
}

const text = (length, seed) =>
	`${seed} `.repeat(Math.ceil(length / (String(seed).length + 1))).slice(0, length);

/** Per turn, as the tree benchmark: a user message, a tool call, a 2 KB result, a reply; a side branch every 25 turns, a label every 50. */
function generate(path) {
	mkdirSync(dirname(path), { recursive: true });
	const manager = SessionManager.create("/bench", dirname(path));
	let turn = 0;
	while (manager.getEntries().length < ENTRIES) {
		turn++;
		const usage = {
			input: 900,
			output: 120,
			cacheRead: 0,
			cacheWrite: 0,
			totalTokens: 1020,
			cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 },
		};
		const base = {
			api: "openai-completions",
			provider: "bench",
			model: "bench-model",
			usage,
			timestamp: Date.now(),
		};
		if (turn % 25 === 0) {
			const branch = manager.getBranch();
			const back = branch[Math.max(0, branch.length - 9)];
			if (back) manager.branch(back.id);
		}
		const userId = manager.appendMessage({
			role: "user",
			content: text(190, `question ${turn}`),
			timestamp: Date.now(),
		});
		manager.appendMessage({
			...base,
			role: "assistant",
			content: [
				{ type: "toolCall", id: `call-${turn}`, name: "read", arguments: { path: `/src/file-${turn}.ts` } },
			],
			stopReason: "toolUse",
		});
		manager.appendMessage({
			role: "toolResult",
			toolCallId: `call-${turn}`,
			toolName: "read",
			content: [{ type: "text", text: text(2048, `line ${turn}`) }],
			isError: false,
			timestamp: Date.now(),
		});
		manager.appendMessage({
			...base,
			role: "assistant",
			content: [{ type: "text", text: text(400, `answer ${turn}`) }],
			stopReason: "stop",
		});
		if (turn % 50 === 0) manager.appendLabelChange(userId, `turn-${turn}`);
	}
	renameSync(manager.getSessionFile(), path);
}

function stats(samples) {
	const sorted = [...samples].sort((a, b) => a - b);
	const mean = samples.reduce((sum, value) => sum + value, 0) / samples.length;
	const at = (fraction) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))];
	return { mean, p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] };
}

/** Opens the file, draws the first screen, then presses ↓ `MOVES` times, drawing after each. */
async function measure(open) {
	const terminal = new HeadlessTerminal();
	const tui = new TUI(terminal);
	const started = performance.now();
	const { view, walk, close } = await open();
	tui.addChild(view);
	tui.setFocus(view);
	tui.doRender();
	const firstScreenMs = performance.now() - started;
	const moves = [];
	const walks = [];
	for (let move = 0; move < MOVES; move++) {
		const before = performance.now();
		view.handleInput(DOWN);
		tui.doRender();
		moves.push(performance.now() - before);
		if (walk) {
			const walkStart = performance.now();
			walk();
			walks.push(performance.now() - walkStart);
		}
	}
	await close?.();
	return {
		firstScreenMs,
		firstMoveMs: moves[0],
		moves: stats(moves),
		walks: walks.length > 0 ? stats(walks) : null,
		bytes: terminal.bytes,
	};
}

const file = join(root, ".bench-data", `tui-${ENTRIES}.jsonl`);
if (!existsSync(file)) {
	console.log(`generating ${file} with pi's SessionManager…`);
	generate(file);
}

const grove = await measure(async () => {
	const session = await SessionTree.open(file, { readOnly: true });
	const model = new NavigatorModel(conversationSource(session));
	const view = new NavigatorView({
		model,
		title: "bench",
		height: () => ROWS,
		setLabel: async () => {},
		isCurrent: () => false,
		leavesBranch: () => false,
		done: () => {},
		requestRender: () => {},
	});
	return { view, walk: null, close: () => session.close() };
});

initTheme();
const pi = await measure(async () => {
	const manager = SessionManager.open(file);
	const view = new TreeSelectorComponent(
		manager.getTree(),
		manager.getLeafId(),
		ROWS,
		() => {},
		() => {},
		() => {},
	);
	return { view, walk: () => manager.getBranch() };
});

const ms = (value) => `${value.toFixed(value < 10 ? 2 : 0)} ms`;
const rows = [
	["", "grove", "pi 0.73.1", "pi / grove"],
	[
		"first screen",
		ms(grove.firstScreenMs),
		ms(pi.firstScreenMs),
		`${(pi.firstScreenMs / grove.firstScreenMs).toFixed(1)}×`,
	],
	[
		"first move + redraw",
		ms(grove.firstMoveMs),
		ms(pi.firstMoveMs),
		`${(pi.firstMoveMs / grove.firstMoveMs).toFixed(1)}×`,
	],
	[
		"move + redraw, mean",
		ms(grove.moves.mean),
		ms(pi.moves.mean),
		`${(pi.moves.mean / grove.moves.mean).toFixed(1)}×`,
	],
	[
		"move + redraw, p50",
		ms(grove.moves.p50),
		ms(pi.moves.p50),
		`${(pi.moves.p50 / grove.moves.p50).toFixed(1)}×`,
	],
	[
		"move + redraw, p95",
		ms(grove.moves.p95),
		ms(pi.moves.p95),
		`${(pi.moves.p95 / grove.moves.p95).toFixed(1)}×`,
	],
	[
		"move + redraw, max",
		ms(grove.moves.max),
		ms(pi.moves.max),
		`${(pi.moves.max / grove.moves.max).toFixed(1)}×`,
	],
	["pi path walk (getBranch), mean", "—", ms(pi.walks.mean), ""],
	[
		"move + path walk, mean",
		ms(grove.moves.mean),
		ms(pi.moves.mean + pi.walks.mean),
		`${((pi.moves.mean + pi.walks.mean) / grove.moves.mean).toFixed(1)}×`,
	],
];
const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
console.log(`${ENTRIES} entries, ${MOVES} moves, ${COLUMNS}×${ROWS} headless terminal\n`);
for (const row of rows)
	console.log(
		row
			.map((cell, column) => cell.padEnd(widths[column]))
			.join("  ")
			.trimEnd(),
	);
console.log(
	`\ntargets: first screen < 1000 ms (${grove.firstScreenMs < 1000 ? "met" : "MISSED"}), move < 16 ms (${grove.moves.max < 16 ? "met" : grove.moves.mean < 16 ? "met on average" : "MISSED"})`,
);
