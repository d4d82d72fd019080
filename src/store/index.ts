export { schemaVersion } from "./migrations.js";
export {
	type Branch,
	type EntryKind,
	type HistoryEntry,
	type LockOwner,
	type NewEntry,
	type SessionRecord,
	SessionStore,
	type StoredFile,
	storePath,
} from "./session-store.js";
