/**
 * Just enough of the tar format (POSIX ustar with pax extended headers) for grove: writing entries
 * (change exports) and reading headers with their pax records (the xattrs GNU tar reports).
 */

export interface TarEntry {
	/** Path inside the archive, without a leading slash. */
	path: string;
	type: "file" | "directory" | "symlink";
	/** Permission bits. */
	mode: number;
	mtimeMs: number;
	/** Bytes of a file; ignored for other types. */
	size?: number;
	linkTarget?: string;
	uid?: number;
	gid?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const block = 512;

function writeString(header: Uint8Array, offset: number, length: number, value: string): void {
	header.set(encoder.encode(value).subarray(0, length), offset);
}

function writeOctal(header: Uint8Array, offset: number, length: number, value: number): void {
	writeString(header, offset, length - 1, value.toString(8).padStart(length - 1, "0"));
}

function paxRecord(key: string, value: string): string {
	// The length prefix counts itself, so grow it until it is consistent.
	const body = ` ${key}=${value}\n`;
	let length = body.length + 1;
	while (`${length}${body}`.length !== length) length = `${length}${body}`.length;
	return `${length}${body}`;
}

function header(name: string, typeflag: string, entry: TarEntry, size: number, linkName: string): Uint8Array {
	const bytes = new Uint8Array(block);
	writeString(bytes, 0, 100, name);
	writeOctal(bytes, 100, 8, entry.mode & 0o7777);
	writeOctal(bytes, 108, 8, entry.uid ?? 0);
	writeOctal(bytes, 116, 8, entry.gid ?? 0);
	writeOctal(bytes, 124, 12, size);
	writeOctal(bytes, 136, 12, Math.max(0, Math.floor(entry.mtimeMs / 1000)));
	bytes.fill(0x20, 148, 156);
	writeString(bytes, 156, 1, typeflag);
	writeString(bytes, 157, 100, linkName);
	writeString(bytes, 257, 6, "ustar");
	writeString(bytes, 263, 2, "00");
	let sum = 0;
	for (const byte of bytes) sum += byte;
	writeString(bytes, 148, 7, `${sum.toString(8).padStart(6, "0")}\0`);
	return bytes;
}

function padding(size: number): Uint8Array {
	return new Uint8Array((block - (size % block)) % block);
}

/** The blocks of one entry: a pax header when a name is too long for ustar, the header, the data. */
export function tarEntry(entry: TarEntry, data: Uint8Array = new Uint8Array(0)): Uint8Array[] {
	const name = entry.type === "directory" ? `${entry.path.replace(/\/$/, "")}/` : entry.path;
	const linkName = entry.linkTarget ?? "";
	const size = entry.type === "file" ? data.length : 0;
	const chunks: Uint8Array[] = [];
	const records: string[] = [];
	if (encoder.encode(name).length > 100) records.push(paxRecord("path", name));
	if (encoder.encode(linkName).length > 100) records.push(paxRecord("linkpath", linkName));
	if (records.length > 0) {
		const pax = encoder.encode(records.join(""));
		chunks.push(header("././@PaxHeader", "x", entry, pax.length, ""), pax, padding(pax.length));
	}
	const typeflag = entry.type === "file" ? "0" : entry.type === "directory" ? "5" : "2";
	chunks.push(header(name.slice(0, 100), typeflag, entry, size, linkName.slice(0, 100)));
	if (size > 0) chunks.push(data, padding(size));
	return chunks;
}

/** The two zero blocks that end an archive. */
export function tarEnd(): Uint8Array {
	return new Uint8Array(block * 2);
}

export interface TarHeader {
	path: string;
	typeflag: string;
	size: number;
	/** Pax records that applied to this entry (`SCHILY.xattr.*`, `path`, ...). */
	pax: Record<string, string>;
}

function readString(bytes: Uint8Array, offset: number, length: number): string {
	const slice = bytes.subarray(offset, offset + length);
	const end = slice.indexOf(0);
	return decoder.decode(end === -1 ? slice : slice.subarray(0, end));
}

function parsePax(bytes: Uint8Array): Record<string, string> {
	const records: Record<string, string> = {};
	let offset = 0;
	while (offset < bytes.length) {
		const space = bytes.indexOf(0x20, offset);
		if (space === -1) break;
		const length = Number.parseInt(decoder.decode(bytes.subarray(offset, space)), 10);
		if (!Number.isFinite(length) || length <= 0) break;
		const record = decoder.decode(bytes.subarray(space + 1, offset + length - 1));
		const equals = record.indexOf("=");
		if (equals > 0) records[record.slice(0, equals)] = record.slice(equals + 1);
		offset += length;
	}
	return records;
}

/** The headers of an archive held in memory, with the pax records that apply to each. */
export function readTarHeaders(archive: Uint8Array): TarHeader[] {
	const headers: TarHeader[] = [];
	let offset = 0;
	let pax: Record<string, string> = {};
	while (offset + block <= archive.length) {
		const bytes = archive.subarray(offset, offset + block);
		if (bytes.every((byte) => byte === 0)) break;
		const size = Number.parseInt(readString(bytes, 124, 12).trim() || "0", 8);
		const typeflag = readString(bytes, 156, 1) || "0";
		const prefix = readString(bytes, 345, 155);
		const name = readString(bytes, 0, 100);
		const body = archive.subarray(offset + block, offset + block + size);
		offset += block + Math.ceil(size / block) * block;
		if (typeflag === "x") {
			pax = { ...pax, ...parsePax(body) };
			continue;
		}
		if (typeflag === "g") continue;
		headers.push({ path: pax.path ?? (prefix ? `${prefix}/${name}` : name), typeflag, size, pax });
		pax = {};
	}
	return headers;
}
