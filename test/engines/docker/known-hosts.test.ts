import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "vitest";
import { hostKeyCheck } from "../../../src/engines/docker/known-hosts.js";
import { test } from "../../support/temp-dir.js";

const key = (text: string) => Buffer.from(text);
const b64 = (text: string) => key(text).toString("base64");

async function home(dir: string, knownHosts: string): Promise<string> {
	await mkdir(join(dir, ".ssh"));
	await writeFile(join(dir, ".ssh", "known_hosts"), knownHosts);
	return dir;
}

test("matches plain names, [host]:port, wildcards and negations, and asks for the known key types", async ({
	dir,
}) => {
	const known = await home(
		dir,
		[
			"# a comment",
			`builder.example,10.0.0.2 ssh-ed25519 ${b64("builder")}`,
			`[builder.example]:2222 ssh-rsa ${b64("builder-2222")}`,
			`*.farm.example,!bad.farm.example ecdsa-sha2-nistp256 ${b64("farm")}`,
			`@revoked *.farm.example ssh-ed25519 ${b64("stolen")}`,
			"",
		].join("\n"),
	);
	const plain = hostKeyCheck("builder.example", 22, known);
	expect(plain.verify(key("builder"))).toBe(true);
	expect(plain.algorithms).toEqual(["ssh-ed25519"]);
	expect(hostKeyCheck("10.0.0.2", 22, known).verify(key("builder"))).toBe(true);
	const ported = hostKeyCheck("builder.example", 2222, known);
	expect(ported.verify(key("builder"))).toBe(false);
	expect(ported.refusal()).toBe(
		`the host key of [builder.example]:2222 does not match ${join(dir, ".ssh", "known_hosts")}: a changed host, or someone in between`,
	);
	expect(ported.verify(key("builder-2222"))).toBe(true);
	expect(ported.refusal()).toBeUndefined();
	expect(ported.algorithms).toEqual(["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]);
	const farm = hostKeyCheck("n1.farm.example", 22, known);
	expect(farm.verify(key("farm"))).toBe(true);
	expect(farm.verify(key("stolen"))).toBe(false);
	expect(farm.refusal()).toContain("the host key of n1.farm.example is revoked");
	const negated = hostKeyCheck("bad.farm.example", 22, known);
	expect(negated.verify(key("farm"))).toBe(false);
	expect(negated.refusal()).toBe(
		`bad.farm.example is not in ${join(dir, ".ssh", "known_hosts")}; connect once with ssh to add it`,
	);
});
