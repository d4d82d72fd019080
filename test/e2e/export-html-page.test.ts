import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { expect } from "vitest";
import { type PageEntry, renderSessionHtml } from "../../src/export/index.js";
import { statsOf } from "../../src/sessions/index.js";
import { missingChromium, browserTest as test } from "../support/browser.js";
import { describeIf } from "../support/requires.js";

/** The part of a DOM element these tests read (the test build has no DOM types). */
interface Attributes {
	getAttribute(name: string): string | null;
}

function entry(id: string, parentId: string | null, message: Record<string, unknown>): PageEntry {
	return { type: "message", id, parentId, timestamp: "2026-01-01T00:00:00.000Z", message };
}
const user = (text: string) => ({ role: "user", content: text, timestamp: 1 });
const assistant = (content: unknown[]) => ({
	role: "assistant",
	content,
	provider: "anthropic",
	model: "claude-sonnet-4-5",
	usage: { input: 10, output: 5, cacheRead: 0, cacheWrite: 0, totalTokens: 15, cost: { total: 0.5 } },
	stopReason: "stop",
	timestamp: 2,
});

/** A small tree: a main path with a tool call, and a labelled side branch after the first reply. */
function samplePage(
	extra: { nodes?: { entry: PageEntry; depth: number; label: string | null }[]; name?: string } = {},
) {
	const nodes = extra.nodes ?? [
		{ entry: entry("e1", null, user("hello there")), depth: 0, label: null },
		{
			entry: entry("e2", "e1", assistant([{ type: "text", text: "hi, how can I help?" }])),
			depth: 1,
			label: null,
		},
		{ entry: entry("e3", "e2", user("read the file")), depth: 2, label: null },
		{
			entry: entry(
				"e4",
				"e3",
				assistant([
					{ type: "thinking", thinking: "I should read it" },
					{ type: "toolCall", id: "t1", name: "read", arguments: { path: "a.txt" } },
				]),
			),
			depth: 3,
			label: null,
		},
		{
			entry: entry("e5", "e4", {
				role: "toolResult",
				toolCallId: "t1",
				toolName: "read",
				content: [{ type: "text", text: "line one\nline two" }],
				isError: false,
				timestamp: 3,
			}),
			depth: 4,
			label: null,
		},
		{
			entry: entry("e6", "e5", assistant([{ type: "text", text: "the file has two lines" }])),
			depth: 5,
			label: null,
		},
		{ entry: entry("b1", "e2", user("try the other way")), depth: 2, label: "alternative" },
		{
			entry: entry("b2", "b1", assistant([{ type: "text", text: "other way done" }])),
			depth: 3,
			label: null,
		},
	];
	const byId = new Map(nodes.map((node) => [node.entry.id, node.entry]));
	const path: PageEntry[] = [];
	for (let id: string | null = "e6"; id !== null && byId.has(id); id = byId.get(id)?.parentId ?? null) {
		path.unshift(byId.get(id) as PageEntry);
	}
	const leafId = byId.has("e6") ? "e6" : (nodes.at(-1)?.entry.id ?? null);
	return renderSessionHtml({
		header: {
			id: "0190-session",
			timestamp: "2026-01-01T00:00:00.000Z",
			cwd: "/work/demo",
			name: extra.name ?? null,
		},
		nodes,
		leafId,
		activePath: statsOf(path),
		wholeTree: statsOf(nodes.map((node) => node.entry)),
		jsonl: `${nodes.map((node) => JSON.stringify(node.entry)).join("\n")}\n`,
		fileName: "session.jsonl",
	});
}

async function open(page: import("playwright-core").Page, dir: string, html: string) {
	const file = join(dir, "session.html");
	await writeFile(file, html);
	await page.goto(pathToFileURL(file).href);
	await page.locator("body[data-ready=true]").waitFor();
}

const rows = (page: import("playwright-core").Page) =>
	page
		.locator("#tree .node")
		.evaluateAll((nodes) => nodes.map((node: Attributes) => node.getAttribute("data-id")));
const shown = (page: import("playwright-core").Page) =>
	page
		.locator("#messages .entry")
		.evaluateAll((nodes) => nodes.map((node: Attributes) => node.getAttribute("data-id")));

describeIf(missingChromium(), "exported session page in Chromium", () => {
	test("opens on the active path, shows a side branch when clicked, filters, and screenshots", async ({
		page,
		dir,
	}) => {
		await open(page, dir, samplePage());
		expect(await rows(page)).toEqual(["e1", "e2", "e3", "e4", "e5", "e6", "b1", "b2"]);
		expect(await shown(page)).toEqual(["e1", "e2", "e3", "e4", "e5", "e6"]);
		await expect
			.poll(() => page.locator("#stats tbody tr").allInnerTexts())
			.toEqual([
				"Active path\t6\t2\t3\t1\t1\t30\t15\t0\t0\t45\t$1.5000",
				"Whole tree\t8\t3\t4\t1\t1\t40\t20\t0\t0\t60\t$2.0000",
			]);
		expect(await page.locator("#models").textContent()).toBe("anthropic/claude-sonnet-4-5");

		await page.locator('#tree .node[data-id="b1"] a').click();
		await expect.poll(() => shown(page)).toEqual(["e1", "e2", "b1"]);
		expect(new URL(page.url()).hash).toBe("#b1");
		expect(await page.locator('#messages .entry[data-id="b1"] .label').textContent()).toBe("alternative");

		// Thinking and tool output are collapsed; the tool call is shown.
		await page.locator('#tree .node[data-id="e5"] a').click();
		await expect.poll(() => shown(page)).toEqual(["e1", "e2", "e3", "e4", "e5"]);
		expect(await page.locator("#messages details.thinking").getAttribute("open")).toBe(null);
		expect(await page.locator("#messages details.tool-output").getAttribute("open")).toBe(null);
		expect(await page.locator("#messages .tool-call .tool-name").textContent()).toBe("read");
		await page.locator("#messages details.tool-output summary").click();
		expect(await page.locator("#messages .tool-output-text").textContent()).toBe("line one\nline two");

		await page.locator('.filter[data-filter="user-only"]').click();
		expect(await rows(page)).toEqual(["e1", "e3", "b1"]);
		await page.locator('.filter[data-filter="labeled-only"]').click();
		expect(await rows(page)).toEqual(["b1"]);
		await page.locator('.filter[data-filter="no-tools"]').click();
		expect(await rows(page)).toEqual(["e1", "e2", "e3", "e6", "b1", "b2"]);
		await page.locator("#search").fill("OTHER way");
		expect(await rows(page)).toEqual(["b1", "b2"]);
		expect(await page.locator("#tree-status").textContent()).toBe("2 of 8 entries");

		const shot = join(dir, "page.png");
		await page.screenshot({ path: shot, fullPage: true });
		const png = await readFile(shot);
		expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
		expect((await stat(shot)).size).toBeGreaterThan(5000);
	});

	test("opens on the entry named in the link, and downloads the JSONL", async ({ page, dir }) => {
		const html = samplePage();
		const file = join(dir, "session.html");
		await writeFile(file, html);
		await page.goto(`${pathToFileURL(file).href}#b2`);
		await page.locator("body[data-ready=true]").waitFor();
		expect(await shown(page)).toEqual(["e1", "e2", "b1", "b2"]);
		expect(await page.locator('#messages .entry[data-id="b2"] .permalink').getAttribute("href")).toBe("#b2");

		const download = page.waitForEvent("download");
		await page.locator("#download").click();
		const saved = join(dir, "download.jsonl");
		await (await download).saveAs(saved);
		expect((await download).suggestedFilename()).toBe("session.jsonl");
		expect((await readFile(saved, "utf8")).split("\n")[0]).toBe(
			'{"type":"message","id":"e1","parentId":null,"timestamp":"2026-01-01T00:00:00.000Z","message":{"role":"user","content":"hello there","timestamp":1}}',
		);
	});

	test("runs nothing from session content: scripts, handlers and javascript: links stay text", async ({
		page,
		dir,
	}) => {
		const hostile = [
			"<script>window.__xss = 1</script>",
			'<img src=x onerror="window.__xss = 2">',
			"[click me](javascript:window.__xss=3)",
			"</script><script>window.__xss = 4</script>",
			"see https://example.com/docs for more",
		].join("\n");
		const nodes = [
			{ entry: entry("x1", null, user(hostile)), depth: 0, label: '<b onmouseover="window.__xss=5">lbl</b>' },
			{
				entry: entry("x2", "x1", assistant([{ type: "text", text: "[ok](https://example.com/a)" }])),
				depth: 1,
				label: null,
			},
		];
		const dialogs: string[] = [];
		page.on("dialog", (dialog) => {
			dialogs.push(dialog.message());
			void dialog.dismiss();
		});
		await open(page, dir, samplePage({ nodes, name: '</title><script>window.__xss = 6</script>"' }));
		expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBe(undefined);
		expect(await page.locator('#messages .entry[data-id="x1"] .text').textContent()).toBe(hostile);
		expect(await page.locator("h1").textContent()).toBe('</title><script>window.__xss = 6</script>"');
		expect(await page.locator("#messages img").count()).toBe(0);
		const links = await page
			.locator("#messages a.link")
			.evaluateAll((nodes: Attributes[]) => nodes.map((node) => node.getAttribute("href")));
		expect(links).toEqual(["https://example.com/docs", "https://example.com/a"]);
		await page.locator('#messages .entry[data-id="x1"] .text').click();
		await page.locator("#tree .label").dispatchEvent("mouseover");
		expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBe(undefined);
		expect(dialogs).toEqual([]);
	});
});
