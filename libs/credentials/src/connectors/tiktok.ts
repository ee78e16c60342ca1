import { PlatformError } from '../../../platforms';
import { OAUTH_PLATFORMS, type OAuthPlatform } from '../oauth-platforms';
import { type Connector, getWithToken, lifetimes, stringAt, tokenCredentials } from './connector';

const oauth = OAUTH_PLATFORMS.tiktok as OAuthPlatform;

/** TikTok: the creator from `GET /v2/user/info/` (developers.tiktok.com/doc/tiktok-api-v2-get-user-info). */
export const tiktokConnector: Connector = {
  oauth,
  async complete(grant, { apiUrl, signal }) {
    const info = await getWithToken(oauth, `${apiUrl}/v2/user/info/?fields=open_id,display_name,username`, grant.access_token, signal);
    const openId = stringAt(info, 'data', 'user', 'open_id') ?? stringAt(grant.extra, 'open_id');
    if (!openId) throw new PlatformError('transient', 'TikTok did not say who the user is (GET /v2/user/info/)');
    const username = stringAt(info, 'data', 'user', 'username') ?? stringAt(info, 'data', 'user', 'display_name') ?? openId;
    return { credentials: { ...tokenCredentials(oauth, grant), open_id: openId }, user: { id: openId, username }, ...lifetimes(grant) };
  },
};
