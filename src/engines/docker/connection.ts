import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir, userInfo } from "node:os";
import { join } from "node:path";
import type Docker from "dockerode";
import { GroveError } from "../../errors.js";
import { hostKeyCheck } from "./known-hosts.js";

type SshAlgorithms = NonNullable<NonNullable<Docker.DockerOptions["sshOptions"]>["algorithms"]>;
type HostKeyAlgorithms = NonNullable<SshAlgorithms["serverHostKey"]>;

/** An engine endpoint grove may try: a unix socket, or a `tcp://`/`ssh://` address. */
interface Candidate {
	/** How the endpoint is named in messages: `unix:///run/podman/podman.sock`, `tcp://host:2375`. */
	endpoint: string;
	options: Docker.DockerOptions;
	/** A unix socket that does not exist is skipped without a connection attempt. */
	socketPath?: string;
	/** How an `ssh://` address logs in, for messages: the agent, a key file, or nothing. */
	login?: SshLogin;
	/** Why the last attempt failed, when the candidate knows better than the error it raised. */
	refusal?: () => string | undefined;
}

interface SshLogin {
	user: string;
	options: NonNullable<Docker.DockerOptions["sshOptions"]>;
	/** `the SSH agent at /path`, `the key /path` or `no key`. */
	offered: string;
	keyPath?: string;
}

export interface DockerConnection {
	docker: Docker;
	/** The endpoint that answered, as `DOCKER_HOST` would name it. */
	endpoint: string;
}

export interface ConnectOptions {
	/** An endpoint in `DOCKER_HOST` syntax; default `DOCKER_HOST`, else the usual sockets. */
	host?: string;
	/** Time each endpoint gets to answer a ping; default 3000 ms. */
	pingTimeoutMs?: number;
	env?: NodeJS.ProcessEnv;
}

/**
 * Finds a Docker-compatible engine: `options.host` or `DOCKER_HOST` when set (and only it),
 * otherwise the usual Podman and Docker sockets of Linux and macOS, in that order. Throws
 * UNSUPPORTED naming every endpoint tried when none answers.
 */
export async function connectDocker(options: ConnectOptions = {}): Promise<DockerConnection> {
	const env = options.env ?? process.env;
	const explicit = options.host ?? env.DOCKER_HOST;
	const candidates = explicit ? [parseDockerHost(explicit, env)] : defaultCandidates(env);
	const tried: string[] = [];
	// dockerode pulls in ssh2 and gRPC (hundreds of modules), so it is loaded only when an engine
	// is actually contacted, never by commands that run on the local engine.
	const DockerClient = createRequire(import.meta.url)("dockerode") as typeof Docker;
	for (const candidate of candidates) {
		if (candidate.socketPath !== undefined && !existsSync(candidate.socketPath)) {
			tried.push(`${candidate.endpoint} (no such socket)`);
			continue;
		}
		const docker = new DockerClient(candidate.options);
		try {
			// dockerode's types omit ping's options, which docker-modem honours.
			const ping = docker.ping as (this: Docker, options: { abortSignal: AbortSignal }) => Promise<unknown>;
			await ping.call(docker, { abortSignal: AbortSignal.timeout(options.pingTimeoutMs ?? 3000) });
			return { docker, endpoint: candidate.endpoint };
		} catch (error) {
			tried.push(
				`${candidate.endpoint} (${candidate.refusal?.() ?? describeFailure(error, candidate.login)})`,
			);
		}
	}
	throw new GroveError("UNSUPPORTED", `no Docker or Podman engine answered; tried ${tried.join(", ")}`, {
		hint: "start Docker or Podman (podman system service), or set DOCKER_HOST to its unix://, tcp:// or ssh:// address",
	});
}

function describeFailure(error: unknown, login: SshLogin | undefined): string {
	if (error instanceof Error) {
		if (error.name === "AbortError" || error.name === "TimeoutError") return "no answer";
		const code = (error as NodeJS.ErrnoException).code;
		if (code === "ECONNREFUSED") return "connection refused";
		if (code === "EACCES") return "permission denied";
		if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "cannot resolve the host name";
		if (code !== undefined) return code;
		const message = error.message.split("\n")[0] ?? "failed";
		if (login !== undefined) {
			// ssh2 reads the key before it connects, and says which methods failed but not what they offered.
			if (login.keyPath !== undefined && message.startsWith("Cannot parse privateKey")) {
				const reason = message.replace(/^Cannot parse privateKey: /, "");
				return /passphrase/.test(reason)
					? `the key ${login.keyPath} has a passphrase: add it to an SSH agent (ssh-add) and set SSH_AUTH_SOCK`
					: `cannot read the key ${login.keyPath}: ${reason}`;
			}
			if ((error as { level?: string }).level === "client-authentication")
				return `login as ${login.user} refused, offered ${login.offered}`;
		}
		return message;
	}
	return String(error);
}

/** Parses `unix:///path`, `tcp://host:port` (TLS with `DOCKER_TLS_VERIFY`) and `ssh://user@host:port`. */
function parseDockerHost(host: string, env: NodeJS.ProcessEnv = process.env): Candidate {
	if (host.startsWith("unix://")) {
		const socketPath = host.slice("unix://".length);
		return { endpoint: host, options: { socketPath }, socketPath };
	}
	let url: URL;
	try {
		url = new URL(host);
	} catch (error) {
		throw invalidHost(host, error);
	}
	if (url.protocol === "tcp:" || url.protocol === "http:" || url.protocol === "https:") {
		const tls = url.protocol === "https:" || env.DOCKER_TLS_VERIFY === "1";
		const options: Docker.DockerOptions = {
			host: url.hostname,
			port: url.port || (tls ? "2376" : "2375"),
			protocol: tls ? "https" : "http",
		};
		const certPath = env.DOCKER_CERT_PATH;
		if (tls && certPath) {
			options.ca = readFileSync(join(certPath, "ca.pem"));
			options.cert = readFileSync(join(certPath, "cert.pem"));
			options.key = readFileSync(join(certPath, "key.pem"));
		}
		return { endpoint: host, options };
	}
	if (url.protocol === "ssh:") {
		const port = Number(url.port || "22");
		// URL keeps an IPv6 address in brackets, which neither known_hosts nor the transport wants.
		const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
		const hostKey = hostKeyCheck(hostname, port, env.HOME ?? homedir());
		// The ssh command's default: the local user's name.
		const user = url.username ? decodeURIComponent(url.username) : (env.USER ?? userInfo().username);
		const login = sshLogin(user, env);
		const options: Docker.DockerOptions = {
			host: hostname,
			port,
			protocol: "ssh",
			username: user,
			// docker-modem runs `docker system dial-stdio` on the remote host over each connection
			// (Docker's CLI and Podman's `podman-docker` answer it).
			sshOptions: {
				...login.options,
				hostVerifier: hostKey.verify,
				...(hostKey.algorithms.length > 0
					? { algorithms: { serverHostKey: hostKey.algorithms as HostKeyAlgorithms } }
					: {}),
			},
		};
		return { endpoint: host, options, login, refusal: hostKey.refusal };
	}
	throw invalidHost(host);
}

/**
 * How an `ssh://` address logs in, as the ssh command does without a config file: with the SSH
 * agent's keys, else with the first of the usual key files. Only one of the two, because the
 * transport gives up on an encrypted key file before it would try the agent.
 */
function sshLogin(user: string, env: NodeJS.ProcessEnv): SshLogin {
	if (env.SSH_AUTH_SOCK)
		return { user, options: { agent: env.SSH_AUTH_SOCK }, offered: `the SSH agent at ${env.SSH_AUTH_SOCK}` };
	const home = env.HOME ?? homedir();
	for (const name of ["id_ed25519", "id_ecdsa", "id_rsa"]) {
		const path = join(home, ".ssh", name);
		if (existsSync(path))
			return { user, options: { privateKey: readFileSync(path) }, offered: `the key ${path}`, keyPath: path };
	}
	return {
		user,
		options: {},
		offered: `no key (no SSH agent, no id_ed25519, id_ecdsa or id_rsa in ${join(home, ".ssh")})`,
	};
}

function invalidHost(host: string, cause?: unknown): GroveError {
	return new GroveError("INVALID_ARGUMENT", `cannot read the engine address ${JSON.stringify(host)}`, {
		hint: "use unix:///path/to.sock, tcp://host:port or ssh://user@host",
		cause,
	});
}

function defaultCandidates(env: NodeJS.ProcessEnv): Candidate[] {
	const home = env.HOME ?? homedir();
	const paths: string[] = [];
	if (env.XDG_RUNTIME_DIR) paths.push(join(env.XDG_RUNTIME_DIR, "podman", "podman.sock"));
	const uid = process.getuid?.();
	if (uid !== undefined && uid !== 0) paths.push(`/run/user/${uid}/podman/podman.sock`);
	paths.push(
		"/run/podman/podman.sock",
		"/var/run/docker.sock",
		join(home, ".docker", "run", "docker.sock"),
		join(home, ".orbstack", "run", "docker.sock"),
		join(home, ".colima", "default", "docker.sock"),
		join(home, ".rd", "docker.sock"),
		join(home, ".local", "share", "containers", "podman", "machine", "podman.sock"),
		join(home, ".local", "share", "containers", "podman", "machine", "qemu", "podman.sock"),
	);
	return [...new Set(paths)].map((socketPath) => ({
		endpoint: `unix://${socketPath}`,
		options: { socketPath },
		socketPath,
	}));
}
