import { join } from 'node:path';
import {
  type ApiKeyView,
  connectMongoRegistry,
  type KeyTier,
  openSqliteRegistry,
  RegistryInvalid,
  RegistryNotFound,
  type RegistryStorage,
  TIER_RATE_LIMITS,
  Workspaces,
} from '../../libs/registry';

/**
 * Key management: workspaces and API keys, against the same registry the API uses
 * (`MONGO_URL` set: MongoDB, else SQLite at `${DATA_DIR:-./data}/registry.sqlite`).
 * A raw key is printed once, at creation; only its hash is stored.
 */

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env?: NodeJS.ProcessEnv;
}

export const USAGE = `Usage: node dist/apps/cli/main.js <command> [options]

Commands:
  workspace:create <name>                 create a workspace, print its id
  workspace:list                          list workspaces
  key:create <workspace_id> [--name <name>] [--tier free|starter|pro] [--rate-limit <per minute>]
                                          create an API key; the key is printed once
  key:list <workspace_id>                 list a workspace's keys (never the keys themselves)
  key:revoke <key_id>                     revoke a key
  help                                    show this text

Options:
  --json                                  print JSON instead of text

Tiers: free = 60, starter = 300, pro = 1000 requests per minute (default free).
Storage: MONGO_URL (and MONGO_DB) when set, else SQLite at \${DATA_DIR:-./data}/registry.sqlite.
`;

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

class UsageError extends Error {}

interface Parsed {
  command: string;
  positionals: string[];
  flags: Map<string, string>;
  json: boolean;
}

const VALUE_FLAGS = new Set(['--name', '--tier', '--rate-limit']);

function parse(argv: string[]): Parsed {
  const [command = 'help', ...rest] = argv;
  const positionals: string[] = [];
  const flags = new Map<string, string>();
  let json = false;
  for (let i = 0; i < rest.length; i += 1) {
    const arg = rest[i];
    if (arg === '--json') {
      json = true;
    } else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const flag = eq === -1 ? arg : arg.slice(0, eq);
      if (!VALUE_FLAGS.has(flag)) throw new UsageError(`unknown option ${flag}`);
      const value = eq === -1 ? rest[++i] : arg.slice(eq + 1);
      if (value === undefined) throw new UsageError(`${flag} needs a value`);
      if (flags.has(flag)) throw new UsageError(`${flag} given twice`);
      flags.set(flag, value);
    } else {
      positionals.push(arg);
    }
  }
  return { command, positionals, flags, json };
}

function expectArgs(parsed: Parsed, names: string[], allowedFlags: string[] = []): string[] {
  if (parsed.positionals.length !== names.length) {
    throw new UsageError(
      names.length === 0
        ? `${parsed.command} takes no arguments`
        : `${parsed.command} needs ${names.map((n) => `<${n}>`).join(' ')}`,
    );
  }
  for (const flag of parsed.flags.keys()) {
    if (!allowedFlags.includes(flag)) throw new UsageError(`${parsed.command} does not take ${flag}`);
  }
  return parsed.positionals;
}

function keyOptions(flags: Map<string, string>): { name?: string; tier?: KeyTier; rate_limit_per_minute?: number } {
  const tier = flags.get('--tier');
  if (tier !== undefined && !Object.hasOwn(TIER_RATE_LIMITS, tier)) throw new UsageError(`--tier must be free, starter or pro`);
  const limitText = flags.get('--rate-limit');
  let limit: number | undefined;
  if (limitText !== undefined) {
    if (!/^\d+$/.test(limitText) || Number(limitText) < 1) throw new UsageError('--rate-limit must be a positive whole number of requests per minute');
    limit = Number(limitText);
  }
  return { name: flags.get('--name'), tier: tier as KeyTier | undefined, rate_limit_per_minute: limit };
}

async function openStorage(env: NodeJS.ProcessEnv): Promise<RegistryStorage> {
  if (env.MONGO_URL) return connectMongoRegistry(env.MONGO_URL, env.MONGO_DB || undefined);
  return openSqliteRegistry(join(env.DATA_DIR || './data', 'registry.sqlite'));
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')).join('\n') + '\n';
}

function keyStatus(key: ApiKeyView): string {
  return key.revoked_at ? `revoked ${key.revoked_at}` : 'active';
}

/** Runs one command; resolves to the process exit code (0 ok, 1 failed, 2 bad arguments). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const env = io.env ?? process.env;
  const out = (text: string) => io.stdout.write(text);
  let parsed: Parsed;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.stderr.write(`error: ${(error as Error).message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (parsed.command === 'help' || parsed.command === '--help' || parsed.command === '-h') {
    out(USAGE);
    return EXIT_OK;
  }
  const known = ['workspace:create', 'workspace:list', 'key:create', 'key:list', 'key:revoke'];
  if (!known.includes(parsed.command)) {
    io.stderr.write(`error: unknown command ${parsed.command}\n\n${USAGE}`);
    return EXIT_USAGE;
  }

  let storage: RegistryStorage | null = null;
  try {
    // Arguments are checked before the storage is opened, so a typo touches nothing.
    const run = prepare(parsed, out);
    storage = await openStorage(env);
    return await run(new Workspaces(storage));
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`error: ${error.message}\n\n${USAGE}`);
      return EXIT_USAGE;
    }
    if (error instanceof RegistryInvalid) {
      io.stderr.write(`error: ${error.details.map((d) => `${d.field} ${d.message}`).join('; ')}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof RegistryNotFound) {
      io.stderr.write(`error: ${error.message}\n`);
      return EXIT_FAILED;
    }
    io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILED;
  } finally {
    await storage?.close();
  }
}

type Command = (workspaces: Workspaces) => Promise<number>;

function prepare(parsed: Parsed, out: (text: string) => void): Command {
  const json = (value: unknown) => out(`${JSON.stringify(value, null, 2)}\n`);
  switch (parsed.command) {
    case 'workspace:create': {
      const [name] = expectArgs(parsed, ['name']);
      return async (workspaces) => {
        const workspace = await workspaces.createWorkspace(name);
        if (parsed.json) json(workspace);
        else out(`Created workspace ${workspace.id} "${workspace.name}"\n`);
        return EXIT_OK;
      };
    }
    case 'workspace:list': {
      expectArgs(parsed, []);
      return async (workspaces) => {
        const list = await workspaces.listWorkspaces();
        if (parsed.json) json(list);
        else if (list.length === 0) out('No workspaces.\n');
        else out(table([['ID', 'NAME', 'CREATED'], ...list.map((w) => [w.id, w.name, w.created_at])]));
        return EXIT_OK;
      };
    }
    case 'key:create': {
      const [workspaceId] = expectArgs(parsed, ['workspace_id'], ['--name', '--tier', '--rate-limit']);
      const options = keyOptions(parsed.flags);
      return async (workspaces) => {
        const key = await workspaces.createKey(workspaceId, options);
        if (parsed.json) {
          json({ ...key, warning: 'This key is not shown again: store it now.' });
        } else {
          out(
            `Created API key ${key.id} "${key.name}" for workspace ${key.workspace_id} (${key.rate_limit_per_minute} requests/minute).\n\n` +
              `    ${key.key}\n\n` +
              `Store it now: this key is NOT shown again (only its hash is kept).\n`,
          );
        }
        return EXIT_OK;
      };
    }
    case 'key:list': {
      const [workspaceId] = expectArgs(parsed, ['workspace_id']);
      return async (workspaces) => {
        if (!(await workspaces.getWorkspace(workspaceId))) throw new RegistryNotFound('workspace', workspaceId);
        const keys = await workspaces.listKeys(workspaceId);
        if (parsed.json) json(keys);
        else if (keys.length === 0) out(`No keys in workspace ${workspaceId}.\n`);
        else {
          out(
            table([
              ['ID', 'NAME', 'PER MINUTE', 'CREATED', 'STATUS'],
              ...keys.map((k) => [k.id, k.name, String(k.rate_limit_per_minute), k.created_at, keyStatus(k)]),
            ]),
          );
        }
        return EXIT_OK;
      };
    }
    case 'key:revoke': {
      const [keyId] = expectArgs(parsed, ['key_id']);
      return async (workspaces) => {
        const key = await workspaces.getKey(keyId);
        if (!key) throw new RegistryNotFound('api_key', keyId);
        const revoked = await workspaces.revokeKey(keyId);
        if (parsed.json) json({ id: keyId, revoked: true, already_revoked: !revoked });
        else if (!revoked) out(`Key ${keyId} was already revoked.\n`);
        else out(`Revoked key ${keyId}. Running API processes refuse it within 30 s (they cache keys that long).\n`);
        return EXIT_OK;
      };
    }
    default:
      throw new UsageError(`unknown command ${parsed.command}`);
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = EXIT_FAILED;
    },
  );
}
