import { hostname } from "node:os";
import { type ConnectOptions, connectDocker } from "./connection.js";
import { engineError, statusOf } from "./engine-error.js";
import { managedLabel, ownerLabel, roleLabel } from "./labels.js";

export interface PrunedContainer {
	id: string;
	/** What grove made it for: `run`, `sandbox`, `inspect` or `squash`. */
	role: string;
	/** `host:pid` of the process that made it. */
	owner: string;
	/** The engine's state of the container when it was removed (`running`, `exited`, …). */
	state: string;
}

export interface PruneOptions extends ConnectOptions {
	/** Also remove containers whose owner is a live process on this host. */
	all?: boolean;
}

/**
 * Removes the containers grove left behind in a Docker/Podman engine: every container with grove's
 * label except those owned by a process still alive on this host (unless `all`). Containers made
 * by another host are removed unless they are running. Returns what was removed.
 */
export async function pruneDockerEngine(options: PruneOptions = {}): Promise<PrunedContainer[]> {
	const { docker } = await connectDocker(options);
	let containers: Awaited<ReturnType<typeof docker.listContainers>>;
	try {
		containers = await docker.listContainers({ all: true, filters: { label: [`${managedLabel}=true`] } });
	} catch (error) {
		throw engineError(error, "cannot list the engine's containers");
	}
	const pruned: PrunedContainer[] = [];
	for (const container of containers) {
		const owner = container.Labels[ownerLabel] ?? "";
		if (!options.all && isLive(owner, container.State)) continue;
		try {
			await docker.getContainer(container.Id).remove({ force: true, v: true });
		} catch (error) {
			if (statusOf(error) === 404) continue;
			throw engineError(error, `cannot remove the container ${container.Id}`);
		}
		pruned.push({ id: container.Id, role: container.Labels[roleLabel] ?? "", owner, state: container.State });
	}
	return pruned;
}

function isLive(owner: string, state: string): boolean {
	const separator = owner.lastIndexOf(":");
	const host = owner.slice(0, separator);
	const pid = Number(owner.slice(separator + 1));
	if (separator < 0 || !Number.isInteger(pid) || pid <= 0) return false;
	// Another host's process cannot be checked from here: only its running containers are spared.
	if (host !== hostname()) return state === "running";
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		// EPERM: the process exists but belongs to someone else.
		return (error as NodeJS.ErrnoException).code === "EPERM";
	}
}
