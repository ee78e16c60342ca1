import { PlatformError } from '../../../platforms';
import { OAUTH_PLATFORMS, type OAuthPlatform } from '../oauth-platforms';
import { type Connector, getWithToken, lifetimes, stringAt, tokenCredentials } from './connector';

const oauth = OAUTH_PLATFORMS.youtube as OAuthPlatform;

/** YouTube: Google OAuth; the channel from `channels.list?mine=true` (developers.google.com/youtube/v3/docs/channels/list). */
export const youtubeConnector: Connector = {
  oauth,
  async complete(grant, { apiUrl, signal }) {
    const channels = await getWithToken(oauth, `${apiUrl}/youtube/v3/channels?part=snippet&mine=true`, grant.access_token, signal);
    const id = stringAt(channels, 'items', 0, 'id');
    if (!id) throw new PlatformError('rejected', 'this Google account has no YouTube channel to publish to');
    const username = stringAt(channels, 'items', 0, 'snippet', 'customUrl') ?? stringAt(channels, 'items', 0, 'snippet', 'title') ?? id;
    return { credentials: tokenCredentials(oauth, grant), user: { id, username }, ...lifetimes(grant) };
  },
};
