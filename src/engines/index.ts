export type { DiffEntry, Engine, FileStat, ImageId, RunResult, RunSpec, Sandbox } from "./types.js";
