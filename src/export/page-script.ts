/**
 * The script of the exported page. It reads the session from a JSON `<script>` block and builds
 * every node with `textContent` and attributes only — never `innerHTML` — so session content is
 * always text. Links are made only for `http:`/`https:` URLs. The page's Content-Security-Policy
 * allows this script alone (by its hash), so nothing injected could run either.
 */
export const pageScript = String.raw`(() => {
"use strict";
const data = JSON.parse(document.getElementById("session-data").textContent);
const nodes = data.nodes;
const byId = new Map(nodes.map((node) => [node.entry.id, node]));
const activePath = new Set();
for (let id = data.leafId; id != null && byId.has(id) && !activePath.has(id); id = byId.get(id).entry.parentId) {
	activePath.add(id);
}
const settingsTypes = new Set(["label", "custom", "model_change", "thinking_level_change", "session_info"]);
let filter = "default";
let query = "";
let selected = data.leafId != null && byId.has(data.leafId) ? data.leafId : nodes.length > 0 ? nodes[nodes.length - 1].entry.id : null;

function el(tag, className, text) {
	const node = document.createElement(tag);
	if (className) node.className = className;
	if (text !== undefined && text !== null) node.textContent = String(text);
	return node;
}
function textOf(content) {
	if (typeof content === "string") return content;
	if (!Array.isArray(content)) return "";
	return content.filter((block) => block && block.type === "text" && typeof block.text === "string").map((block) => block.text).join("\n");
}
function hasText(message) {
	return textOf(message && message.content).trim() !== "";
}
function safeUrl(raw) {
	try {
		const url = new URL(raw);
		return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
	} catch {
		return null;
	}
}
const linkPattern = /\[([^\]\n]+)\]\(([^)\s]+)\)|https?:\/\/[^\s<>"')\]]+/g;
function appendText(parent, text) {
	let last = 0;
	for (const match of text.matchAll(linkPattern)) {
		const href = safeUrl(match[2] !== undefined ? match[2] : match[0]);
		if (href === null) continue;
		parent.append(text.slice(last, match.index));
		const link = el("a", "link", match[1] !== undefined ? match[1] : match[0]);
		link.setAttribute("href", href);
		link.setAttribute("rel", "noopener noreferrer nofollow");
		link.setAttribute("target", "_blank");
		parent.append(link);
		last = match.index + match[0].length;
	}
	parent.append(text.slice(last));
}
function textBlock(className, text) {
	const node = el("div", className);
	appendText(node, text);
	return node;
}
function collapsible(className, summary, body, open) {
	const details = el("details", className);
	if (open) details.open = true;
	details.append(el("summary", null, summary), body);
	return details;
}
function image(block) {
	const mime = typeof block.mimeType === "string" ? block.mimeType : "";
	if (!/^image\/(png|jpeg|gif|webp)$/.test(mime) || typeof block.data !== "string" || !/^[A-Za-z0-9+/=\s]*$/.test(block.data)) {
		return el("div", "meta", "[image]");
	}
	const img = el("img", "image");
	img.setAttribute("src", "data:" + mime + ";base64," + block.data.replace(/\s/g, ""));
	img.setAttribute("alt", "image");
	return img;
}
function contentBlocks(content) {
	if (typeof content === "string") return [textBlock("text", content)];
	if (!Array.isArray(content)) return [];
	return content.map((block) => {
		if (!block || typeof block !== "object") return el("div", "meta", String(block));
		switch (block.type) {
			case "text": return textBlock("text", String(block.text ?? ""));
			case "thinking": return collapsible("thinking", "thinking", textBlock("text", String(block.thinking ?? "")), false);
			case "image": return image(block);
			case "toolCall": {
				const call = el("div", "tool-call");
				call.append(el("span", "tool-name", String(block.name ?? "tool")), el("pre", "tool-arguments", JSON.stringify(block.arguments ?? {}, null, 2)));
				return call;
			}
			default: return el("pre", "meta", JSON.stringify(block));
		}
	});
}
function rowText(entry) {
	const message = entry.message || {};
	switch (entry.type) {
		case "message":
			switch (message.role) {
				case "user": return "user: " + textOf(message.content);
				case "assistant": {
					const text = textOf(message.content);
					if (text.trim() !== "") return "assistant: " + text;
					const tools = Array.isArray(message.content) ? message.content.filter((block) => block && block.type === "toolCall").map((block) => block.name) : [];
					return "assistant: [" + (tools.length > 0 ? "calls " + tools.join(", ") : String(message.stopReason ?? "empty")) + "]";
				}
				case "toolResult": return "result of " + String(message.toolName ?? "tool") + ": " + textOf(message.content);
				case "bashExecution": return "$ " + String(message.command ?? "");
				default: return String(message.role ?? "message") + ": " + textOf(message.content);
			}
		case "compaction": return "compaction: " + String(entry.summary ?? "");
		case "branch_summary": return "branch summary: " + String(entry.summary ?? "");
		case "custom_message": return String(entry.customType ?? "custom") + ": " + textOf(entry.content);
		case "model_change": return "model: " + String(entry.provider ?? "") + "/" + String(entry.modelId ?? "");
		case "thinking_level_change": return "thinking: " + String(entry.thinkingLevel ?? "");
		case "label": return "label " + String(entry.targetId ?? "") + ": " + String(entry.label ?? "(cleared)");
		case "session_info": return "name: " + String(entry.name ?? "");
		case "custom": return "custom: " + String(entry.customType ?? "");
		default: return String(entry.type);
	}
}
function passes(node) {
	const entry = node.entry;
	const role = entry.type === "message" && entry.message ? entry.message.role : null;
	let ok;
	switch (filter) {
		case "all": ok = true; break;
		case "user-only": ok = role === "user"; break;
		case "labeled-only": ok = node.label != null; break;
		case "no-tools": ok = !settingsTypes.has(entry.type) && role !== "toolResult" && !(role === "assistant" && !hasText(entry.message)); break;
		default: ok = !settingsTypes.has(entry.type);
	}
	if (!ok || query === "") return ok;
	const haystack = (rowText(entry) + " " + (node.label ?? "")).toLowerCase();
	return query.split(/\s+/).filter(Boolean).every((word) => haystack.includes(word));
}
function renderTree() {
	const list = document.getElementById("tree");
	list.replaceChildren();
	let shown = 0;
	for (const node of nodes) {
		if (!passes(node)) continue;
		shown++;
		const id = node.entry.id;
		const row = el("li", "node");
		row.dataset.id = id;
		row.style.paddingLeft = Math.min(node.indent, 40) * 12 + 4 + "px";
		if (activePath.has(id)) row.classList.add("on-path");
		if (id === data.leafId) row.classList.add("leaf");
		if (id === selected) row.classList.add("selected");
		const link = el("a", "node-link", rowText(node.entry).replace(/\s+/g, " ").slice(0, 120));
		link.setAttribute("href", "#" + encodeURIComponent(id));
		row.append(link);
		if (node.label != null) row.append(el("span", "label", node.label));
		list.append(row);
	}
	document.getElementById("tree-status").textContent = shown + " of " + nodes.length + " entries";
}
function renderEntry(node) {
	const entry = node.entry;
	const message = entry.message || {};
	const kind = entry.type === "message" ? String(message.role ?? "message") : String(entry.type);
	const block = el("section", "entry entry-" + kind.replace(/[^A-Za-z0-9_-]/g, ""));
	block.setAttribute("id", "entry-" + entry.id);
	block.dataset.id = entry.id;
	if (entry.id === selected) block.classList.add("selected");
	const head = el("div", "entry-head");
	head.append(el("span", "kind", kind));
	if (typeof entry.timestamp === "string") head.append(el("span", "time", entry.timestamp));
	if (node.label != null) head.append(el("span", "label", node.label));
	const permalink = el("a", "permalink", "#" + entry.id);
	permalink.setAttribute("href", "#" + encodeURIComponent(entry.id));
	head.append(permalink);
	block.append(head);
	if (entry.type === "message") {
		switch (message.role) {
			case "toolResult": {
				const output = el("pre", "tool-output-text", textOf(message.content));
				const lines = textOf(message.content).split("\n").length;
				block.append(collapsible("tool-output" + (message.isError ? " error" : ""), String(message.toolName ?? "tool") + " output (" + lines + " lines)", output, false));
				break;
			}
			case "bashExecution":
				block.append(el("pre", "command", "$ " + String(message.command ?? "")), collapsible("tool-output", "output", el("pre", "tool-output-text", String(message.output ?? "")), false));
				break;
			default:
				block.append(...contentBlocks(message.content));
				if (message.role === "assistant" && message.usage) {
					const usage = message.usage;
					block.append(el("div", "meta", String(message.provider ?? "") + "/" + String(message.model ?? "") + " · " + (usage.input ?? 0) + " in, " + (usage.output ?? 0) + " out"));
				}
		}
	} else if (entry.type === "compaction" || entry.type === "branch_summary") {
		block.append(textBlock("text", String(entry.summary ?? "")));
	} else if (entry.type === "custom_message") {
		block.append(...contentBlocks(entry.content));
	} else {
		block.append(el("div", "meta", rowText(entry)));
	}
	return block;
}
// A long path shows its newest entries first; the rest is one click away.
const PATH_WINDOW = 400;
let wholePath = false;
function renderPath() {
	const main = document.getElementById("messages");
	main.replaceChildren();
	const path = [];
	const seen = new Set();
	for (let id = selected; id != null && byId.has(id) && !seen.has(id); id = byId.get(id).entry.parentId) {
		seen.add(id);
		path.push(byId.get(id));
	}
	path.reverse();
	let shownPath = path;
	if (!wholePath && path.length > PATH_WINDOW) {
		shownPath = path.slice(path.length - PATH_WINDOW);
		const earlier = el("button", "show-earlier", "Show " + (path.length - PATH_WINDOW) + " earlier entries");
		earlier.type = "button";
		earlier.addEventListener("click", () => {
			wholePath = true;
			renderPath();
		});
		main.append(earlier);
	}
	for (const node of shownPath) main.append(renderEntry(node));
	const target = document.getElementById("entry-" + selected);
	if (target) target.scrollIntoView({ block: "nearest" });
}
function select(id) {
	if (!byId.has(id)) return;
	selected = id;
	wholePath = false;
	renderTree();
	renderPath();
}
window.addEventListener("hashchange", () => select(decodeURIComponent(location.hash.slice(1))));
for (const button of document.querySelectorAll(".filter")) {
	button.addEventListener("click", () => {
		filter = button.dataset.filter;
		for (const other of document.querySelectorAll(".filter")) other.classList.toggle("active", other === button);
		renderTree();
	});
}
document.getElementById("search").addEventListener("input", (event) => {
	query = event.target.value.trim().toLowerCase();
	renderTree();
});
document.getElementById("download").addEventListener("click", () => {
	const link = el("a");
	link.href = URL.createObjectURL(new Blob([data.jsonl], { type: "application/x-ndjson" }));
	link.download = data.fileName;
	document.body.append(link);
	link.click();
	link.remove();
});
const initial = decodeURIComponent(location.hash.slice(1));
if (byId.has(initial)) selected = initial;
renderTree();
renderPath();
document.body.dataset.ready = "true";
})();`;
