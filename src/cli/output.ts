import { Option } from "commander";

export type OutputFormat = "text" | "json";

/** The `-f, --format` option every command that prints data takes. */
export function formatOption(): Option {
	return new Option("-f, --format <format>", "output format").choices(["text", "json"]).default("text");
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
