import { GroveError } from "../errors.js";
import type { SessionTree } from "../tree/index.js";
import { contextTokens, type PathEntry, planCompaction, summaryInput } from "./compaction.js";
import { type Summarize, summarizeBranch, summarizeCompaction } from "./summarizer.js";

/** How to summarize. */
export interface SummaryOptions {
	summarize: Summarize;
	/** Extra instructions for the summary (what to focus on). */
	instructions?: string;
	signal?: AbortSignal;
}

/** A compaction that was written. */
export interface Compaction {
	id: string;
	firstKeptEntryId: string;
	/** Tokens of the context before the compaction. */
	tokensBefore: number;
	summary: string;
}

/**
 * Compacts the active branch: plans the cut with pi's rules, has `summarize` write the summary and
 * appends a `compaction` entry. Returns `null` when there is nothing to compact (the branch fits the
 * recent-token budget or already ends in a compaction).
 */
export async function compactSession(
	tree: SessionTree,
	options: SummaryOptions & { keepRecentTokens?: number },
): Promise<Compaction | null> {
	const path = tree.getBranch() as PathEntry[];
	const plan = planCompaction(path, {
		...(options.keepRecentTokens === undefined ? {} : { keepRecentTokens: options.keepRecentTokens }),
	});
	if (plan === null) return null;
	const tokensBefore = contextTokens(tree.getMessages());
	const summary = await summarizeCompaction(plan, options.summarize, {
		...(options.instructions === undefined ? {} : { instructions: options.instructions }),
		...(options.signal ? { signal: options.signal } : {}),
	});
	options.signal?.throwIfAborted();
	const id = tree.addCompaction(summary, plan.firstKeptEntryId, tokensBefore);
	return { id, firstKeptEntryId: plan.firstKeptEntryId, tokensBefore, summary };
}

/**
 * Leaves the active branch for `targetId` (null: before the first entry), as pi's `/tree` with a
 * summary: the entries from the active leaf back to where the two paths meet are summarized (tool
 * results left out, their calls say what was done) and a `branch_summary` entry is appended at the
 * target. Returns its id, the new active leaf, and the summary.
 */
export async function summarizeBranchTo(
	tree: SessionTree,
	targetId: string | null,
	options: SummaryOptions,
): Promise<{ id: string; summary: string }> {
	if (targetId !== null && tree.getEntry(targetId) === undefined) {
		throw new GroveError("NOT_FOUND", `No entry ${targetId} in this session`, {
			hint: "List the entries with `grove tree FILE`",
		});
	}
	const targetPath = new Set(targetId === null ? [] : tree.tree.pathIds(targetId));
	const left: PathEntry[] = [];
	for (const entry of [...tree.getBranch()].reverse()) {
		if (targetPath.has(entry.id)) break;
		left.unshift(entry as PathEntry);
	}
	const messages = left.flatMap((entry) => {
		if (entry.type === "compaction") {
			return [{ role: "compactionSummary", summary: entry.summary, tokensBefore: entry.tokensBefore }];
		}
		const message = summaryInput(entry);
		return message === null || message.role === "toolResult" ? [] : [message];
	});
	if (messages.length === 0) {
		throw new GroveError("INVALID_ARGUMENT", "The branch being left has no messages to summarize", {
			hint: "Move without a summary instead",
		});
	}
	const summary = await summarizeBranch(messages, options.summarize, {
		...(options.instructions === undefined ? {} : { instructions: options.instructions }),
		...(options.signal ? { signal: options.signal } : {}),
	});
	options.signal?.throwIfAborted();
	return { id: tree.branchWithSummary(targetId, summary), summary };
}
