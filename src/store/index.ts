export { schemaVersion } from "./migrations.js";
export {
	type Branch,
	type EntryKind,
	type HistoryEntry,
	type LockOwner,
	type NewEntry,
	SandboxStore,
	type SessionRecord,
	type StoredFile,
	storePath,
} from "./session-store.js";
