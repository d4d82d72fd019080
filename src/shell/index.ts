export type { CommandResult, OutputChunk, SendOptions, ShellProcess, ShellSession } from "./types.js";
