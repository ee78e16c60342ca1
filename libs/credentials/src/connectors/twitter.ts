import { PlatformError } from '../../../platforms';
import { OAUTH_PLATFORMS, type OAuthPlatform } from '../oauth-platforms';
import { type Connector, getWithToken, lifetimes, stringAt, tokenCredentials } from './connector';

const oauth = OAUTH_PLATFORMS.twitter as OAuthPlatform;

/** X: OAuth 2.0 with PKCE; who the user is from `GET /2/users/me` (docs.x.com/x-api/users/user-lookup-me). */
export const twitterConnector: Connector = {
  oauth,
  async complete(grant, { apiUrl, signal }) {
    const me = await getWithToken(oauth, `${apiUrl}/2/users/me`, grant.access_token, signal);
    const id = stringAt(me, 'data', 'id');
    const username = stringAt(me, 'data', 'username');
    if (!id || !username) throw new PlatformError('transient', 'X did not say who the user is (GET /2/users/me)');
    return { credentials: tokenCredentials(oauth, grant), user: { id, username }, ...lifetimes(grant) };
  },
};
