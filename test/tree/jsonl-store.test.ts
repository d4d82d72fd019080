import { join } from "node:path";
import { JsonlStore } from "../../src/index.js";
import { defineStoreSuite } from "./store-suite.js";

defineStoreSuite("jsonl", {
	create: (dir, header) => JsonlStore.create(join(dir, "session.jsonl"), header),
	reopen: (store) => JsonlStore.open((store as JsonlStore).path),
});
