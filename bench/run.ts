import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * `npm run bench`: runs every bench module present (api, replay, pipeline, media), prints their
 * figures and writes each to `bench/results/latest/<name>.json` with the machine and the
 * date (`--record`: to the tracked `bench/results/<name>.json`). `BENCH_ONLY=api,replay` runs a subset.
 */

interface BenchModule {
  name: string;
  file: string;
  exportName: string;
}

const MODULES: BenchModule[] = [
  { name: 'api', file: 'api', exportName: 'benchApi' },
  { name: 'replay', file: 'replay', exportName: 'benchReplay' },
  { name: 'pipeline', file: 'pipeline', exportName: 'benchPipeline' },
  { name: 'media', file: 'media', exportName: 'benchMedia' },
];

/** The repository root: the nearest directory above this file holding package.json. */
function repositoryRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

function machine(): Record<string, unknown> {
  const cores = cpus();
  return {
    cpu: cores[0]?.model ?? 'unknown',
    cores: cores.length,
    memory_gib: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    load_average_1m: Math.round(loadavg()[0] * 100) / 100,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
  };
}

function present(module: BenchModule): boolean {
  return ['.js', '.ts'].some((extension) => existsSync(join(__dirname, `${module.file}${extension}`)));
}

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY?.split(',').map((name) => name.trim());
  // Tracked figures change only when asked (`npm run bench -- --record`); an ordinary run
  // writes to the untracked bench/results/latest/, so a clone stays clean after a bench.
  const record = process.argv.includes('--record');
  const resultsDir = record ? join(repositoryRoot(), 'bench', 'results') : join(repositoryRoot(), 'bench', 'results', 'latest');
  mkdirSync(resultsDir, { recursive: true });
  let failed = 0;
  for (const module of MODULES) {
    if (only && !only.includes(module.name)) continue;
    if (!present(module)) {
      console.log(`bench ${module.name}: not present, skipped`);
      continue;
    }
    console.log(`\n=== bench ${module.name} ===`);
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const loaded = require(join(__dirname, module.file)) as Record<string, unknown>;
      const bench = loaded[module.exportName];
      if (typeof bench !== 'function') throw new Error(`${module.file} does not export ${module.exportName}()`);
      const started = new Date();
      const figures = (await (bench as () => Promise<Record<string, unknown>>)()) ?? {};
      const record = { name: module.name, date: started.toISOString(), duration_s: Math.round((Date.now() - started.getTime()) / 100) / 10, machine: machine(), figures };
      const path = join(resultsDir, `${module.name}.json`);
      writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`);
      console.log(`bench ${module.name}: written to ${path}`);
    } catch (error) {
      failed += 1;
      console.error(`bench ${module.name} failed:`, error);
    }
  }
  if (failed > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
