import { createHash } from "node:crypto";
import type { SessionStats } from "../sessions/index.js";
import { pageScript } from "./page-script.js";
import { pageStyle } from "./page-style.js";

/** An entry as read from the file: a pi entry object, kept whole. */
export interface PageEntry {
	type: string;
	id: string;
	parentId: string | null;
	[field: string]: unknown;
}

/** What the exported page shows. The page renders exactly this; it computes no tree order of its own. */
export interface SessionPage {
	header: { id: string; timestamp: string; cwd: string; name: string | null };
	/** Every entry of the tree in the tree's depth-first order, with its indent (which grows where the tree branches) and current label. */
	nodes: readonly { entry: PageEntry; indent: number; label: string | null }[];
	/** The active leaf; the page opens on its path. */
	leafId: string | null;
	activePath: SessionStats;
	wholeTree: SessionStats;
	/** The session file's text, offered by the page's download button. */
	jsonl: string;
	/** The download's file name. */
	fileName: string;
}

const FILTERS = [
	["default", "Default"],
	["no-tools", "No tools"],
	["user-only", "User only"],
	["labeled-only", "Labeled"],
	["all", "All"],
] as const;

/** Escapes text for HTML element content and quoted attribute values. */
function escapeHtml(text: string): string {
	return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/**
 * JSON for a `<script type="application/json">` block: `<`, `>` and `&` become `\u003c`... so no
 * `</script>` or `<!--` in the data can end the block early; U+2028/U+2029 are escaped for older parsers.
 */
function jsonForScript(value: unknown): string {
	return JSON.stringify(value).replace(
		/[<>&\u2028\u2029]/g,
		(char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
	);
}

function formatCost(cost: number): string {
	return `$${cost.toFixed(4)}`;
}

function statsRows(label: string, stats: SessionStats): string {
	const cells = [
		label,
		`${stats.entries}`,
		`${stats.messages}`,
		`${stats.userMessages}`,
		`${stats.assistantMessages}`,
		`${stats.toolCalls}`,
		`${stats.toolResults}`,
		`${stats.tokens.input}`,
		`${stats.tokens.output}`,
		`${stats.tokens.cacheRead}`,
		`${stats.tokens.cacheWrite}`,
		`${stats.tokens.total}`,
		formatCost(stats.cost),
	];
	return `<tr>${cells.map((cell, index) => (index === 0 ? `<th>${escapeHtml(cell)}</th>` : `<td>${escapeHtml(cell)}</td>`)).join("")}</tr>`;
}

/**
 * Renders a session as one self-contained HTML page: a header with id, date, models, counts,
 * tokens and cost (for the active path and the whole tree, both labelled), a sidebar with the whole
 * tree, search and five filters, and the messages of the selected entry's path. Session content is
 * only ever inserted as text, and a Content-Security-Policy lets no script but the page's own run.
 */
export function renderSessionHtml(page: SessionPage): string {
	const scriptHash = createHash("sha256").update(pageScript).digest("base64");
	const csp = [
		"default-src 'none'",
		`script-src 'sha256-${scriptHash}'`,
		"style-src 'unsafe-inline'",
		"img-src data:",
		"base-uri 'none'",
		"form-action 'none'",
	].join("; ");
	const title = page.header.name ?? `Session ${page.header.id}`;
	const models = page.wholeTree.models.length > 0 ? page.wholeTree.models.join(", ") : "none";
	const data = {
		nodes: page.nodes,
		leafId: page.leafId,
		jsonl: page.jsonl,
		fileName: page.fileName,
	};
	return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${pageStyle}</style>
</head>
<body>
<header id="session-header">
<h1>${escapeHtml(title)}</h1>
<dl>
<dt>Session</dt><dd id="session-id">${escapeHtml(page.header.id)}</dd>
<dt>Date</dt><dd>${escapeHtml(page.header.timestamp)}</dd>
<dt>Directory</dt><dd>${escapeHtml(page.header.cwd)}</dd>
<dt>Models</dt><dd id="models">${escapeHtml(models)}</dd>
</dl>
<table id="stats">
<thead><tr><th></th><th>entries</th><th>messages</th><th>user</th><th>assistant</th><th>tool calls</th><th>tool results</th><th>input</th><th>output</th><th>cache read</th><th>cache write</th><th>total tokens</th><th>cost</th></tr></thead>
<tbody>
${statsRows("Active path", page.activePath)}
${statsRows("Whole tree", page.wholeTree)}
</tbody>
</table>
<button type="button" id="download">Download JSONL</button>
</header>
<div id="layout">
<nav id="sidebar">
<input id="search" type="search" placeholder="Search" aria-label="Search entries">
<div id="filters">${FILTERS.map(([value, label]) => `<button type="button" class="filter${value === "default" ? " active" : ""}" data-filter="${value}">${label}</button>`).join("")}</div>
<div id="tree-status"></div>
<ul id="tree"></ul>
</nav>
<main id="messages"></main>
</div>
<script type="application/json" id="session-data">${jsonForScript(data)}</script>
<script>${pageScript}</script>
</body>
</html>
`;
}
