import { MemoryStore } from "../../src/index.js";
import { defineStoreSuite } from "./store-suite.js";

defineStoreSuite("memory", {
	create: async (_dir, header) => MemoryStore.create(header),
	reopen: async (store) => (store as MemoryStore).reopen(),
});
