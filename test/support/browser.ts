import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { test as dirTest } from "./temp-dir.js";

/** Debian's Chromium, driven through playwright-core. */
export const chromiumPath = "/usr/bin/chromium";

/** `null` when the browser tests can run, else what is missing (for `describeIf`). */
export function missingChromium(): string | null {
	return existsSync(chromiumPath)
		? null
		: `Chromium is not installed at ${chromiumPath} (apt-get install chromium)`;
}

/** Launches headless Chromium the way every browser test does. Close it when done. */
export function launchChromium(): Promise<Browser> {
	return chromium.launch({
		executablePath: chromiumPath,
		headless: true,
		args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
	});
}

/**
 * A `test` with a fresh `dir` and a `page` in its own browser context; the browser is started
 * once per file and the context is closed after each test.
 */
export const browserTest = dirTest.extend<{ page: Page; browser: Browser }>({
	browser: [
		// biome-ignore lint/correctness/noEmptyPattern: vitest fixtures take their dependencies by destructuring
		async ({}, use) => {
			const browser = await launchChromium();
			await use(browser);
			await browser.close();
		},
		{ scope: "worker" },
	],
	page: async ({ browser }, use) => {
		const context = await browser.newContext({ acceptDownloads: true });
		const page = await context.newPage();
		await use(page);
		await context.close();
	},
});
