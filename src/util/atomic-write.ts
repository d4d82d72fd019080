import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Replaces `path` with `data` so that a reader sees either the old file or the new one, never a
 * part: the data goes to a temp file in the same directory, is fsynced, then renamed over `path`.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
	const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
	const handle = await open(temp, "wx", 0o644);
	try {
		await handle.writeFile(data);
		await handle.sync();
	} catch (error) {
		await handle.close();
		await rm(temp, { force: true });
		throw error;
	}
	await handle.close();
	try {
		await rename(temp, path);
	} catch (error) {
		await rm(temp, { force: true });
		throw error;
	}
}
