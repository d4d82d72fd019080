import { Option } from "commander";

/**
 * How a command prints its data: `json` for programs, and for people either `text`, or `table`
 * (aligned columns with a header) and `plain` (tab-separated, no header, one record a line).
 */
export type OutputFormat = "text" | "json" | "table" | "plain";

/**
 * The `-f, --format` option every command that prints data takes: the formats the command offers,
 * the first being the default (`text` and `json` unless the command says otherwise).
 */
export function formatOption(choices: readonly [OutputFormat, ...OutputFormat[]] = ["text", "json"]): Option {
	return new Option("-f, --format <format>", "output format").choices(choices).default(choices[0]);
}

/**
 * Renders rows as an aligned table with a header line. Cells are padded to the widest cell of
 * their column; the last column is never padded so lines carry no trailing spaces.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
	const widths = headers.map((header, column) =>
		Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)),
	);
	const line = (cells: readonly string[]) =>
		cells
			.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
			.join("  ")
			.trimEnd();
	return [line(headers), ...rows.map(line)].join("\n");
}
