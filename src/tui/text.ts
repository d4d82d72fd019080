/** Text a key press types into a search: no control characters, no escape sequences. */
export function isPrintable(data: string): boolean {
	if (data.length === 0) return false;
	for (const char of data) {
		const code = char.codePointAt(0) as number;
		if (code < 32 || code === 0x7f || (code >= 0x80 && code <= 0x9f)) return false;
	}
	return true;
}

/** `path` with the home directory written `~`, to save room on the screen. */
export function homeShortened(path: string): string {
	const home = process.env.HOME;
	return home && path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}

export function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}
