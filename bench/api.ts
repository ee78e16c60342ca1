import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';

/**
 * API throughput and latency: the built embedded app (`dist/apps/embedded/main.js`) in a
 * child process with a fresh data dir, driven by autocannon for create (POST /v1/posts),
 * get by id and list, each at 1, 16 and 64 connections.
 * Targets at 16 connections: create >= 2,000 req/s, get >= 5,000 req/s, p99 < 50 ms.
 */

const CONNECTIONS = [1, 16, 64];
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const SEEDED_POSTS = 200;

interface Figures {
  connections: number;
  requests_per_s: number;
  latency_p50_ms: number;
  latency_p99_ms: number;
  latency_max_ms: number;
  requests: number;
  non_2xx: number;
  errors: number;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function findEntry(relative: string): string {
  for (const candidate of [resolve(__dirname, '..', relative), resolve(process.cwd(), 'dist', relative)]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`dist/${relative} not found: run \`npm run build\` first`);
}

export async function startServer(dataDir: string, apiKey: string, entry = 'apps/embedded/main.js'): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [findEntry(entry)], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      POSTLOOM_API_KEY: apiKey,
      RATE_LIMIT_PER_MINUTE: '1000000',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error('the app did not start within 30 s')), 30_000);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Postloom listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the app exited with ${code} before listening:\n${output}`));
    });
  });
  // Keep draining stdout so the child never blocks on a full pipe.
  child.stdout?.resume();
  return { child, url };
}

export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function run(name: string, options: autocannon.Options): Promise<Figures> {
  const result = await autocannon({ ...options, duration: DURATION_S });
  const figures: Figures = {
    connections: options.connections ?? 1,
    requests_per_s: Math.round(result.requests.average),
    latency_p50_ms: result.latency.p50,
    latency_p99_ms: result.latency.p99,
    latency_max_ms: result.latency.max,
    requests: result.requests.total,
    non_2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
  if (figures.non_2xx > 0 || figures.errors > 0) {
    console.warn(`  ${name} at ${figures.connections} connections: ${figures.non_2xx} non-2xx answers, ${figures.errors} errors/timeouts`);
  }
  return figures;
}

function table(rows: { scenario: string; figures: Figures }[]): string {
  const header = ['scenario', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors'];
  const lines = rows.map(({ scenario, figures: f }) => [
    scenario,
    String(f.connections),
    String(f.requests_per_s),
    String(f.latency_p50_ms),
    String(f.latency_p99_ms),
    String(f.latency_max_ms),
    String(f.non_2xx),
    String(f.errors),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [format(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(format)].join('\n');
}

export async function benchApi(): Promise<Record<string, unknown>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'postloom-bench-api-'));
  const apiKey = `pl_bench_${randomBytes(16).toString('hex')}`;
  const { child, url } = await startServer(dataDir, apiKey);
  try {
    const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
    const createBody = JSON.stringify({
      content: 'Benchmarking Postloom: one post to many platforms at once. https://example.com/launch',
      platforms: ['twitter', 'bluesky', 'mastodon'],
      tags: ['bench'],
    });

    const ids: string[] = [];
    for (let i = 0; i < SEEDED_POSTS; i++) {
      const response = await fetch(`${url}/v1/posts`, { method: 'POST', headers, body: createBody });
      if (response.status !== 201) throw new Error(`seeding a post answered ${response.status}: ${await response.text()}`);
      ids.push(((await response.json()) as { id: string }).id);
    }
    let next = 0;
    const scenarios: { name: string; options: Omit<autocannon.Options, 'url'> }[] = [
      { name: 'create POST /v1/posts', options: { method: 'POST', headers, body: createBody } },
      {
        name: 'get GET /v1/posts/:id',
        options: {
          headers,
          requests: [
            {
              method: 'GET',
              setupRequest: (request) => ({ ...request, path: `/v1/posts/${ids[next++ % ids.length]}` }),
            },
          ],
        },
      },
      { name: 'list GET /v1/posts?limit=10', options: { headers, requests: [{ method: 'GET', path: '/v1/posts?limit=10' }] } },
    ];

    const rows: { scenario: string; figures: Figures }[] = [];
    const results: Record<string, Record<string, Figures>> = {};
    for (const scenario of scenarios) {
      results[scenario.name] = {};
      for (const connections of CONNECTIONS) {
        // A short warm-up so the JIT and the SQLite page cache are not part of the figures.
        await autocannon({ url: `${url}/v1/posts`, ...scenario.options, connections, duration: 1 });
        const figures = await run(scenario.name, { url: `${url}/v1/posts`, ...scenario.options, connections });
        results[scenario.name][`c${connections}`] = figures;
        rows.push({ scenario: scenario.name, figures });
      }
    }
    console.log(`\nAPI benchmark (${DURATION_S} s per run, embedded mode, SQLite, 127.0.0.1)\n${table(rows)}`);

    const at16 = (name: string) => results[name].c16;
    const targets = {
      create_c16_rps_ge_2000: at16('create POST /v1/posts').requests_per_s >= 2000,
      get_c16_rps_ge_5000: at16('get GET /v1/posts/:id').requests_per_s >= 5000,
      p99_c16_lt_50ms: Object.keys(results).every((name) => at16(name).latency_p99_ms < 50),
    };
    console.log(`targets at 16 connections: ${JSON.stringify(targets)}`);
    await stopServer(child);
    const nestBaseline = await benchNestBaseline(dataDir);
    return { duration_s: DURATION_S, seeded_posts: SEEDED_POSTS, results, targets, nest_express_baseline: nestBaseline };
  } finally {
    await stopServer(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** GET on a bare Nest + Express app (bench/nest-baseline.ts) at 16 connections: the stack's ceiling here. */
async function benchNestBaseline(dataDir: string): Promise<Figures> {
  const { child, url } = await startServer(dataDir, 'unused', 'bench/nest-baseline.js');
  try {
    await autocannon({ url: `${url}/v1/posts/post_1`, connections: 16, duration: 1 });
    const figures = await run('nest baseline', { url: `${url}/v1/posts/post_1`, connections: 16 });
    console.log(
      `bare Nest on Express, fixed JSON for GET /v1/posts/:id at 16 connections: ${figures.requests_per_s} req/s, p50 ${figures.latency_p50_ms} ms, p99 ${figures.latency_p99_ms} ms (the framework's ceiling on this machine)`,
    );
    return figures;
  } finally {
    await stopServer(child);
  }
}

if (require.main === module) {
  benchApi().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
