import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Packs each layer directory as a tar; returns the tars with their sha256. */
async function packLayers(work: string, layers: readonly string[]) {
	const packed: { path: string; digest: string; size: number }[] = [];
	for (const [index, layer] of layers.entries()) {
		const path = join(work, `layer-${index}.tar`);
		execFileSync("tar", ["-c", "-f", path, "--numeric-owner", "-C", layer, "."]);
		const bytes = await readFile(path);
		packed.push({ path, digest: createHash("sha256").update(bytes).digest("hex"), size: bytes.length });
	}
	return packed;
}

function config(diffIds: string[]): string {
	return JSON.stringify({
		architecture: "amd64",
		os: "linux",
		config: { Cmd: ["/bin/sh"] },
		rootfs: { type: "layers", diff_ids: diffIds.map((digest) => `sha256:${digest}`) },
	});
}

/**
 * Writes a `docker save` archive at `path` whose layers are the directories `layers` (bottom
 * first). A layer marks deletions the OCI way: an empty file `.wh.NAME`, or `.wh..wh..opq`.
 */
export async function makeDockerArchive(
	work: string,
	path: string,
	layers: readonly string[],
): Promise<void> {
	const root = join(work, "docker-archive");
	await mkdir(root);
	const packed = await packLayers(work, layers);
	const names: string[] = [];
	for (const layer of packed) {
		await mkdir(join(root, layer.digest));
		await rename(layer.path, join(root, layer.digest, "layer.tar"));
		names.push(`${layer.digest}/layer.tar`);
	}
	const configText = config(packed.map((layer) => layer.digest));
	const configName = `${createHash("sha256").update(configText).digest("hex")}.json`;
	await writeFile(join(root, configName), configText);
	await writeFile(
		join(root, "manifest.json"),
		JSON.stringify([{ Config: configName, RepoTags: ["grove-test:latest"], Layers: names }]),
	);
	execFileSync("tar", ["-c", "-f", path, "-C", root, "."]);
}

/** Writes an OCI image-layout archive at `path` with gzip-compressed layers. */
export async function makeOciArchive(work: string, path: string, layers: readonly string[]): Promise<void> {
	const root = join(work, "oci-archive");
	const blobs = join(root, "blobs", "sha256");
	await mkdir(blobs, { recursive: true });
	const packed = await packLayers(work, layers);
	const descriptors = [];
	for (const layer of packed) {
		execFileSync("gzip", ["-n", layer.path]);
		const bytes = await readFile(`${layer.path}.gz`);
		const digest = createHash("sha256").update(bytes).digest("hex");
		await writeFile(join(blobs, digest), bytes);
		descriptors.push({
			mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
			digest: `sha256:${digest}`,
			size: bytes.length,
		});
	}
	const blob = async (text: string) => {
		const digest = createHash("sha256").update(text).digest("hex");
		await writeFile(join(blobs, digest), text);
		return { digest: `sha256:${digest}`, size: Buffer.byteLength(text) };
	};
	const configBlob = await blob(config(packed.map((layer) => layer.digest)));
	const manifest = await blob(
		JSON.stringify({
			schemaVersion: 2,
			mediaType: "application/vnd.oci.image.manifest.v1+json",
			config: { mediaType: "application/vnd.oci.image.config.v1+json", ...configBlob },
			layers: descriptors,
		}),
	);
	await writeFile(join(root, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
	await writeFile(
		join(root, "index.json"),
		JSON.stringify({
			schemaVersion: 2,
			manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifest }],
		}),
	);
	execFileSync("tar", ["-c", "-f", path, "-C", root, "."]);
}
