import type { Cgroup } from "./cgroup.js";
import type { Launched } from "./launch.js";

/** A work directory, a cgroup and a setup process in them that waits to be given its command. */
export interface Prepared {
	work: { name: string; path: string };
	cgroup: Cgroup | null;
	launched: Launched;
	/** Removes the cgroup and the work directory once the process is gone. */
	release(): Promise<void>;
}

/**
 * How many spares an engine keeps: with two, each has the time of two runs to get ready, which on
 * a loaded machine one run is not always.
 */
const kept = 2;

/**
 * Keeps setup processes started ahead of time, so that a run does not wait for a process to start,
 * make its namespaces and join its cgroup (which waits for an RCU grace period). An engine keeps
 * spares only once it is used again: a single run (one CLI command) starts nothing extra. Spares
 * have no network; a run that asks for it starts its own process.
 */
export class Spares {
	private readonly spares: Promise<Prepared>[] = [];
	private launches = 0;
	private closed = false;

	constructor(private readonly prepare: (network: boolean) => Promise<Prepared>) {}

	/** A process for one run or sandbox: a spare when one fits, else a new one. */
	async take(network: boolean): Promise<Prepared> {
		const spare = network ? undefined : this.spares.shift();
		if (!this.closed && this.launches++ > 0) {
			while (this.spares.length < kept) {
				const next = this.prepare(false);
				next.catch(() => {
					// A spare that could not be made is not used; whoever takes it makes its own.
				});
				this.spares.push(next);
			}
		}
		const taken = spare === undefined ? null : await spare.catch(() => null);
		return taken ?? this.prepare(network);
	}

	/** Ends the spares; none is made after. */
	async close(): Promise<void> {
		this.closed = true;
		const spares = this.spares.splice(0);
		await Promise.all(
			spares.map(async (pending) => {
				const spare = await pending.catch(() => null);
				if (spare === null) return;
				spare.launched.lifeline.destroy();
				await spare.launched.ended;
				await spare.release();
			}),
		);
	}
}
