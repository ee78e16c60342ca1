import { ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../../..');
const REGISTER = join(__dirname, 'register-ts.js');

/** A TypeScript entry of this repository running in a child `node`, its output kept for assertions. */
export class TsChild {
  private output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly process: ChildProcess) {
    const keep = (chunk: Buffer): void => {
      this.output += chunk.toString('utf8');
      if (this.output.length > 200_000) this.output = this.output.slice(-100_000);
    };
    process.stdout?.on('data', keep);
    process.stderr?.on('data', keep);
    this.exited = new Promise((done) => process.once('exit', (code, signal) => done({ code, signal })));
  }

  /** `entry` is relative to the repository root, e.g. `apps/publisher/main.ts`. */
  static start(entry: string, env: Record<string, string>, args: string[] = []): TsChild {
    const child = spawn(process.execPath, ['-r', REGISTER, join(ROOT, entry), ...args], {
      cwd: ROOT,
      // Health endpoints on a free loopback port, so replicas in one test never collide.
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = new TsChild(child);
    // A test that fails before stopping its child must not leave it running.
    const killOnExit = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    globalThis.process.once('exit', killOnExit);
    void started.exited.then(() => globalThis.process.removeListener('exit', killOnExit));
    return started;
  }

  get text(): string {
    return this.output;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Resolves when the output matches; rejects when the child exits first or the time is up. */
  async waitForOutput(pattern: RegExp, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.output)) {
      if (!this.running) throw new Error(`child exited before printing ${pattern}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`child did not print ${pattern} within ${timeoutMs} ms:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.process.kill(signal);
  }

  /** SIGTERM, then SIGKILL if it has not exited in time. */
  async stop(graceMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.running) return this.exited;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
