import { expect, it } from "vitest";
import { PickerModel } from "../../src/tui/picker-model.js";
import { PickerView } from "../../src/tui/picker-view.js";

it("shows how many session files are read while a store loads", () => {
	let report: (loaded: number, total: number) => void = () => {};
	const view = new PickerView({
		model: new PickerModel(),
		scope: "current",
		height: () => 10,
		now: () => new Date(),
		// A load that reports progress and has not finished yet.
		load: (_scope, progress) => {
			report = progress;
			return new Promise(() => {});
		},
		rename: async () => {},
		remove: async () => {},
		done: () => {},
		requestRender: () => {},
	});
	view.reload();
	report(3, 12);
	expect(view.render(60).slice(3, 5)).toEqual(["─".repeat(60), "  Loading sessions… 3/12"]);
});
