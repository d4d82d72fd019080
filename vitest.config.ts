import { defineConfig } from "vitest/config";

export default defineConfig({
	test: {
		globalSetup: ["test/support/global-setup.ts"],
		// Conditions that involve starting processes can take seconds on a loaded two-core machine.
		expect: { poll: { timeout: 10_000 } },
		projects: [
			{
				extends: true,
				test: { name: "unit", include: ["test/**/*.test.ts"], exclude: ["test/e2e/**"], testTimeout: 20_000 },
			},
			{
				extends: true,
				test: {
					name: "e2e",
					include: ["test/e2e/**/*.test.ts"],
					testTimeout: 120_000,
					hookTimeout: 300_000,
					fileParallelism: false,
				},
			},
		],
	},
});
