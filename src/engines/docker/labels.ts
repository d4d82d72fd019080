import { hostname } from "node:os";

/** Every container and image grove creates carries this label, so `grove engine prune` finds them. */
export const managedLabel = "dev.grove.managed";
/** `host:pid` of the process that created a container; prune keeps those of live processes. */
export const ownerLabel = "dev.grove.owner";
/** What a container is for: `run`, `sandbox`, `inspect` (never started) or `squash`. */
export const roleLabel = "dev.grove.role";

export type ContainerRole = "run" | "sandbox" | "inspect" | "squash";

export function ownerOfThisProcess(): string {
	return `${hostname()}:${process.pid}`;
}

export function containerLabels(role: ContainerRole): Record<string, string> {
	return { [managedLabel]: "true", [ownerLabel]: ownerOfThisProcess(), [roleLabel]: role };
}
