import { spawn } from "node:child_process";
import { GroveError } from "../errors.js";
import type { CompactionPlan } from "./compaction.js";

type Json = Record<string, unknown>;

/**
 * Writes the summary of a compaction or a branch: gets the messages to summarize and the
 * instructions (what the summary must contain, and any earlier summary to carry forward), and
 * returns the summary text.
 */
export type Summarize = (
	messages: readonly Json[],
	options: { instructions: string; signal?: AbortSignal },
) => Promise<string>;

const HISTORY_INSTRUCTIONS = `Summarize the conversation above as a checkpoint another assistant will continue from.
Use these sections, each short: Goal; Constraints and preferences; Done; In progress; Decisions (with the reason);
Next steps; Critical context (data, file paths, function names and error messages, verbatim).`;

const UPDATE_INSTRUCTIONS = `The messages above continue a conversation that was already summarized; the earlier summary is
in <previous-summary>. Write one updated checkpoint summary: keep everything in the earlier summary that still
holds, add the new progress, decisions and context, move finished work to Done, and update Next steps. Use the
same sections: Goal; Constraints and preferences; Done; In progress; Decisions; Next steps; Critical context.`;

const TURN_PREFIX_INSTRUCTIONS = `The messages above are the beginning of one turn that was too long to keep whole; its end is
kept. Summarize the beginning so the kept end makes sense: what the user asked in this turn, what was done so far,
and what the kept part needs to know.`;

const BRANCH_INSTRUCTIONS = `The messages above are a branch of the conversation that the user is leaving to continue
elsewhere. Summarize what was tried on it, what was learned, and anything worth remembering on the new path.`;

function withExtra(instructions: string, extra: string | undefined): string {
	return extra === undefined || extra.trim() === ""
		? instructions
		: `${instructions}\n\nAlso: ${extra.trim()}`;
}

/**
 * Writes the summary text of a planned compaction with `summarize`: the history (carrying the
 * previous compaction's summary forward) and, for a split turn, the turn's head on its own.
 */
export async function summarizeCompaction(
	plan: CompactionPlan,
	summarize: Summarize,
	options: { instructions?: string; signal?: AbortSignal } = {},
): Promise<string> {
	const signal = options.signal ? { signal: options.signal } : {};
	const historyInstructions =
		plan.previousSummary === null
			? HISTORY_INSTRUCTIONS
			: `<previous-summary>\n${plan.previousSummary}\n</previous-summary>\n\n${UPDATE_INSTRUCTIONS}`;
	const history =
		plan.messagesToSummarize.length > 0
			? await summarize(plan.messagesToSummarize, {
					instructions: withExtra(historyInstructions, options.instructions),
					...signal,
				})
			: (plan.previousSummary ?? "No earlier history.");
	if (!plan.isSplitTurn || plan.turnPrefixMessages.length === 0) return history;
	const prefix = await summarize(plan.turnPrefixMessages, {
		instructions: TURN_PREFIX_INSTRUCTIONS,
		...signal,
	});
	return `${history}\n\n---\n\nTurn context (split turn):\n\n${prefix}`;
}

/** Writes a branch summary's text with `summarize`. */
export function summarizeBranch(
	messages: readonly Json[],
	summarize: Summarize,
	options: { instructions?: string; signal?: AbortSignal } = {},
): Promise<string> {
	return summarize(messages, {
		instructions: withExtra(BRANCH_INSTRUCTIONS, options.instructions),
		...(options.signal ? { signal: options.signal } : {}),
	});
}

/** A summary given up front (`--summary TEXT`): every request gets it. */
export function fixedSummarizer(text: string): Summarize {
	return async () => text;
}

/**
 * Runs a command (`sh -c COMMAND`) per summary: the messages as a JSON array on its stdin, the
 * instructions in `GROVE_SUMMARY_INSTRUCTIONS`, the summary read from its stdout. A non-zero exit or
 * an empty summary is `COMMAND_FAILED`.
 */
export function commandSummarizer(command: string, options: { env?: NodeJS.ProcessEnv } = {}): Summarize {
	return (messages, { instructions, signal }) =>
		new Promise((resolve, reject) => {
			signal?.throwIfAborted();
			const child = spawn("sh", ["-c", command], {
				stdio: ["pipe", "pipe", "pipe"],
				env: { ...(options.env ?? process.env), GROVE_SUMMARY_INSTRUCTIONS: instructions },
				...(signal ? { signal } : {}),
			});
			let stdout = "";
			let stderr = "";
			child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
				stdout += chunk;
			});
			child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
				stderr += chunk;
			});
			// The command may exit without reading its input; that is its business, not an error.
			child.stdin.on("error", () => {});
			child.on("error", (error) => reject(error));
			child.on("close", (code) => {
				const summary = stdout.trim();
				if (code === 0 && summary !== "") resolve(summary);
				else
					reject(
						new GroveError(
							"COMMAND_FAILED",
							`The summarizer \`${command}\` ${code === 0 ? "printed no summary" : `exited with ${code}`}${stderr.trim() ? `: ${stderr.trim()}` : ""}`,
							{ hint: "It must read the messages (JSON) on stdin and print the summary on stdout" },
						),
					);
			});
			child.stdin.end(JSON.stringify(messages));
		});
}

function contentText(content: unknown): string {
	if (typeof content === "string") return content;
	if (!Array.isArray(content)) return "";
	return (content as Json[])
		.map((block) => {
			if (block?.type === "text") return String(block.text ?? "");
			if (block?.type === "image") return "[image]";
			return "";
		})
		.filter(Boolean)
		.join("\n");
}

/** The conversation as plain text, so a model summarizes it instead of continuing it. */
export function conversationText(messages: readonly Json[]): string {
	const parts: string[] = [];
	for (const message of messages) {
		switch (message.role) {
			case "user":
				parts.push(`[User]: ${contentText(message.content)}`);
				break;
			case "assistant":
				for (const block of Array.isArray(message.content) ? (message.content as Json[]) : []) {
					if (block?.type === "text") parts.push(`[Assistant]: ${String(block.text ?? "")}`);
					else if (block?.type === "thinking")
						parts.push(`[Assistant thinking]: ${String(block.thinking ?? "")}`);
					else if (block?.type === "toolCall")
						parts.push(
							`[Assistant tool call]: ${String(block.name ?? "")}(${JSON.stringify(block.arguments ?? {})})`,
						);
				}
				break;
			case "toolResult":
				parts.push(
					`[Tool result${message.isError === true ? " (error)" : ""}]: ${contentText(message.content)}`,
				);
				break;
			case "bashExecution":
				parts.push(`[User ran]: ${String(message.command ?? "")}\n${String(message.output ?? "")}`);
				break;
			case "branchSummary":
			case "compactionSummary":
				parts.push(`[Summary of earlier work]: ${String(message.summary ?? "")}`);
				break;
			default:
				parts.push(`[${String(message.role ?? "message")}]: ${contentText(message.content)}`);
		}
	}
	return parts.join("\n\n");
}

/** Where an OpenAI-compatible chat endpoint is and how to use it. */
export interface EndpointOptions {
	/** The API base (`https://host/v1`) or the full `.../chat/completions` URL. */
	url: string;
	model: string;
	apiKey?: string;
	/** Per request; default 120 000. */
	timeoutMs?: number;
}

/** The endpoint named by `GROVE_SUMMARY_URL`, `GROVE_SUMMARY_MODEL` and `GROVE_SUMMARY_API_KEY`; `null` when no URL is set. */
export function endpointFromEnv(env: NodeJS.ProcessEnv = process.env): EndpointOptions | null {
	const url = env.GROVE_SUMMARY_URL;
	if (url === undefined || url === "") return null;
	const model = env.GROVE_SUMMARY_MODEL;
	if (model === undefined || model === "") {
		throw new GroveError("INVALID_ARGUMENT", "GROVE_SUMMARY_URL is set but GROVE_SUMMARY_MODEL is not", {
			hint: "Set GROVE_SUMMARY_MODEL to the model the endpoint should use",
		});
	}
	const apiKey = env.GROVE_SUMMARY_API_KEY;
	return { url, model, ...(apiKey ? { apiKey } : {}) };
}

/**
 * Asks an OpenAI-compatible chat completions endpoint for each summary: the conversation as text in
 * one user message, followed by the instructions. Failures are `COMMAND_FAILED` (`TIMEOUT` when the
 * endpoint does not answer in time).
 */
export function endpointSummarizer(endpoint: EndpointOptions): Summarize {
	const url = /\/chat\/completions\/?$/.test(endpoint.url)
		? endpoint.url
		: `${endpoint.url.replace(/\/+$/, "")}/chat/completions`;
	return async (messages, { instructions, signal }) => {
		const timeout = AbortSignal.timeout(endpoint.timeoutMs ?? 120_000);
		const body = {
			model: endpoint.model,
			messages: [
				{ role: "system", content: "You write concise, factual summaries of coding-agent conversations." },
				{
					role: "user",
					content: `<conversation>\n${conversationText(messages)}\n</conversation>\n\n${instructions}`,
				},
			],
		};
		let response: Response;
		try {
			response = await fetch(url, {
				method: "POST",
				headers: {
					"content-type": "application/json",
					...(endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {}),
				},
				body: JSON.stringify(body),
				signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
			});
		} catch (error) {
			if (timeout.aborted)
				throw new GroveError("TIMEOUT", `The summary endpoint ${url} did not answer in time`, {
					cause: error,
				});
			if (signal?.aborted) throw error;
			throw new GroveError("COMMAND_FAILED", `Cannot reach the summary endpoint ${url}`, {
				cause: error,
				hint: "Check GROVE_SUMMARY_URL",
			});
		}
		const text = await response.text();
		if (!response.ok) {
			throw new GroveError(
				"COMMAND_FAILED",
				`The summary endpoint answered ${response.status}: ${text.slice(0, 300)}`,
				{
					hint: "Check GROVE_SUMMARY_MODEL and GROVE_SUMMARY_API_KEY",
				},
			);
		}
		let summary: unknown;
		try {
			summary = (JSON.parse(text) as { choices?: { message?: { content?: unknown } }[] }).choices?.[0]
				?.message?.content;
		} catch (error) {
			throw new GroveError(
				"COMMAND_FAILED",
				`The summary endpoint's answer is not JSON: ${text.slice(0, 300)}`,
				{ cause: error },
			);
		}
		if (typeof summary !== "string" || summary.trim() === "") {
			throw new GroveError(
				"COMMAND_FAILED",
				`The summary endpoint's answer holds no summary: ${text.slice(0, 300)}`,
			);
		}
		return summary.trim();
	};
}
