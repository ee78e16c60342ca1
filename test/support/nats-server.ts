import { ChildProcess, spawn } from 'child_process';
import { accessSync, constants as fsConstants, mkdtempSync, rmSync } from 'fs';
import { createServer } from 'net';
import { tmpdir } from 'os';
import { delimiter, join } from 'path';
import { connect } from 'nats';

/** A JetStream-enabled nats-server on 127.0.0.1, with its store in a temp dir of its own. */
export interface NatsServer {
  url: string;
  port: number;
  /** Stops the server (SIGTERM, then SIGKILL) and removes its store. */
  stop(): Promise<void>;
  /** Kills the server at once, like a crash; the store stays so that `restart()` can recover it. */
  kill(): void;
  /** Starts the server again on the same port and store (after `kill()` or while running). */
  restart(): Promise<void>;
}

export interface StartNatsServerOptions {
  /** Path of the nats-server binary; found on PATH or at /usr/sbin/nats-server when absent. */
  binary?: string;
  /** How long to wait for the server to accept JetStream requests. Default 10 s. */
  readyTimeoutMs?: number;
}

const WELL_KNOWN_BINARY = '/usr/sbin/nats-server';

export function findNatsServerBinary(): string | null {
  const candidates = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir.length > 0)
    .map((dir) => join(dir, 'nats-server'));
  candidates.push(WELL_KNOWN_BINARY);
  return candidates.find(isExecutable) ?? null;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export async function startNatsServer(options: StartNatsServerOptions = {}): Promise<NatsServer> {
  const binary = options.binary ?? findNatsServerBinary();
  // A missing server must fail the run: skipping would let CI pass without testing the NATS adapter.
  if (binary === null || !isExecutable(binary)) {
    throw new Error(
      `nats-server not found (${options.binary ?? `looked on PATH and at ${WELL_KNOWN_BINARY}`}). ` +
        'The NATS JetStream tests need a real nats-server >= 2.9: install it (Debian: apt-get install nats-server).',
    );
  }
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  const storeDir = mkdtempSync(join(tmpdir(), 'postloom-nats-'));
  let port = 0;
  let child: ChildProcess | null = null;

  const killChild = (): void => {
    if (child !== null && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  // A test that forgets stop() must not leave a server behind.
  process.on('exit', killChild);

  const launch = async (wantedPort: number): Promise<void> => {
    const started = spawnServer(binary, wantedPort, storeDir);
    child = started.child;
    await waitUntilReady(`nats://127.0.0.1:${wantedPort}`, started, readyTimeoutMs);
  };

  try {
    // The free port is found by binding port 0 and releasing it; another process may grab it
    // in between, so a server that exits before it is ready is retried on a new port.
    for (let tries = 1; ; tries++) {
      port = await findFreePort();
      try {
        await launch(port);
        break;
      } catch (err) {
        killChild();
        if (!(err instanceof ServerExitedError) || tries >= 3) throw err;
      }
    }
  } catch (err) {
    process.removeListener('exit', killChild);
    rmSync(storeDir, { recursive: true, force: true });
    throw err;
  }

  const waitForExit = async (proc: ChildProcess | null, timeoutMs: number): Promise<void> => {
    if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
      }, timeoutMs);
      proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  };

  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    kill: killChild,
    async restart() {
      const previous = child;
      if (previous !== null && previous.exitCode === null && previous.signalCode === null) {
        previous.kill('SIGTERM');
        await waitForExit(previous, 5_000);
      }
      await launch(port);
    },
    async stop() {
      const current = child;
      if (current !== null && current.exitCode === null && current.signalCode === null) {
        current.kill('SIGTERM');
        await waitForExit(current, 5_000);
      }
      process.removeListener('exit', killChild);
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

class ServerExitedError extends Error {}

interface SpawnedServer {
  child: ChildProcess;
  exited: Promise<void>;
  output(): string;
}

function spawnServer(binary: string, port: number, storeDir: string): SpawnedServer {
  const child = spawn(binary, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keepTail = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4_000);
  };
  child.stdout?.on('data', keepTail);
  child.stderr?.on('data', keepTail);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (err) => {
      keepTail(Buffer.from(String(err)));
      resolve();
    });
  });
  return { child, exited, output: () => output };
}

async function waitUntilReady(url: string, server: SpawnedServer, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void server.exited.then(() => {
    exited = true;
  });
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    if (exited) {
      throw new ServerExitedError(`nats-server exited before it was ready:\n${server.output()}`);
    }
    try {
      const nc = await connect({ servers: url, reconnect: false, timeout: 500 });
      try {
        // Accepting connections is not enough: JetStream must answer before streams can be made.
        const jsm = await nc.jetstreamManager({ timeout: 1_000 });
        await jsm.getAccountInfo();
        return;
      } finally {
        await nc.close();
      }
    } catch (err) {
      lastError = err;
      await Promise.race([new Promise((resolve) => setTimeout(resolve, 50)), server.exited]);
    }
  }
  server.child.kill('SIGKILL');
  throw new Error(
    `nats-server at ${url} was not ready within ${timeoutMs} ms (last error: ${String(lastError)}):\n${server.output()}`,
  );
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('could not read back a free port'))));
    });
  });
}
