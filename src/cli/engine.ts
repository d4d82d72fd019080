import { type Command, Option } from "commander";
import { openEngine } from "../engines/index.js";
import { formatOption, type OutputFormat, renderTable } from "./output.js";

function kindOption(): Option {
	return new Option("--engine <kind>", "sandbox engine").choices(["local", "docker"]).default("local");
}

/** `grove engine ...`: the sandbox engine in use, its capabilities, its images. */
export function registerEngineCommands(program: Command): void {
	const engine = program.command("engine").description("the sandbox engine: capabilities, images, runs");

	engine
		.command("info")
		.description("print the engine in use and what it can do on this machine")
		.addOption(kindOption())
		.addOption(formatOption())
		.action(async (options: { engine: "local" | "docker"; format: OutputFormat }) => {
			const opened = await openEngine({ kind: options.engine });
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
}
