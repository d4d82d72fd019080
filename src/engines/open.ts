import { GroveError } from "../errors.js";
import { groveHome } from "../util/index.js";
import { LocalEngine } from "./local/index.js";
import type { Engine } from "./types.js";

export interface OpenEngineOptions {
	/** Which engine; default `local`. */
	kind?: Engine["kind"];
	/** grove's state directory; default `groveHome()` (`$GROVE_HOME`, else `~/.config/grove`). */
	home?: string;
	/** Local engine: layers an image may stack before it is flattened into one. Default 64. */
	maxDepth?: number;
}

/** Opens a sandbox engine. Close it when done: that closes every sandbox it opened. */
export async function openEngine(options: OpenEngineOptions = {}): Promise<Engine> {
	const kind = options.kind ?? "local";
	switch (kind) {
		case "local":
			return LocalEngine.open({
				home: options.home ?? groveHome(),
				...(options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth }),
			});
		case "docker":
			throw new GroveError("UNSUPPORTED", "the docker engine is not part of this build", {
				hint: 'use openEngine({ kind: "local" })',
			});
		default: {
			const unreachable: never = kind;
			throw new GroveError("INVALID_ARGUMENT", `unknown engine kind ${String(unreachable)}`);
		}
	}
}
