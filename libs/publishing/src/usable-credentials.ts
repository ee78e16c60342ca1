import { type PlatformAccount, type PlatformAdapter, PlatformError, type SegmentRequest } from '../../platforms';

/** The credentials port as publishers use it (`Credentials` of `libs/credentials`). */
export interface UsableCredentials {
  /** The account with a credential usable now (refreshed ahead of expiry); null when it is gone. */
  usable(workspaceId: string, accountId: string): Promise<PlatformAccount | null>;
  /** After a 401 for `refused`: a refreshed credential, or null when nothing can refresh it. */
  refreshRefused(workspaceId: string, accountId: string, refused: PlatformAccount): Promise<PlatformAccount | null>;
}

/**
 * The adapter of one job, with the account's credential taken from the credentials port
 * before the first request, and, when the platform answers 401 (`auth`), refreshed once
 * and the request tried once more; a second refusal is final. Adapters keep reading
 * `account.credentials` and need no change.
 */
export function withUsableCredentials(adapter: PlatformAdapter, credentials: UsableCredentials, workspaceId: string, accountId: string): PlatformAdapter {
  let current: PlatformAccount | null = null;
  let refreshed = false;

  const account = async (): Promise<PlatformAccount> => {
    if (current) return current;
    const found = await credentials.usable(workspaceId, accountId);
    if (!found) throw new PlatformError('auth', `the ${adapter.platform} account ${accountId} is no longer connected; connect one and retry`);
    current = found;
    return found;
  };

  const call = async <T>(request: SegmentRequest, send: (request: SegmentRequest) => Promise<T>): Promise<T> => {
    const first = await account();
    try {
      return await send({ ...request, account: first });
    } catch (err) {
      if (!(err instanceof PlatformError) || err.kind !== 'auth' || refreshed) throw err;
      refreshed = true;
      const renewed = await credentials.refreshRefused(workspaceId, accountId, first);
      if (!renewed) throw err;
      current = renewed;
      return send({ ...request, account: renewed });
    }
  };

  const wrapped: PlatformAdapter = {
    platform: adapter.platform,
    rules: adapter.rules,
    publishSegment: (request) => call(request, (r) => adapter.publishSegment(r)),
  };
  if (adapter.check) wrapped.check = (request) => adapter.check!(request);
  if (adapter.findPublished) wrapped.findPublished = (request) => call(request, (r) => adapter.findPublished!(r));
  if (adapter.identify) wrapped.identify = (a, signal) => adapter.identify!(a, signal);
  return wrapped;
}
