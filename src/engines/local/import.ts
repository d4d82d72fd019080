import { spawn } from "node:child_process";
import { mkdir, readFile, rm, stat } from "node:fs/promises";
import { join, posix } from "node:path";
import { GroveError } from "../../errors.js";
import type { ImageSource } from "../types.js";
import { copyTree } from "./apply-layer.js";
import type { Tools } from "./tools.js";

function run(program: string, args: string[]): Promise<string> {
	return new Promise((resolve, reject) => {
		const child = spawn(program, args, { stdio: ["ignore", "pipe", "pipe"] });
		const stdout: Buffer[] = [];
		let stderr = "";
		child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
		child.stderr.on("data", (chunk: Buffer) => {
			stderr += chunk.toString();
		});
		child.on("error", reject);
		child.on("close", (code) =>
			code === 0
				? resolve(Buffer.concat(stdout).toString("utf8"))
				: reject(new GroveError("INVALID_FORMAT", `${posix.basename(program)} failed: ${stderr.trim()}`)),
		);
	});
}

async function requireKind(path: string, kind: "directory" | "file"): Promise<void> {
	const info = await stat(path).catch(() => null);
	if (info === null || (kind === "directory" ? !info.isDirectory() : !info.isFile())) {
		throw new GroveError("NOT_FOUND", `no such ${kind}: ${path}`, {
			hint: `pass the path of an existing ${kind}`,
		});
	}
}

/** Extracts a tar (plain or compressed; tar detects which) into `target`, keeping owners and modes. */
async function extract(tools: Tools, archive: string, target: string, exclude: string[] = []): Promise<void> {
	await run(tools.tar, [
		"-x",
		"-p",
		"--numeric-owner",
		"--no-same-permissions",
		...exclude.map((pattern) => `--exclude=${pattern}`),
		"-f",
		archive,
		"-C",
		target,
	]);
}

/**
 * Applies one image layer tarball (OCI or Docker) onto `target`: its whiteouts (`.wh.NAME` deletes
 * NAME, `.wh..wh..opq` empties the directory) act on what the lower layers put there, then its
 * files are extracted.
 */
async function applyLayerTar(tools: Tools, archive: string, target: string): Promise<void> {
	const names = (await run(tools.tar, ["-t", "-f", archive])).split("\n").filter(Boolean);
	for (const name of names) {
		const clean = posix.normalize(`/${name}`).replace(/\/$/, "");
		const base = posix.basename(clean);
		if (!base.startsWith(".wh.")) continue;
		const dir = posix.dirname(clean);
		if (base === ".wh..wh..opq") {
			await rm(join(target, dir), { recursive: true, force: true });
			await mkdir(join(target, dir), { recursive: true });
		} else {
			await rm(join(target, dir, base.slice(".wh.".length)), { recursive: true, force: true });
		}
	}
	await extract(tools, archive, target, [".wh.*"]);
}

interface DockerManifest {
	Layers: string[];
}

interface OciDescriptor {
	mediaType?: string;
	digest: string;
}

function blobPath(root: string, digest: string): string {
	const [algorithm, hex] = digest.split(":");
	if (!algorithm || !hex || !/^[a-z0-9]+$/.test(algorithm) || !/^[a-f0-9]+$/.test(hex)) {
		throw new GroveError("INVALID_FORMAT", `bad digest in the image archive: ${digest}`);
	}
	return join(root, "blobs", algorithm, hex);
}

async function readJson<T>(path: string, what: string): Promise<T> {
	try {
		return JSON.parse(await readFile(path, "utf8")) as T;
	} catch (error) {
		throw new GroveError("INVALID_FORMAT", `the image archive has no readable ${what}`, {
			hint: "pass a `docker save` / `podman save` archive or an OCI image layout tar",
			cause: error,
		});
	}
}

/** The layer tarballs of the first image in an unpacked `docker save` or OCI layout, bottom first. */
async function archiveLayers(unpacked: string): Promise<string[]> {
	const manifest = await stat(join(unpacked, "manifest.json")).catch(() => null);
	if (manifest?.isFile()) {
		const images = await readJson<DockerManifest[]>(join(unpacked, "manifest.json"), "manifest.json");
		const first = images[0];
		if (!first) throw new GroveError("INVALID_FORMAT", "the image archive's manifest.json lists no image");
		return first.Layers.map((layer) => join(unpacked, posix.normalize(`/${layer}`)));
	}
	let descriptor: OciDescriptor | undefined = (
		await readJson<{ manifests: OciDescriptor[] }>(
			join(unpacked, "index.json"),
			"manifest.json or index.json",
		)
	).manifests[0];
	for (let depth = 0; descriptor && depth < 4; depth++) {
		const document = await readJson<{ manifests?: OciDescriptor[]; layers?: OciDescriptor[] }>(
			blobPath(unpacked, descriptor.digest),
			"image manifest",
		);
		if (document.layers) return document.layers.map((layer) => blobPath(unpacked, layer.digest));
		descriptor = document.manifests?.[0];
	}
	throw new GroveError("INVALID_FORMAT", "the image archive's index names no image manifest");
}

/** Fills the empty directory `target` with the root filesystem `source` describes. */
export async function importRootfs(
	tools: Tools,
	source: ImageSource,
	target: string,
	scratch: string,
): Promise<void> {
	switch (source.kind) {
		case "directory":
			await requireKind(source.path, "directory");
			await copyTree(source.path, target, { xattrs: null });
			return;
		case "tarball":
			await requireKind(source.path, "file");
			await extract(tools, source.path, target);
			return;
		case "archive": {
			await requireKind(source.path, "file");
			const unpacked = join(scratch, "archive");
			await mkdir(unpacked);
			await extract(tools, source.path, unpacked);
			for (const layer of await archiveLayers(unpacked)) await applyLayerTar(tools, layer, target);
			return;
		}
		default: {
			const unreachable: never = source;
			throw new GroveError("INVALID_ARGUMENT", `unknown image source ${JSON.stringify(unreachable)}`);
		}
	}
}
