import { describe, expect, it } from "vitest";
import { StreamDecoder, type StreamEvent } from "../../src/shell/decode.js";
import { newCommandId } from "../../src/shell/marker.js";

/** Feeds `wire` to a decoder `step` bytes at a time and merges adjacent output of the same kind. */
function decode(wire: Buffer, marker: Buffer, step: number): StreamEvent[] {
	const decoder = new StreamDecoder();
	const events = decoder.expect(marker);
	for (let at = 0; at < wire.length; at += step) events.push(...decoder.push(wire.subarray(at, at + step)));
	events.push(...decoder.end());
	const merged: StreamEvent[] = [];
	for (const event of events) {
		const last = merged.at(-1);
		if (event.type === "output" && last?.type === "output" && last.inside === event.inside) {
			last.bytes = Buffer.concat([last.bytes, event.bytes]);
		} else {
			merged.push(event.type === "output" ? { ...event, bytes: Buffer.from(event.bytes) } : event);
		}
	}
	return merged;
}

describe("StreamDecoder", () => {
	const id = newCommandId();
	const start = Buffer.concat([id.marker, Buffer.from("<\n")]);
	const end = Buffer.concat([id.marker, Buffer.from(">7\n")]);

	it("finds markers split across reads at every position, with output on either side", () => {
		const wire = Buffer.concat([
			Buffer.from("noise"),
			start,
			Buffer.from("a\x1fb"),
			id.marker.subarray(0, 5),
			Buffer.from("c\xff"),
			end,
			Buffer.from("later"),
		]);
		const expected: StreamEvent[] = [
			{ type: "output", inside: false, bytes: Buffer.from("noise") },
			{ type: "start" },
			{
				type: "output",
				inside: true,
				bytes: Buffer.concat([Buffer.from("a\x1fb"), id.marker.subarray(0, 5), Buffer.from("c\xff")]),
			},
			{ type: "end", status: 7 },
			{ type: "output", inside: false, bytes: Buffer.from("later") },
		];
		for (const step of [1, 2, 3, 5, 7, 16, wire.length])
			expect(decode(wire, id.marker, step)).toEqual(expected);
	});

	it("takes the id followed by something that is not a marker line as output", () => {
		const fake = Buffer.concat([id.marker, Buffer.from("?\n")]);
		const wire = Buffer.concat([start, fake, end]);
		expect(decode(wire, id.marker, 1)).toEqual([
			{ type: "start" },
			{ type: "output", inside: true, bytes: fake },
			{ type: "end", status: 7 },
		]);
	});

	it("ends a command whose start marker never came (the shell abandoned the line)", () => {
		expect(decode(Buffer.concat([Buffer.from("err\n"), end]), id.marker, 4)).toEqual([
			{ type: "output", inside: false, bytes: Buffer.from("err\n") },
			{ type: "end", status: 7 },
		]);
	});

	it("passes everything through as output when no command runs", () => {
		const decoder = new StreamDecoder();
		expect(decoder.push(Buffer.concat([start, end]))).toEqual([
			{ type: "output", inside: false, bytes: Buffer.concat([start, end]) },
		]);
	});
});
