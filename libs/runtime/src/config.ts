import { resolve } from 'node:path';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Everything the process reads from its environment, validated once at start.
 * Adapters are chosen by which server URLs are set: none set is the embedded mode
 * (SQLite files under `dataDir`, in-process messaging).
 */
export interface RuntimeConfig {
  port: number;
  host: string;
  /** Absolute path of the data directory (SQLite files, generated keys). */
  dataDir: string;
  /** `POSTLOOM_API_KEY`: bootstrapped into workspace `default`; null lets the embedded mode generate one. */
  apiKey: string | null;
  /** `POSTLOOM_ENCRYPTION_KEY` (base64 or hex, 32 bytes); null lets the embedded mode generate one. */
  encryptionKey: string | null;
  eventStoreUrl: string | null;
  mongoUrl: string | null;
  natsUrl: string | null;
  logLevel: LogLevel;
  /** Limit of the bootstrap key, requests per minute. */
  rateLimitPerMinute: number;
  /** Limit per client IP for requests without a valid key. */
  rateLimitAnonymousPerMinute: number;
  /** How long a write waits for the read model to show it before answering. */
  readYourWritesTimeoutMs: number;
  /** Let media URLs point at loopback/private addresses (local test servers). */
  mediaAllowPrivateNetworks: boolean;
  /** Let webhook receivers be on loopback/private addresses (same-network services, tests). */
  webhookAllowPrivateNetworks: boolean;
  /** Let platform API and OAuth calls (an account's `base_url`) reach loopback/private addresses (self-hosted instances on the operator's network, tests). */
  platformAllowPrivateNetworks: boolean;
  /** How long to keep trying to reach a configured server at start before giving up. */
  connectTimeoutMs: number;
  /** `POSTLOOM_PUBLIC_URL`: where platforms reach this API (OAuth callbacks, signed media links); null: the address it listens on. */
  publicUrl: string | null;
  /** `MEDIA_MAX_IMAGE_BYTES`, `MEDIA_MAX_VIDEO_BYTES`: size caps per kind of media item. */
  mediaMaxImageBytes: number;
  mediaMaxVideoBytes: number;
  /** `MEDIA_QUOTA_BYTES`: bytes all media items of one workspace may take. */
  mediaQuotaBytes: number;
  /** A client must finish sending a request's headers within this (slowloris). */
  httpHeadersTimeoutMs: number;
  /** ... and its body within this, except on resumable-upload routes. */
  httpRequestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  httpKeepAliveTimeoutMs: number;
  /** On resumable-upload routes: the longest pause between two chunks of a body. */
  uploadIdleTimeoutMs: number;
  /** The OAuth apps' variables (`<P>_CLIENT_ID`, `<P>_CLIENT_SECRET`, `<P>_AUTHORIZE_URL`, `<P>_TOKEN_URL`). */
  oauthEnv: Record<string, string>;
  /** How long one process may hold an account's token refresh before another may take over. */
  tokenRefreshLeaseMs: number;
}

const OAUTH_VARIABLE = /^(?:TWITTER|LINKEDIN|THREADS|INSTAGRAM|FACEBOOK|TIKTOK|YOUTUBE|SLACK|DISCORD|MASTODON)_(?:CLIENT_ID|CLIENT_SECRET|AUTHORIZE_URL|TOKEN_URL)$/;

/** The environment holds a value the process cannot start with. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const problems: string[] = [];
  const text = (name: string): string | null => {
    const value = env[name]?.trim();
    return value ? value : null;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = text(name);
    if (raw === null) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return Number(raw);
  };
  const flag = (name: string): boolean => {
    const raw = text(name)?.toLowerCase();
    if (raw === undefined || raw === null) return false;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    problems.push(`${name} must be true or false, got "${raw}"`);
    return false;
  };
  const url = (name: string, schemes: string[]): string | null => {
    const raw = text(name);
    if (raw === null) return null;
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]?.toLowerCase();
    if (!scheme || !schemes.includes(scheme)) {
      problems.push(`${name} must be a URL starting with ${schemes.map((s) => `${s}://`).join(' or ')}, got "${redactUrl(raw)}"`);
      return null;
    }
    return raw;
  };

  const logLevel = (text('LOG_LEVEL')?.toLowerCase() ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);

  const apiKey = text('POSTLOOM_API_KEY');
  if (apiKey !== null && (apiKey.length < 16 || /\s/.test(apiKey))) {
    problems.push('POSTLOOM_API_KEY must be at least 16 characters without spaces');
  }

  const config: RuntimeConfig = {
    port: integer('PORT', 3000, 0, 65535),
    host: text('HOST') ?? '0.0.0.0',
    dataDir: resolve(text('DATA_DIR') ?? './data'),
    apiKey,
    encryptionKey: text('POSTLOOM_ENCRYPTION_KEY'),
    eventStoreUrl: url('EVENTSTORE_URL', ['esdb', 'esdb+discover']),
    mongoUrl: url('MONGO_URL', ['mongodb', 'mongodb+srv']),
    natsUrl: url('NATS_URL', ['nats', 'tls', 'ws', 'wss']),
    logLevel,
    rateLimitPerMinute: integer('RATE_LIMIT_PER_MINUTE', 1000, 1, 1_000_000),
    rateLimitAnonymousPerMinute: integer('RATE_LIMIT_ANONYMOUS_PER_MINUTE', 600, 1, 1_000_000),
    readYourWritesTimeoutMs: integer('READ_YOUR_WRITES_TIMEOUT_MS', 5000, 0, 600_000),
    mediaAllowPrivateNetworks: flag('MEDIA_ALLOW_PRIVATE_NETWORKS'),
    webhookAllowPrivateNetworks: flag('WEBHOOK_ALLOW_PRIVATE_NETWORKS'),
    platformAllowPrivateNetworks: flag('PLATFORM_ALLOW_PRIVATE_NETWORKS'),
    connectTimeoutMs: integer('CONNECT_TIMEOUT_MS', 30_000, 0, 600_000),
    publicUrl: url('POSTLOOM_PUBLIC_URL', ['http', 'https'])?.replace(/\/+$/, '') ?? null,
    mediaMaxImageBytes: integer('MEDIA_MAX_IMAGE_BYTES', 20_000_000, 1, 1e12),
    mediaMaxVideoBytes: integer('MEDIA_MAX_VIDEO_BYTES', 1_073_741_824, 1, 1e13),
    mediaQuotaBytes: integer('MEDIA_QUOTA_BYTES', 10_737_418_240, 0, 1e15),
    httpHeadersTimeoutMs: integer('HTTP_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000),
    httpRequestTimeoutMs: integer('HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000),
    httpKeepAliveTimeoutMs: integer('HTTP_KEEP_ALIVE_TIMEOUT_MS', 5_000, 100, 600_000),
    uploadIdleTimeoutMs: integer('UPLOAD_IDLE_TIMEOUT_MS', 60_000, 100, 3_600_000),
    tokenRefreshLeaseMs: integer('TOKEN_REFRESH_LEASE_MS', 30_000, 1_000, 600_000),
    oauthEnv: Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => OAUTH_VARIABLE.test(entry[0]) && typeof entry[1] === 'string' && entry[1].trim() !== '')),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** A URL fit for logs: user and password replaced. */
export function redactUrl(raw: string): string {
  return raw.replace(/\/\/[^/@]*@/, '//***@');
}
