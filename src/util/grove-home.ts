import { homedir } from "node:os";
import { join } from "node:path";

/**
 * The directory where grove keeps its state (engine store, session catalogs): `$GROVE_HOME`, else
 * `$XDG_CONFIG_HOME/grove`, else `~/.config/grove`. Empty variables count as unset.
 */
export function groveHome(env: NodeJS.ProcessEnv = process.env): string {
	if (env.GROVE_HOME) return env.GROVE_HOME;
	if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, "grove");
	return join(homedir(), ".config", "grove");
}
