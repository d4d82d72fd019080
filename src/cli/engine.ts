import { type Command, Option } from "commander";
import { openEngine, pruneDockerEngine } from "../engines/index.js";
import { formatOption, type OutputFormat, renderTable } from "./output.js";

function kindOption(): Option {
	return new Option(
		"--engine <kind>",
		"sandbox engine (default: $GROVE_ENGINE, else local where it works, else docker)",
	).choices(["local", "docker"]);
}

/** `grove engine ...`: the sandbox engine in use, its capabilities, its images, its leftovers. */
export function registerEngineCommands(program: Command): void {
	const engine = program.command("engine").description("the sandbox engine: capabilities, images, runs");

	engine
		.command("info")
		.description("print the engine in use and what it can do on this machine")
		.addOption(kindOption())
		.addOption(formatOption())
		.action(async (options: { engine?: "local" | "docker"; format: OutputFormat }) => {
			const opened = await openEngine(options.engine === undefined ? {} : { kind: options.engine });
			try {
				const info = await opened.info();
				if (options.format === "json") {
					process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
					return;
				}
				const rows = [
					["kind", info.kind],
					["store", info.store],
					...Object.entries(info.capabilities).map(([name, value]) => [name, String(value)]),
				];
				process.stdout.write(`${renderTable(["property", "value"], rows)}\n`);
			} finally {
				await opened.close();
			}
		});

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
