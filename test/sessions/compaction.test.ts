import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { findCutPoint as piFindCutPoint, SessionManager } from "@mariozechner/pi-coding-agent";
import { describe, expect, it } from "vitest";
import {
	commandSummarizer,
	endpointSummarizer,
	findCutPoint,
	type PathEntry,
	planCompaction,
	summarizeCompaction,
} from "../../src/sessions/index.js";
import { assistantMessage, userMessage } from "./pi-sessions.js";

/** A path written by pi: turns with tool calls and results, a model change, long and short messages. */
function piPath(): PathEntry[] {
	const manager = SessionManager.inMemory("/p");
	manager.appendModelChange("anthropic", "claude-sonnet-4-5");
	for (let turn = 0; turn < 12; turn++) {
		manager.appendMessage(userMessage(`question ${turn} ${"q".repeat(400 * (turn % 3))}`, turn * 10));
		const calls = turn % 4;
		for (let call = 0; call < calls; call++) {
			manager.appendMessage({
				...assistantMessage("", turn * 10 + 1),
				content: [
					{ type: "toolCall", id: `c${turn}${call}`, name: "read", arguments: { path: `f${call}.ts` } },
				],
				stopReason: "toolUse",
			});
			manager.appendMessage({
				role: "toolResult",
				toolCallId: `c${turn}${call}`,
				toolName: "read",
				content: [{ type: "text", text: "r".repeat(1500) }],
				isError: false,
				timestamp: turn * 10 + 2,
			});
		}
		if (turn === 6) manager.appendThinkingLevelChange("high");
		manager.appendMessage(assistantMessage(`answer ${turn} ${"a".repeat(300)}`, turn * 10 + 3));
	}
	return manager.getBranch() as unknown as PathEntry[];
}

describe("findCutPoint", () => {
	it("cuts where pi cuts, for every budget", () => {
		const path = piPath();
		for (const budget of [0, 50, 200, 375, 500, 800, 1000, 1600, 2500, 4000, 100_000]) {
			const pi = piFindCutPoint(path as never, 0, path.length, budget);
			expect(findCutPoint(path, 0, path.length, budget), `budget ${budget}`).toEqual({
				firstKeptIndex: pi.firstKeptEntryIndex,
				turnStartIndex: pi.turnStartIndex,
				isSplitTurn: pi.isSplitTurn,
			});
		}
	});

	it("never cuts at a tool result, and splits a turn when the cut falls inside it", () => {
		const path = piPath();
		const results = new Set(
			path.flatMap((entry, index) =>
				(entry.message as { role?: string })?.role === "toolResult" ? [index] : [],
			),
		);
		let split = 0;
		for (let budget = 10; budget < 5000; budget += 37) {
			const cut = findCutPoint(path, 0, path.length, budget);
			expect(results.has(cut.firstKeptIndex)).toBe(false);
			if (cut.isSplitTurn) {
				split++;
				expect((path[cut.turnStartIndex]?.message as { role?: string } | undefined)?.role).toBe("user");
			}
		}
		expect(split).toBeGreaterThan(0);
	});
});

describe("planCompaction", () => {
	it("summarizes what lies before the cut, and only what follows the previous compaction's kept part", () => {
		const path = piPath();
		const plan = planCompaction(path, { keepRecentTokens: 600 });
		if (plan === null) throw new Error("expected a plan");
		const cut = findCutPoint(path, 0, path.length, 600);
		expect(plan.firstKeptEntryId).toBe(path[cut.firstKeptIndex]?.id);
		expect(plan.previousSummary).toBe(null);
		const before = path
			.slice(0, cut.isSplitTurn ? cut.turnStartIndex : cut.firstKeptIndex)
			.filter((e) => e.type === "message");
		expect(plan.messagesToSummarize).toEqual(before.map((e) => e.message));

		const compaction: PathEntry = {
			type: "compaction",
			id: "comp1",
			parentId: path.at(-1)?.id ?? null,
			summary: "earlier work",
			firstKeptEntryId: plan.firstKeptEntryId,
			tokensBefore: 9000,
		};
		expect(planCompaction([...path, compaction])).toBe(null);
		const next = [
			...path,
			compaction,
			{ type: "message", id: "n1", parentId: "comp1", message: userMessage("more", 1) },
		];
		const second = planCompaction(next as PathEntry[], { keepRecentTokens: 1 });
		expect(second?.previousSummary).toBe("earlier work");
		expect(second?.firstKeptEntryId).toBe("n1");
		const keptFrom = path.findIndex((e) => e.id === plan.firstKeptEntryId);
		expect(second?.messagesToSummarize).toEqual(
			path
				.slice(keptFrom)
				.filter((e) => e.type === "message")
				.map((e) => e.message),
		);
	});

	it("has nothing to do when everything fits the budget", () => {
		expect(planCompaction(piPath(), { keepRecentTokens: 1_000_000 })).toBe(null);
	});
});

describe("summarizers", () => {
	it("a command gets the messages on stdin and the instructions in its environment", async () => {
		const summarize = commandSummarizer(
			`node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const m=JSON.parse(s);console.log(m.length+" messages, first: "+m[0].content+"; "+process.env.GROVE_SUMMARY_INSTRUCTIONS)})'`,
		);
		expect(
			await summarize([userMessage("hello", 1), userMessage("again", 2)], { instructions: "be brief" }),
		).toBe("2 messages, first: hello; be brief");
		await expect(
			commandSummarizer("echo broken >&2; exit 3")([], { instructions: "" }),
		).rejects.toMatchObject({
			code: "COMMAND_FAILED",
			message: "The summarizer `echo broken >&2; exit 3` exited with 3: broken",
		});
	});

	it("an OpenAI-compatible endpoint gets the conversation as text, with the model and key", async () => {
		const requests: {
			url: string;
			authorization: string | undefined;
			body: { model: string; messages: { role: string; content: string }[] };
		}[] = [];
		const server = createServer((request, response) => {
			let body = "";
			request.on("data", (chunk) => {
				body += chunk;
			});
			request.on("end", () => {
				requests.push({
					url: request.url ?? "",
					authorization: request.headers.authorization,
					body: JSON.parse(body),
				});
				response.setHeader("content-type", "application/json");
				response.end(
					JSON.stringify({ choices: [{ message: { role: "assistant", content: " the summary \n" } }] }),
				);
			});
		});
		await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
		try {
			const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
			const summarize = endpointSummarizer({ url: base, model: "small-model", apiKey: "sk-test" });
			const messages = [userMessage("fix the bug", 1), assistantMessage("fixed it", 2)];
			expect(await summarize(messages, { instructions: "Summarize." })).toBe("the summary");
			expect(requests).toHaveLength(1);
			expect(requests[0]?.url).toBe("/v1/chat/completions");
			expect(requests[0]?.authorization).toBe("Bearer sk-test");
			expect(requests[0]?.body.model).toBe("small-model");
			expect(requests[0]?.body.messages[1]).toEqual({
				role: "user",
				content:
					"<conversation>\n[User]: fix the bug\n\n[Assistant]: fixed it\n</conversation>\n\nSummarize.",
			});

			const plan = planCompaction(piPath(), { keepRecentTokens: 600 });
			if (plan === null) throw new Error("expected a plan");
			const text = await summarizeCompaction(
				{ ...plan, isSplitTurn: true, turnPrefixMessages: [userMessage("head", 1)] },
				summarize,
			);
			expect(text).toBe("the summary\n\n---\n\nTurn context (split turn):\n\nthe summary");
		} finally {
			server.close();
		}
	});
});
