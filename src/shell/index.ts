export { type ExecOptions, exec } from "./exec.js";
export { hostShellProcess, type OpenShellOptions, openShell, shellArgv } from "./host.js";
export { type AttachOptions, attachShell } from "./session.js";
export { SessionClosed } from "./session-closed.js";
export type { CommandResult, OutputChunk, SendOptions, ShellProcess, ShellSession } from "./types.js";
