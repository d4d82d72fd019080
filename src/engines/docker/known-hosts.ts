import { createHmac } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** How an `ssh://` connection checks the key its server presents, as `ssh` does with `known_hosts`. */
export interface HostKeyCheck {
	/** For the transport: true when `key` (the server's public key blob) is a known key of the host. */
	verify: (key: Buffer) => boolean;
	/** The host key algorithms to ask for: those of the keys known for the host, so the server offers one of them. */
	algorithms: string[];
	/** Why the last `verify` refused the server's key, to name in the error; undefined when it did not. */
	refusal: () => string | undefined;
}

/** Host key algorithms a `known_hosts` key type stands for, most preferred first. */
const algorithmsOf: Record<string, string[]> = {
	"ssh-ed25519": ["ssh-ed25519"],
	"ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
	"ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
	"ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
	"ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
};

/**
 * Reads the keys `~/.ssh/known_hosts` and `/etc/ssh/ssh_known_hosts` list for `host:port` (plain,
 * hashed or wildcard patterns; `@revoked` keys are refused) and checks the server's key against
 * them. A host with no known key is refused too: there is no one to ask, so connect once with
 * `ssh` (or add it with `ssh-keyscan`) first.
 */
export function hostKeyCheck(host: string, port: number, home: string): HostKeyCheck {
	const userFile = join(home, ".ssh", "known_hosts");
	const files = [userFile, "/etc/ssh/ssh_known_hosts"].filter((file) => existsSync(file));
	const name = port === 22 ? host : `[${host}]:${port}`;
	const known: { type: string; key: Buffer }[] = [];
	const revoked: Buffer[] = [];
	for (const file of files) {
		for (const line of readFileSync(file, "utf8").split("\n")) {
			const fields = line.trim().split(/\s+/);
			if (fields[0] === undefined || fields[0] === "" || fields[0].startsWith("#")) continue;
			const marker = fields[0].startsWith("@") ? fields.shift() : undefined;
			const [patterns, type, base64] = fields;
			if (patterns === undefined || type === undefined || base64 === undefined) continue;
			if (marker === "@cert-authority" || !matches(patterns, name)) continue;
			const key = Buffer.from(base64, "base64");
			if (marker === "@revoked") revoked.push(key);
			else known.push({ type, key });
		}
	}
	let refusal: string | undefined;
	// Named by the user's file, where a key is added or corrected.
	const where = userFile;
	return {
		verify: (key) => {
			refusal = undefined;
			if (revoked.some((bad) => bad.equals(key))) refusal = `the host key of ${name} is revoked in ${where}`;
			else if (known.length === 0) refusal = `${name} is not in ${where}; connect once with ssh to add it`;
			else if (!known.some((entry) => entry.key.equals(key))) {
				refusal = `the host key of ${name} does not match ${where}: a changed host, or someone in between`;
			}
			return refusal === undefined;
		},
		algorithms: [...new Set(known.flatMap((entry) => algorithmsOf[entry.type] ?? []))],
		refusal: () => refusal,
	};
}

/** Whether a `known_hosts` host field (`a,b,[c]:2222`, `|1|salt|hash`, `*.example`, `!x`) names `name`. */
function matches(patterns: string, name: string): boolean {
	if (patterns.startsWith("|1|")) {
		const [, , salt, hash] = patterns.split("|");
		if (salt === undefined || hash === undefined) return false;
		return createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64") === hash;
	}
	let matched = false;
	for (const pattern of patterns.split(",")) {
		const negated = pattern.startsWith("!");
		const glob = negated ? pattern.slice(1) : pattern;
		const regex = new RegExp(
			`^${glob
				.replace(/[.+^${}()|[\]\\]/g, "\\$&")
				.replaceAll("*", ".*")
				.replaceAll("?", ".")}$`,
			"i",
		);
		if (!regex.test(name)) continue;
		if (negated) return false;
		matched = true;
	}
	return matched;
}
