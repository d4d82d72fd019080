const safeWord = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes one word for a POSIX shell so that the shell passes it through unchanged. Every path or
 * value grove puts on a shell command line goes through here.
 */
export function shellQuote(word: string): string {
	if (word.length > 0 && safeWord.test(word)) return word;
	return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Quotes each word and joins them with spaces. */
export function shellJoin(words: readonly string[]): string {
	return words.map(shellQuote).join(" ");
}
