import type { Command } from "commander";
import { pruneDockerEngine } from "../engines/index.js";
import { formatOption, type OutputFormat, renderTable } from "./output.js";

/** `grove engine …`: housekeeping of the engines grove runs sandboxes on. */
export function registerEngineCommands(program: Command): void {
	const engine = program.command("engine").description("look after the engines sandboxes run on");
	engine
		.command("prune")
		.description("remove the containers grove left behind in Docker or Podman")
		.option("--all", "also remove the containers of grove processes still running")
		.option("-H, --host <address>", "the engine's address (unix://, tcp://, ssh://); default DOCKER_HOST")
		.addOption(formatOption())
		.action(async (options: { all?: boolean; host?: string; format: OutputFormat }) => {
			const pruned = await pruneDockerEngine({
				...(options.all ? { all: true } : {}),
				...(options.host ? { host: options.host } : {}),
			});
			if (options.format === "json") {
				process.stdout.write(`${JSON.stringify({ removed: pruned }, null, 2)}\n`);
				return;
			}
			if (pruned.length === 0) {
				process.stdout.write("nothing to remove\n");
				return;
			}
			const rows = pruned.map((container) => [
				container.id.slice(0, 12),
				container.role,
				container.state,
				container.owner,
			]);
			process.stdout.write(`${renderTable(["CONTAINER", "ROLE", "STATE", "OWNER"], rows)}\n`);
		});
}
