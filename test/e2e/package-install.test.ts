import { execFile } from "node:child_process";
import { mkdir, readFile, symlink } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect } from "vitest";
import { test } from "../support/temp-dir.js";

const run = promisify(execFile);
const root = new URL("../..", import.meta.url).pathname;

interface PackageJson {
	version: string;
	bin: Record<string, string>;
	dependencies: Record<string, string>;
}

/**
 * The package as npm installs it: the files of `npm pack`'s tarball under node_modules/grove, its
 * dependencies beside it. The built CLI is a bundle of several files that loads dockerode at run
 * time, so a file missing from the tarball or a require that only resolves in the repository would
 * show here and not in the tests that run dist/ in place.
 */
describe("the packed package, installed", () => {
	let manifest: PackageJson;
	beforeAll(async () => {
		manifest = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as PackageJson;
	});

	const install = async (dir: string) => {
		// dist/ is built by `npm test` before the tests run; packing again would only rebuild it.
		const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], {
			cwd: root,
		});
		const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
		const modules = join(dir, "node_modules");
		const installed = join(modules, "grove");
		await mkdir(installed, { recursive: true });
		await run("tar", ["-xzf", join(dir, filename), "-C", installed, "--strip-components=1"]);
		for (const name of Object.keys(manifest.dependencies)) {
			await mkdir(join(modules, name, ".."), { recursive: true });
			await symlink(join(root, "node_modules", name), join(modules, name));
		}
		return { installed, bin: join(installed, manifest.bin.grove as string) };
	};

	const grove = (bin: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
		run(bin, args, { env: { ...process.env, ...env } }).then(
			({ stdout, stderr }) => ({ exitCode: 0, stdout, stderr }),
			(error: { code: number; stdout: string; stderr: string }) => ({
				exitCode: error.code,
				stdout: error.stdout,
				stderr: error.stderr,
			}),
		);

	test("runs its bin as a program, with the exit codes of usage and engine errors", async ({ dir }) => {
		const { bin } = await install(dir);
		expect(await grove(bin, ["--version"])).toEqual({
			exitCode: 0,
			stdout: `${manifest.version}\n`,
			stderr: "",
		});
		expect(await grove(bin, ["bogus"])).toMatchObject({
			exitCode: 2,
			stderr: expect.stringContaining("unknown command 'bogus'"),
		});
		// Reaching for an engine loads dockerode, which the bundle leaves in node_modules.
		const socket = join(dir, "none.sock");
		expect(
			await grove(bin, ["engine", "info", "--engine", "docker"], {
				GROVE_HOME: join(dir, "home"),
				DOCKER_HOST: `unix://${socket}`,
			}),
		).toMatchObject({
			exitCode: 1,
			stderr: `grove: no Docker or Podman engine answered; tried unix://${socket} (no such socket)\nhint: start Docker or Podman (podman system service), or set DOCKER_HOST to its unix://, tcp:// or ssh:// address\n`,
		});
	});

	test("is imported by its name, from a program beside it and from inside its own tree", async ({ dir }) => {
		await install(dir);
		const program = 'import { SessionTree } from "grove"; console.log(typeof SessionTree.open);';
		// In the repository no node_modules/grove exists: the name resolves through the exports map.
		for (const cwd of [dir, root]) {
			const { stdout } = await run(process.execPath, ["--input-type=module", "-e", program], { cwd });
			expect(stdout, cwd).toBe("function\n");
		}
	});
});
