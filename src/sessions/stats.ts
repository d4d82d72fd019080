/** Token counts as pi's assistant messages report them in `usage`. */
export interface TokenCounts {
	input: number;
	output: number;
	cacheRead: number;
	cacheWrite: number;
	total: number;
}

/** Counts over a set of entries: either the active path or the whole tree. */
export interface SessionStats {
	/** Entries of every type. */
	entries: number;
	/** `message` entries of every role: the same count the session listing shows for the whole tree. */
	messages: number;
	userMessages: number;
	assistantMessages: number;
	/** `toolCall` blocks in assistant messages. */
	toolCalls: number;
	/** `toolResult` messages. */
	toolResults: number;
	tokens: TokenCounts;
	/** Sum of `usage.cost.total`, in the provider's currency unit (USD for pi's models). */
	cost: number;
	/** `provider/model` of every assistant message and model change, in order of first use. */
	models: string[];
}

type Json = Record<string, unknown>;

function numberOr0(value: unknown): number {
	return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

/** Counts messages, tool calls and results, tokens, cost and models over `entries` (plain pi entries). */
export function statsOf(entries: Iterable<unknown>): SessionStats {
	const stats: SessionStats = {
		entries: 0,
		messages: 0,
		userMessages: 0,
		assistantMessages: 0,
		toolCalls: 0,
		toolResults: 0,
		tokens: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 },
		cost: 0,
		models: [],
	};
	const models = new Set<string>();
	for (const value of entries) {
		const entry = value as Json;
		stats.entries++;
		if (entry.type === "model_change" && typeof entry.modelId === "string") {
			models.add(`${String(entry.provider ?? "")}/${entry.modelId}`);
		}
		if (entry.type !== "message") continue;
		stats.messages++;
		const message = (entry.message ?? {}) as Json;
		switch (message.role) {
			case "user":
				stats.userMessages++;
				break;
			case "toolResult":
				stats.toolResults++;
				break;
			case "assistant": {
				stats.assistantMessages++;
				if (typeof message.model === "string")
					models.add(`${String(message.provider ?? "")}/${message.model}`);
				if (Array.isArray(message.content)) {
					for (const block of message.content) if ((block as Json)?.type === "toolCall") stats.toolCalls++;
				}
				const usage = message.usage as Json | undefined;
				if (usage !== undefined && usage !== null) {
					const input = numberOr0(usage.input);
					const output = numberOr0(usage.output);
					const cacheRead = numberOr0(usage.cacheRead);
					const cacheWrite = numberOr0(usage.cacheWrite);
					stats.tokens.input += input;
					stats.tokens.output += output;
					stats.tokens.cacheRead += cacheRead;
					stats.tokens.cacheWrite += cacheWrite;
					stats.tokens.total += numberOr0(usage.totalTokens) || input + output + cacheRead + cacheWrite;
					stats.cost += numberOr0((usage.cost as Json | undefined)?.total);
				}
				break;
			}
		}
	}
	stats.models = [...models];
	return stats;
}
