import { GroveError, isGroveError } from "../errors.js";
import { groveHome } from "../util/index.js";
import { DockerEngine, type DockerEngineOptions } from "./docker/index.js";
import { LocalEngine } from "./local/index.js";
import type { Engine } from "./types.js";

export interface OpenEngineOptions {
	/**
	 * Which engine; default `$GROVE_ENGINE`, else `local` where it works (Linux, root), else `docker`
	 * where an engine answers.
	 */
	kind?: Engine["kind"];
	/** grove's state directory; default `groveHome()`: `$GROVE_HOME`, else `$XDG_CONFIG_HOME/grove`, else `~/.config/grove`. */
	home?: string;
	/** Local engine: layers an image may stack before it is flattened into one. Default 64. */
	maxDepth?: number;
	/** Docker engine: its address, limits and layer limit (see `DockerEngineOptions`). */
	docker?: DockerEngineOptions;
	env?: NodeJS.ProcessEnv;
}

/** Opens a sandbox engine. Close it when done: that closes every sandbox it opened. */
export async function openEngine(options: OpenEngineOptions = {}): Promise<Engine> {
	const kind = options.kind ?? kindFromEnvironment(options.env ?? process.env);
	switch (kind) {
		case "local":
			return openLocal(options);
		case "docker":
			return DockerEngine.open({ ...(options.env ? { env: options.env } : {}), ...options.docker });
		case undefined: {
			let local: unknown;
			try {
				return await openLocal(options);
			} catch (error) {
				if (!isGroveError(error, "UNSUPPORTED")) throw error;
				local = error;
			}
			try {
				return await DockerEngine.open({ ...(options.env ? { env: options.env } : {}), ...options.docker });
			} catch (error) {
				if (!isGroveError(error, "UNSUPPORTED")) throw error;
				throw new GroveError(
					"UNSUPPORTED",
					`no sandbox engine works here: ${(local as GroveError).message}; ${error.message}`,
					{
						hint: "run grove as root on Linux for the local engine, or start Docker or Podman",
						cause: error,
					},
				);
			}
		}
		default: {
			const unreachable: never = kind;
			throw new GroveError("INVALID_ARGUMENT", `unknown engine kind ${String(unreachable)}`);
		}
	}
}

function openLocal(options: OpenEngineOptions): Promise<Engine> {
	return LocalEngine.open({
		home: options.home ?? groveHome(),
		...(options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth }),
	});
}

function kindFromEnvironment(env: NodeJS.ProcessEnv): Engine["kind"] | undefined {
	const value = env.GROVE_ENGINE;
	if (value === undefined || value === "") return undefined;
	if (value === "local" || value === "docker") return value;
	throw new GroveError("INVALID_ARGUMENT", `GROVE_ENGINE is ${JSON.stringify(value)}`, {
		hint: "set GROVE_ENGINE to local or docker, or unset it",
	});
}
