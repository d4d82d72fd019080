import { execFileSync } from "node:child_process";
import { expect, it } from "vitest";

const root = new URL("../", import.meta.url).pathname;

it("the package imports itself by name from its own directory", () => {
	const script = `import("grove").then((m) => console.log(typeof m.GroveError, typeof m.isGroveError))`;
	const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
		cwd: root,
		encoding: "utf8",
	});
	expect(output).toBe("function function\n");
});
