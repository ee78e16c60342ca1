import type { Platform } from '../../domain';

/**
 * Each platform's OAuth as data: where to send the person, where to trade codes and
 * refresh tokens, how the client proves itself, what to ask for, and which credential
 * field the adapter reads the usable token from. Sources: shared/OAUTH.md (cited per
 * platform below); `<P>_AUTHORIZE_URL` / `<P>_TOKEN_URL` replace the endpoints.
 */

export type Renewal =
  /** `grant_type=refresh_token` at the token URL (RFC 6749 §6). */
  | { kind: 'refresh_token' }
  /** Meta long-lived tokens renewed with themselves: `GET {api}/refresh_access_token?grant_type=...`. */
  | { kind: 'meta_refresh'; grantType: 'th_refresh_token' | 'ig_refresh_token' }
  /** Facebook user token re-exchanged (`grant_type=fb_exchange_token`) before its 60 days end. */
  | { kind: 'facebook_exchange' }
  /** Nothing renews the token (Mastodon: tokens do not expire; Discord bot/webhook). */
  | { kind: 'none' };

export interface OAuthPlatform {
  platform: Platform;
  /** Prefix of the environment variables: `<env>_CLIENT_ID`, `<env>_CLIENT_SECRET`, ... */
  env: string;
  authorizeUrl: string;
  tokenUrl: string;
  /** Default API host (Meta's renewal and identity calls); an account's `base_url` replaces it. */
  apiUrl: string;
  scopes: string[];
  scopeSeparator: string;
  pkce: boolean;
  /** How the client id is named in requests (TikTok: `client_key`). */
  clientIdParam: string;
  /** `basic`: HTTP Basic with id and secret; `body`: both as form fields. */
  clientAuth: 'basic' | 'body';
  extraAuthorizeParams: Record<string, string>;
  /** The credential field the adapter reads the access token from. */
  tokenField: string;
  renewal: Renewal;
}

const META_GRAPH_VERSION = 'v21.0';

export const OAUTH_PLATFORMS: Partial<Record<Platform, OAuthPlatform>> = {
  // docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code (OAUTH.md S1, S2)
  twitter: {
    platform: 'twitter',
    env: 'TWITTER',
    authorizeUrl: 'https://x.com/i/oauth2/authorize',
    tokenUrl: 'https://api.x.com/2/oauth2/token',
    apiUrl: 'https://api.x.com',
    scopes: ['tweet.read', 'tweet.write', 'users.read', 'media.write', 'offline.access'],
    scopeSeparator: ' ',
    pkce: true,
    clientIdParam: 'client_id',
    clientAuth: 'basic',
    extraAuthorizeParams: {},
    tokenField: 'access_token',
    renewal: { kind: 'refresh_token' },
  },
  // developers.google.com/identity/protocols/oauth2/web-server (OAUTH.md S33, S35)
  youtube: {
    platform: 'youtube',
    env: 'YOUTUBE',
    authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenUrl: 'https://oauth2.googleapis.com/token',
    apiUrl: 'https://www.googleapis.com',
    // Threads become comments, which need youtube.force-ssl beside upload.
    scopes: ['https://www.googleapis.com/auth/youtube.upload', 'https://www.googleapis.com/auth/youtube.force-ssl'],
    scopeSeparator: ' ',
    pkce: true,
    clientIdParam: 'client_id',
    clientAuth: 'body',
    // Without prompt=consent Google returns no refresh token on a second connect.
    extraAuthorizeParams: { access_type: 'offline', prompt: 'consent', include_granted_scopes: 'true' },
    tokenField: 'access_token',
    renewal: { kind: 'refresh_token' },
  },
  // learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow (OAUTH.md S15, S16)
  linkedin: {
    platform: 'linkedin',
    env: 'LINKEDIN',
    authorizeUrl: 'https://www.linkedin.com/oauth/v2/authorization',
    tokenUrl: 'https://www.linkedin.com/oauth/v2/accessToken',
    apiUrl: 'https://api.linkedin.com',
    scopes: ['openid', 'profile', 'w_member_social'],
    scopeSeparator: ' ',
    pkce: false,
    clientIdParam: 'client_id',
    clientAuth: 'body',
    extraAuthorizeParams: {},
    tokenField: 'access_token',
    renewal: { kind: 'refresh_token' },
  },
  // developers.tiktok.com/doc/oauth-user-access-token-management (OAUTH.md S29, S30)
  tiktok: {
    platform: 'tiktok',
    env: 'TIKTOK',
    authorizeUrl: 'https://www.tiktok.com/v2/auth/authorize/',
    tokenUrl: 'https://open.tiktokapis.com/v2/oauth/token/',
    apiUrl: 'https://open.tiktokapis.com',
    // video.list lets the publisher look for a post whose outcome it could not know.
    scopes: ['user.info.basic', 'video.publish', 'video.upload', 'video.list'],
    scopeSeparator: ',',
    // TikTok takes PKCE for desktop and mobile apps only (S29).
    pkce: false,
    clientIdParam: 'client_key',
    clientAuth: 'body',
    extraAuthorizeParams: {},
    tokenField: 'access_token',
    renewal: { kind: 'refresh_token' },
  },
  // developers.facebook.com/docs/threads/get-started/long-lived-tokens (OAUTH.md S19)
  threads: {
    platform: 'threads',
    env: 'THREADS',
    authorizeUrl: 'https://threads.net/oauth/authorize',
    tokenUrl: 'https://graph.threads.net/oauth/access_token',
    apiUrl: 'https://graph.threads.net',
    scopes: ['threads_basic', 'threads_content_publish'],
    scopeSeparator: ',',
    pkce: false,
    clientIdParam: 'client_id',
    clientAuth: 'body',
    extraAuthorizeParams: {},
    tokenField: 'access_token',
    renewal: { kind: 'meta_refresh', grantType: 'th_refresh_token' },
  },
  // developers.facebook.com/documentation/instagram-platform/instagram-api-with-instagram-login/business-login (OAUTH.md S21-S23)
  instagram: {
    platform: 'instagram',
    env: 'INSTAGRAM',
    authorizeUrl: 'https://www.instagram.com/oauth/authorize',
    tokenUrl: 'https://api.instagram.com/oauth/access_token',
    apiUrl: 'https://graph.instagram.com',
    scopes: ['instagram_business_basic', 'instagram_business_content_publish'],
    scopeSeparator: ',',
    pkce: false,
    clientIdParam: 'client_id',
    clientAuth: 'body',
    extraAuthorizeParams: {},
    tokenField: 'access_token',
    renewal: { kind: 'meta_refresh', grantType: 'ig_refresh_token' },
  },
  // developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived (OAUTH.md S24-S27)
  facebook: {
    platform: 'facebook',
    env: 'FACEBOOK',
    authorizeUrl: `https://www.facebook.com/${META_GRAPH_VERSION}/dialog/oauth`,
    tokenUrl: `https://graph.facebook.com/${META_GRAPH_VERSION}/oauth/access_token`,
    apiUrl: 'https://graph.facebook.com',
    scopes: ['pages_show_list', 'pages_manage_posts', 'pages_read_engagement'],
    scopeSeparator: ',',
    pkce: false,
    clientIdParam: 'client_id',
    clientAuth: 'body',
    extraAuthorizeParams: {},
    // A Page token got from a long-lived user token does not expire; the user token is renewed.
    tokenField: 'page_access_token',
    renewal: { kind: 'facebook_exchange' },
  },
  // docs.slack.dev/authentication/installing-with-oauth, .../using-token-rotation (OAUTH.md S39-S41)
  slack: {
    platform: 'slack',
    env: 'SLACK',
    authorizeUrl: 'https://slack.com/oauth/v2/authorize',
    tokenUrl: 'https://slack.com/api/oauth.v2.access',
    apiUrl: 'https://slack.com',
    scopes: ['chat:write', 'chat:write.public', 'files:write', 'channels:read'],
    scopeSeparator: ',',
    pkce: false,
    clientIdParam: 'client_id',
    clientAuth: 'body',
    extraAuthorizeParams: {},
    tokenField: 'bot_token',
    renewal: { kind: 'refresh_token' },
  },
  // discord.com/developers/docs/topics/oauth2 (OAUTH.md S37): a webhook URL does not expire.
  discord: {
    platform: 'discord',
    env: 'DISCORD',
    authorizeUrl: 'https://discord.com/oauth2/authorize',
    tokenUrl: 'https://discord.com/api/oauth2/token',
    apiUrl: 'https://discord.com',
    scopes: ['webhook.incoming'],
    scopeSeparator: ' ',
    pkce: false,
    clientIdParam: 'client_id',
    clientAuth: 'body',
    extraAuthorizeParams: {},
    tokenField: 'webhook_url',
    renewal: { kind: 'none' },
  },
  // docs.joinmastodon.org/methods/oauth (OAUTH.md S11-S14): tokens do not expire, no refresh.
  mastodon: {
    platform: 'mastodon',
    env: 'MASTODON',
    authorizeUrl: '/oauth/authorize',
    tokenUrl: '/oauth/token',
    apiUrl: 'https://mastodon.social',
    scopes: ['read:accounts', 'write:statuses', 'write:media'],
    scopeSeparator: ' ',
    pkce: true,
    clientIdParam: 'client_id',
    clientAuth: 'body',
    extraAuthorizeParams: {},
    tokenField: 'access_token',
    renewal: { kind: 'none' },
  },
};

/** The operator's developer app for a platform, from the environment. */
export interface OAuthClient {
  clientId: string;
  clientSecret: string;
  authorizeUrl: string;
  tokenUrl: string;
}

export type Environment = Record<string, string | undefined>;

/** The client of `platform` from `<P>_CLIENT_ID` etc.; `missing` names the variables that are not set. */
export function oauthClientOf(platform: OAuthPlatform, env: Environment): { client: OAuthClient | null; missing: string[] } {
  const id = env[`${platform.env}_CLIENT_ID`]?.trim();
  const secret = env[`${platform.env}_CLIENT_SECRET`]?.trim();
  const missing = [!id ? `${platform.env}_CLIENT_ID` : null, !secret ? `${platform.env}_CLIENT_SECRET` : null].filter((v): v is string => v !== null);
  if (!id || !secret) return { client: null, missing };
  return {
    client: {
      clientId: id,
      clientSecret: secret,
      authorizeUrl: env[`${platform.env}_AUTHORIZE_URL`]?.trim() || platform.authorizeUrl,
      tokenUrl: env[`${platform.env}_TOKEN_URL`]?.trim() || platform.tokenUrl,
    },
    missing: [],
  };
}
