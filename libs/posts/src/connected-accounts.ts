import type { Platform, PublishTarget } from '../../domain';

/**
 * What the posts feature needs of the registry's `Accounts` (bound to the `ACCOUNTS`
 * token): the account to publish through on each platform. `resolveTargets` refuses
 * named accounts that are not the workspace's or not of the post's platforms (422,
 * naming `accounts[i]`); a platform without any account gets `account_id: null`.
 */
export interface ConnectedAccounts {
  resolveTargets(workspaceId: string, platforms: Platform[], accountIds: string[] | null): Promise<PublishTarget[]>;
}
