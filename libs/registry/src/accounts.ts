import { isPlatform, PLATFORMS, type Platform, type PublishTarget } from '../../domain';
import type { PlatformAccount } from '../../platforms';
import type { CredentialCipher } from './cipher';
import { invalidIf, RegistryInvalid, type RegistryProblem } from './errors';
import { newId } from './ids';
import { httpUrl } from './urls';
import type { AccountRecord, RegistryStorage } from './storage';

/** Credential fields each platform needs (CONTRACT.md "Accounts"); other string fields are kept too. */
export const REQUIRED_CREDENTIALS: Record<Platform, string[]> = {
  bluesky: ['identifier', 'app_password'],
  mastodon: ['access_token'],
  twitter: ['access_token'],
  linkedin: ['access_token', 'author_urn'],
  threads: ['access_token', 'user_id'],
  instagram: ['access_token', 'ig_user_id'],
  facebook: ['page_access_token', 'page_id'],
  tiktok: ['access_token'],
  youtube: ['access_token'],
  discord: ['webhook_url'],
  slack: ['bot_token', 'channel'],
  telegram: ['bot_token', 'chat_id'],
};

/**
 * Other complete sets of credentials a platform takes instead of `REQUIRED_CREDENTIALS`:
 * a Discord bot (`bot_token` + `channel_id`) replies and opens threads, a webhook cannot.
 */
export const ALTERNATIVE_CREDENTIALS: Partial<Record<Platform, string[][]>> = {
  discord: [['bot_token', 'channel_id']],
};

/** Platforms whose account must say which host to talk to. */
const BASE_URL_REQUIRED: ReadonlySet<Platform> = new Set<Platform>(['mastodon']);
/** Credential fields that are themselves endpoints to call. */
const URL_CREDENTIALS: ReadonlySet<string> = new Set(['webhook_url']);

const MAX_NAME_LENGTH = 100;
const MAX_CREDENTIAL_FIELDS = 20;
const MAX_CREDENTIAL_LENGTH = 8192;
const CREDENTIAL_FIELD = /^[A-Za-z0-9_.-]{1,64}$/;

/** A connected account as shown: credentials are never part of a view. */
export interface AccountView {
  id: string;
  platform: Platform;
  name: string;
  base_url: string | null;
  created_at: string;
}

export interface ConnectAccountInput {
  platform: Platform;
  name: string;
  credentials: Record<string, string>;
  base_url?: string | null;
}

export class Accounts {
  private readonly now: () => number;

  constructor(
    private readonly storage: RegistryStorage,
    private readonly cipher: CredentialCipher,
    options: { now?: () => number } = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Validates and stores an account, its credentials sealed. Refuses with
   * `RegistryInvalid` naming each bad field (`credentials.app_password`, `base_url`, ...).
   */
  async connect(workspaceId: string, input: ConnectAccountInput): Promise<AccountView> {
    const { platform, name, credentials, base_url } = validConnectInput(input);
    const id = newId('acc');
    const record: AccountRecord = {
      id,
      workspace_id: workspaceId,
      platform,
      name,
      base_url,
      sealed_credentials: this.cipher.encrypt(credentials, sealContext(workspaceId, id)),
      created_at: new Date(this.now()).toISOString(),
    };
    await this.storage.insertAccount(record);
    return view(record);
  }

  /** Oldest first. */
  async list(workspaceId: string): Promise<AccountView[]> {
    return (await this.storage.listAccounts(workspaceId)).map(view);
  }

  /** Null when unknown or of another workspace. */
  async get(workspaceId: string, accountId: string): Promise<AccountView | null> {
    const record = await this.storage.getAccount(workspaceId, accountId);
    return record ? view(record) : null;
  }

  async remove(workspaceId: string, accountId: string): Promise<boolean> {
    return this.storage.deleteAccount(workspaceId, accountId);
  }

  /**
   * One target per platform: the account named in `accountIds` for that platform, else
   * the workspace's oldest account of that platform, else `account_id: null`. A named
   * account that is not the workspace's, is of a platform the post does not publish to,
   * or shares its platform with another named account is refused (`accounts[i]`).
   */
  async resolveTargets(workspaceId: string, platforms: Platform[], accountIds: string[] | null): Promise<PublishTarget[]> {
    const accounts = await this.storage.listAccounts(workspaceId);
    const byId = new Map(accounts.map((a) => [a.id, a]));
    const chosen = new Map<Platform, string>();
    const problems: RegistryProblem[] = [];
    const wanted = new Set(platforms);
    [...new Set(accountIds ?? [])].forEach((accountId) => {
      const field = `accounts[${(accountIds ?? []).indexOf(accountId)}]`;
      const account = byId.get(accountId);
      if (!account) {
        problems.push({ field, message: `no connected account ${accountId} in this workspace` });
      } else if (!wanted.has(account.platform)) {
        problems.push({ field, message: `account ${accountId} is a ${account.platform} account, but the post does not publish to ${account.platform}` });
      } else if (chosen.has(account.platform)) {
        problems.push({ field, message: `account ${accountId} and ${chosen.get(account.platform)} are both ${account.platform} accounts; name one per platform` });
      } else {
        chosen.set(account.platform, account.id);
      }
    });
    invalidIf(problems);
    return [...wanted].map((platform) => ({
      platform,
      account_id: chosen.get(platform) ?? accounts.find((a) => a.platform === platform)?.id ?? null,
    }));
  }

  /** The account with its credentials decrypted, for publishers only; never put it in a response or a log. */
  async credentialsOf(workspaceId: string, accountId: string): Promise<PlatformAccount | null> {
    const record = await this.storage.getAccount(workspaceId, accountId);
    if (!record) return null;
    const credentials = this.cipher.decrypt(record.sealed_credentials, sealContext(record.workspace_id, record.id)) as Record<string, string>;
    const account: PlatformAccount = { id: record.id, platform: record.platform, name: record.name, credentials };
    if (record.base_url !== null) account.base_url = record.base_url;
    return account;
  }
}

/** Seals `credentials` for an account, as `credentialsOf` opens them. */
export function sealAccountCredentials(cipher: CredentialCipher, workspaceId: string, accountId: string, credentials: Record<string, string>): string {
  return cipher.encrypt(credentials, sealContext(workspaceId, accountId));
}

function sealContext(workspaceId: string, accountId: string): string {
  return `account:${workspaceId}:${accountId}`;
}

function view(record: AccountRecord): AccountView {
  return { id: record.id, platform: record.platform, name: record.name, base_url: record.base_url, created_at: record.created_at };
}

function validConnectInput(input: ConnectAccountInput): { platform: Platform; name: string; credentials: Record<string, string>; base_url: string | null } {
  const body = (typeof input === 'object' && input !== null ? input : {}) as Partial<Record<keyof ConnectAccountInput, unknown>>;
  const problems: RegistryProblem[] = [];

  const platform = isPlatform(body.platform) ? body.platform : null;
  if (!platform) problems.push({ field: 'platform', message: `must be one of ${PLATFORMS.join(', ')}` });

  const name = typeof body.name === 'string' ? body.name.trim() : '';
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) problems.push({ field: 'name', message: `must be 1 to ${MAX_NAME_LENGTH} characters` });

  let base_url: string | null = null;
  if (body.base_url !== undefined && body.base_url !== null) {
    // Without a trailing slash, so adapters can append API paths to it.
    base_url = httpUrl(body.base_url)?.replace(/\/+$/, '') ?? null;
    if (base_url === null) problems.push({ field: 'base_url', message: 'must be an http or https URL' });
  } else if (platform && BASE_URL_REQUIRED.has(platform)) {
    problems.push({ field: 'base_url', message: `is required for ${platform} (the instance URL, e.g. https://mastodon.social)` });
  }

  const credentials: Record<string, string> = {};
  const given = body.credentials;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    problems.push({ field: 'credentials', message: 'must be an object of strings' });
  } else {
    const entries = Object.entries(given as Record<string, unknown>);
    if (entries.length > MAX_CREDENTIAL_FIELDS) problems.push({ field: 'credentials', message: `must have at most ${MAX_CREDENTIAL_FIELDS} fields` });
    for (const [field, value] of entries) {
      if (!CREDENTIAL_FIELD.test(field)) problems.push({ field: `credentials.${field.slice(0, 64)}`, message: 'is not a valid field name (letters, digits, _ . -)' });
      else if (typeof value !== 'string') problems.push({ field: `credentials.${field}`, message: 'must be a string' });
      else if (value.length > MAX_CREDENTIAL_LENGTH) problems.push({ field: `credentials.${field}`, message: `must be at most ${MAX_CREDENTIAL_LENGTH} characters` });
      else credentials[field] = value;
    }
    const present = (field: string): boolean => {
      const value = (given as Record<string, unknown>)[field];
      return typeof value === 'string' && value.trim() !== '';
    };
    const alternatives = platform ? (ALTERNATIVE_CREDENTIALS[platform] ?? []) : [];
    const alternativeGiven = alternatives.some((set) => set.every(present));
    const otherwise = alternatives.map((set) => ` (or ${set.join(' and ')})`).join('');
    for (const field of platform && !alternativeGiven ? REQUIRED_CREDENTIALS[platform] : []) {
      const value = (given as Record<string, unknown>)[field];
      if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
        problems.push({ field: `credentials.${field}`, message: `is required for ${platform}${otherwise}` });
      } else if (URL_CREDENTIALS.has(field) && typeof value === 'string' && httpUrl(value) === null) {
        problems.push({ field: `credentials.${field}`, message: 'must be an http or https URL' });
      }
    }
  }

  if (problems.length > 0 || !platform) throw new RegistryInvalid(problems);
  return { platform, name, credentials, base_url };
}
