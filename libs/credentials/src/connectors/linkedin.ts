import { PlatformError } from '../../../platforms';
import { OAUTH_PLATFORMS, type OAuthPlatform } from '../oauth-platforms';
import { type Connector, getWithToken, lifetimes, stringAt, tokenCredentials } from './connector';

const oauth = OAUTH_PLATFORMS.linkedin as OAuthPlatform;

/**
 * LinkedIn: the member from OpenID Connect's `GET /v2/userinfo`
 * (learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2);
 * posts are authored as `urn:li:person:<sub>`.
 */
export const linkedinConnector: Connector = {
  oauth,
  async complete(grant, { apiUrl, signal }) {
    const me = await getWithToken(oauth, `${apiUrl}/v2/userinfo`, grant.access_token, signal);
    const sub = stringAt(me, 'sub');
    if (!sub) throw new PlatformError('transient', 'LinkedIn did not say who the member is (GET /v2/userinfo)');
    const credentials = { ...tokenCredentials(oauth, grant), author_urn: `urn:li:person:${sub}` };
    return { credentials, user: { id: sub, username: stringAt(me, 'name') ?? sub }, ...lifetimes(grant) };
  },
};
