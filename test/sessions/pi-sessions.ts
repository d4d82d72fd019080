import { SessionManager } from "@mariozechner/pi-coding-agent";

/** A usage block as pi's assistant messages carry it. */
export function usage(input: number, output: number, cost: number) {
	return {
		input,
		output,
		cacheRead: 0,
		cacheWrite: 0,
		totalTokens: input + output,
		cost: { input: cost / 2, output: cost / 2, cacheRead: 0, cacheWrite: 0, total: cost },
	};
}

export function userMessage(text: string, timestamp: number) {
	return { role: "user" as const, content: text, timestamp };
}

export function assistantMessage(text: string, timestamp: number) {
	return {
		role: "assistant" as const,
		content: [{ type: "text" as const, text }],
		api: "anthropic-messages" as const,
		provider: "anthropic",
		model: "claude-sonnet-4-5",
		usage: usage(100, 20, 0.01),
		stopReason: "stop" as const,
		timestamp,
	};
}

/**
 * Writes a session with pi's own SessionManager into `dir`: one user/assistant exchange per text,
 * message times starting at `startMs`, one second apart. Returns pi's manager.
 */
export function writePiSession(
	cwd: string,
	dir: string,
	turns: readonly string[],
	options: { startMs?: number; name?: string } = {},
): SessionManager {
	const manager = SessionManager.create(cwd, dir);
	let time = options.startMs ?? Date.UTC(2026, 0, 1);
	for (const text of turns) {
		manager.appendMessage(userMessage(text, time));
		manager.appendMessage(assistantMessage(`reply to ${text}`, time + 500));
		time += 1000;
	}
	if (options.name !== undefined) manager.appendSessionInfo(options.name);
	return manager;
}
