import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EmbeddedApp, startEmbedded } from '../../apps/embedded/embedded';
import { loadPublisherSettings } from '../../libs/publishing';
import { loadConfig, type Runtime } from '../../libs/runtime';
import { loadSchedulerSettings } from '../../libs/scheduling';

export interface TestResponse<T = any> {
  status: number;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** Parsed JSON, or null when the body is empty or not JSON. */
  body: T;
  text: string;
}

export interface TestRequestOptions {
  /** An object is sent as JSON; a string is sent as is (malformed bodies). */
  body?: unknown;
  headers?: Record<string, string>;
  /** The API key to send; null sends no Authorization header. Default: the bootstrap key. */
  key?: string | null;
}

export interface StartTestAppOptions {
  /** Reuse a data dir (it is then not removed on stop). Default: a fresh temp dir. */
  dataDir?: string;
  /** Extra environment, e.g. `{ RATE_LIMIT_PER_MINUTE: '100000' }`. */
  env?: Record<string, string>;
  /** Default true; false when the test records publish results itself, standing in for publishers. */
  publishing?: boolean;
}

export interface TestApp {
  /** `http://127.0.0.1:<port>`; changes after `restart()`. */
  readonly url: string;
  readonly apiKey: string;
  readonly dataDir: string;
  /** The running process's runtime (stores, registry), for assertions that need to look inside. */
  readonly runtime: Runtime;
  request<T = any>(method: string, path: string, options?: TestRequestOptions): Promise<TestResponse<T>>;
  /** A key for a NEW workspace (tier pro unless a limit is given). */
  createKey(workspaceName: string, options?: { rate_limit_per_minute?: number }): Promise<string>;
  /** Closes and starts again on the same data dir (new port; `url` updated). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The real embedded app, in this process, on 127.0.0.1 and a free port, with a fresh
 * data dir and a random bootstrap key. Logs are silent unless TEST_LOG_LEVEL says otherwise.
 */
export async function startTestApp(options: StartTestAppOptions = {}): Promise<TestApp> {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'postloom-test-'));
  const apiKey = options.env?.POSTLOOM_API_KEY ?? `pl_test_${randomBytes(16).toString('hex')}`;
  const env: Record<string, string> = {
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // The platforms' local test servers listen on 127.0.0.1; tests of the address policy turn this off.
    PLATFORM_ALLOW_PRIVATE_NETWORKS: 'true',
    ...options.env,
    DATA_DIR: dataDir,
    POSTLOOM_API_KEY: apiKey,
    PORT: '0',
    HOST: '127.0.0.1',
  };
  const start = (): Promise<EmbeddedApp> =>
    startEmbedded(loadConfig(env), {
      publisher: loadPublisherSettings(env, { allPlatformsByDefault: true }),
      scheduler: loadSchedulerSettings(env),
      publishing: options.publishing,
    });

  let current: EmbeddedApp;
  try {
    current = await start();
  } catch (error) {
    if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  let stopped = false;

  const request = async <T>(method: string, path: string, requestOptions: TestRequestOptions = {}): Promise<TestResponse<T>> => {
    const headers: Record<string, string> = {};
    const key = requestOptions.key === undefined ? apiKey : requestOptions.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    let body: string | undefined;
    if (requestOptions.body !== undefined) {
      body = typeof requestOptions.body === 'string' ? requestOptions.body : JSON.stringify(requestOptions.body);
      headers['content-type'] = 'application/json';
    }
    Object.assign(headers, requestOptions.headers);
    const response = await fetch(`${current.url}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = null;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
    }
    const responseHeaders: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      responseHeaders[name] = value;
    });
    return { status: response.status, headers: responseHeaders, body: parsed as T, text };
  };

  return {
    get url() {
      return current.url;
    },
    apiKey,
    dataDir,
    get runtime() {
      return current.runtime;
    },
    request,
    async createKey(workspaceName, keyOptions = {}) {
      const workspace = await current.runtime.workspaces.createWorkspace(workspaceName);
      const created = await current.runtime.workspaces.createKey(
        workspace.id,
        keyOptions.rate_limit_per_minute === undefined ? { tier: 'pro' } : { rate_limit_per_minute: keyOptions.rate_limit_per_minute },
      );
      return created.key;
    },
    async restart() {
      await current.close();
      current = await start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await current.close();
      } finally {
        if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
