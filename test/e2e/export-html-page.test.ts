import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { sessionHtml } from "../../src/export/index.js";
import { type AgentMessage, SessionTree } from "../../src/tree/index.js";
import { missingChromium, browserTest as test } from "../support/browser.js";
import { describeIf } from "../support/requires.js";

/** The part of a DOM element these tests read (the test build has no DOM types). */
interface Attributes {
	getAttribute(name: string): string | null;
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

/**
 * A session file: a main path with a tool call, and a labelled side branch after the first reply.
 * Returns the page and the entry ids by name.
 */
async function sampleSession(dir: string, options: { activeSide?: boolean } = {}) {
	const path = join(dir, "session.jsonl");
	const tree = await SessionTree.create(path, { cwd: "/work/demo" });
	const ids: Record<string, string> = {};
	ids.e1 = tree.addMessage(user("hello there"));
	ids.e2 = tree.addMessage(assistant([{ type: "text", text: "hi, how can I help?" }]));
	ids.e3 = tree.addMessage(user("read the file"));
	ids.e4 = tree.addMessage(
		assistant([
			{ type: "thinking", thinking: "I should read it" },
			{ type: "toolCall", id: "t1", name: "read", arguments: { path: "a.txt" } },
		]),
	);
	ids.e5 = tree.addMessage({
		role: "toolResult",
		toolCallId: "t1",
		toolName: "read",
		content: [{ type: "text", text: "line one\nline two" }],
		isError: false,
		timestamp: 3,
	} as AgentMessage);
	ids.e6 = tree.addMessage(assistant([{ type: "text", text: "the file has two lines" }]));
	tree.fork(ids.e2);
	ids.b1 = tree.addMessage(user("try the other way"));
	ids.b2 = tree.addMessage(assistant([{ type: "text", text: "other way done" }]));
	tree.addLabel(ids.b1, "alternative");
	tree.switchBranch(options.activeSide ? ids.b2 : ids.e6);
	const html = await sessionHtml(tree, path);
	await tree.close();
	const names = new Map(Object.entries(ids).map(([name, id]) => [id, name]));
	return { html, ids, names, id: tree.id };
}

async function open(page: Page, dir: string, html: string, hash = "") {
	const file = join(dir, "session.html");
	await writeFile(file, html);
	await page.goto(`${pathToFileURL(file).href}${hash}`);
	await page.locator("body[data-ready=true]").waitFor();
}

/** Ids of the listed tree rows or shown messages, by their names in the sample. */
const named = (names: Map<string, string>, selector: string) => async (page: Page) =>
	(
		await page
			.locator(selector)
			.evaluateAll((nodes: Attributes[]) => nodes.map((node) => node.getAttribute("data-id")))
	).map((id) => names.get(id ?? "") ?? id);

describeIf(missingChromium(), "exported session page in Chromium", () => {
	test("opens on the active path, shows a side branch when clicked, filters, and screenshots", async ({
		page,
		dir,
	}) => {
		const { html, ids, names, id } = await sampleSession(dir);
		const rows = named(names, "#tree .node");
		const shown = named(names, "#messages .entry");
		await open(page, dir, html);
		// Depth first, children oldest first, the child on the active path first.
		expect(await rows(page)).toEqual(["e1", "e2", "e3", "e4", "e5", "e6", "b1", "b2"]);
		expect(await shown(page)).toEqual(["e1", "e2", "e3", "e4", "e5", "e6"]);
		expect(await page.locator("#session-id").textContent()).toBe(id);
		expect(await page.locator("#stats tbody tr").allInnerTexts()).toEqual([
			"Active path\t6\t6\t2\t3\t1\t1\t30\t15\t0\t0\t45\t$1.5000",
			"Whole tree\t9\t8\t3\t4\t1\t1\t40\t20\t0\t0\t60\t$2.0000",
		]);
		expect(await page.locator("#models").textContent()).toBe("anthropic/claude-sonnet-4-5");

		await page.locator(`#tree .node[data-id="${ids.b1}"] a`).click();
		await expect.poll(() => shown(page)).toEqual(["e1", "e2", "b1"]);
		expect(new URL(page.url()).hash).toBe(`#${ids.b1}`);
		expect(await page.locator(`#messages .entry[data-id="${ids.b1}"] .label`).textContent()).toBe(
			"alternative",
		);
		expect(await page.locator(`#messages .entry[data-id="${ids.b1}"] .text`).textContent()).toBe(
			"try the other way",
		);

		// Thinking and tool output are collapsed; the tool call is shown.
		await page.locator(`#tree .node[data-id="${ids.e5}"] a`).click();
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
		await page.locator('.filter[data-filter="all"]').click();
		expect(await rows(page)).toHaveLength(9);
		await page.locator('.filter[data-filter="default"]').click();
		await page.locator("#search").fill("OTHER way");
		expect(await rows(page)).toEqual(["b1", "b2"]);
		expect(await page.locator("#tree-status").textContent()).toBe("2 of 9 entries");

		const shot = join(dir, "page.png");
		await page.screenshot({ path: shot, fullPage: true });
		const png = await readFile(shot);
		expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
		expect((await stat(shot)).size).toBeGreaterThan(5000);
	});

	test("lists the active side branch first when it is the active one", async ({ page, dir }) => {
		const { html, names } = await sampleSession(dir, { activeSide: true });
		await open(page, dir, html);
		expect(await named(names, "#tree .node")(page)).toEqual(["e1", "e2", "b1", "b2", "e3", "e4", "e5", "e6"]);
		expect(await named(names, "#messages .entry")(page)).toEqual(["e1", "e2", "b1", "b2"]);
	});

	test("opens on the entry named in the link, and downloads the JSONL", async ({ page, dir }) => {
		const { html, ids, names } = await sampleSession(dir);
		await open(page, dir, html, `#${ids.b2}`);
		expect(await named(names, "#messages .entry")(page)).toEqual(["e1", "e2", "b1", "b2"]);
		expect(await page.locator(`#messages .entry[data-id="${ids.b2}"] .permalink`).getAttribute("href")).toBe(
			`#${ids.b2}`,
		);

		const download = page.waitForEvent("download");
		await page.locator("#download").click();
		const saved = join(dir, "download.jsonl");
		await (await download).saveAs(saved);
		expect((await download).suggestedFilename()).toBe("session.jsonl");
		expect(await readFile(saved, "utf8")).toBe(await readFile(join(dir, "session.jsonl"), "utf8"));
	});

	test("a long path shows its newest 400 entries and the rest on request", async ({ page, dir }) => {
		const path = join(dir, "long.jsonl");
		const tree = await SessionTree.create(path, { cwd: "/work/demo" });
		const ids: string[] = [];
		for (let turn = 0; turn < 225; turn++) {
			ids.push(tree.addMessage(user(`question ${turn}`)));
			ids.push(tree.addMessage(assistant([{ type: "text", text: `answer ${turn}` }])));
		}
		const html = await sessionHtml(tree, path);
		await tree.close();
		await open(page, dir, html);
		const shownIds = () =>
			page
				.locator("#messages .entry")
				.evaluateAll((nodes: Attributes[]) => nodes.map((node) => node.getAttribute("data-id")));
		expect(await shownIds()).toEqual(ids.slice(50));
		expect(await page.locator("#messages .show-earlier").textContent()).toBe("Show 50 earlier entries");
		await page.locator("#messages .show-earlier").click();
		expect(await shownIds()).toEqual(ids);
		expect(await page.locator("#messages .show-earlier").count()).toBe(0);
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
		const path = join(dir, "hostile.jsonl");
		const tree = await SessionTree.create(path, { cwd: '/tmp/"><script>window.__xss=7</script>' });
		const first = tree.addMessage(user(hostile));
		tree.addMessage(assistant([{ type: "text", text: "[ok](https://example.com/a)" }]));
		tree.addLabel(first, '<b onmouseover="window.__xss=5">lbl</b>');
		tree.setName('</title><script>window.__xss = 6</script>"');
		const html = await sessionHtml(tree, path);
		await tree.close();
		const dialogs: string[] = [];
		page.on("dialog", (dialog) => {
			dialogs.push(dialog.message());
			void dialog.dismiss();
		});
		await open(page, dir, html);
		const xss = () => page.evaluate(() => (globalThis as { __xss?: number }).__xss);
		expect(await xss()).toBe(undefined);
		expect(await page.locator(`#messages .entry[data-id="${first}"] .text`).textContent()).toBe(hostile);
		expect(await page.locator("h1").textContent()).toBe('</title><script>window.__xss = 6</script>"');
		expect(await page.locator("#messages img").count()).toBe(0);
		const links = await page
			.locator("#messages a.link")
			.evaluateAll((nodes: Attributes[]) => nodes.map((node) => node.getAttribute("href")));
		expect(links).toEqual(["https://example.com/docs", "https://example.com/a"]);
		await page.locator(`#messages .entry[data-id="${first}"] .text`).click();
		await page.locator("#tree .label").first().dispatchEvent("mouseover");
		expect(await xss()).toBe(undefined);
		expect(dialogs).toEqual([]);
	});
});
