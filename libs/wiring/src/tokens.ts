/**
 * Nest injection tokens shared by the feature modules and the composition root
 * (`libs/runtime`). Each token stands for a port; the runtime binds the adapter that the
 * environment chose (embedded SQLite / in-process, or EventStoreDB / MongoDB / NATS).
 */
export const EVENT_STORE = Symbol('EventStore');
export const POST_READ_MODEL = Symbol('PostReadModel');
export const JOB_QUEUE = Symbol('JobQueue');
export const WORKSPACES = Symbol('Workspaces');
export const ACCOUNTS = Symbol('Accounts');
/** The credentials port (`Credentials` of libs/credentials): token health, refresh, connect. */
export const CREDENTIALS = Symbol('Credentials');
/** Connecting accounts with OAuth (`OAuthConnect` of libs/credentials). */
export const OAUTH_CONNECT = Symbol('OAuthConnect');
export const WEBHOOKS = Symbol('Webhooks');
export const IDEMPOTENCY_KEYS = Symbol('IdempotencyKeys');
export const RATE_LIMITER = Symbol('RateLimiter');
/** `() => Date`: the only clock; domain code gets time passed in. */
export const CLOCK = Symbol('Clock');
export const CONFIG = Symbol('Config');
/** What the platforms' adapters would refuse of a post, before any request (`PlatformChecks`). */
export const PLATFORM_CHECKS = Symbol('PlatformChecks');

/** The media library (`MediaLibrary`) and the signer of key-less media links (`MediaUrlSigner`). */
export const MEDIA_LIBRARY = Symbol('MediaLibrary');
export const MEDIA_URLS = Symbol('MediaUrls');

export type Clock = () => Date;
