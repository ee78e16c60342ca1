import * as dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, fetch as undiciFetch, type Dispatcher } from 'undici';
import { isPrivateAddress } from './address';

/** A call a workspace asked for would reach an address the operator has not allowed. */
export class OutboundRefused extends Error {
  constructor(
    readonly address: string,
    /** The setting that would allow it, named in the message so an operator knows what to change. */
    readonly flag: string,
    message = `${address} is a private network address; Postloom does not call it unless ${flag}=true`,
  ) {
    super(message);
    this.name = 'OutboundRefused';
  }
}

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to every address it has (the system resolver by default). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface OutboundPolicyOptions {
  /** Let calls reach loopback, private, link-local and other non-public addresses. */
  allowPrivateNetworks: boolean;
  /** The environment variable that sets `allowPrivateNetworks`, for messages. */
  flag: string;
  resolve?: Resolver;
  /** Which resolved addresses count as public; default: everything `isPrivateAddress` does not name. */
  isPublic?: (address: string) => boolean;
}

export const MAX_REDIRECTS = 5;
// A check ahead of a call must not hold a request for a slow resolver; the call is checked again anyway.
const CHECK_RESOLVE_TIMEOUT_MS = 2_000;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => {
    dns.lookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses)));
  });

/** Names that mean this machine whatever DNS says. */
function isLocalName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost') || name === 'localhost.localdomain';
}

function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/**
 * The one place that decides which addresses a tenant's outbound calls may reach: platform
 * APIs (every adapter and `base_url`), OAuth endpoints, media imports and webhooks each
 * hold a policy of this class, set by their own switch. Addresses are checked where the
 * connection is made, on every address a name resolves to, and again on every redirect
 * hop, so neither a `base_url`, a DNS answer that changes (rebinding) nor a redirect can
 * carry a workspace into the operator's network. URL parsing (WHATWG) turns the decimal,
 * octal, hex and short IPv4 spellings into dotted quads before any check.
 */
export class OutboundPolicy {
  readonly allowPrivateNetworks: boolean;
  readonly flag: string;
  private readonly resolve: Resolver;
  private readonly isPublic: (address: string) => boolean;
  private agent: Agent | undefined;

  constructor(options: OutboundPolicyOptions) {
    this.allowPrivateNetworks = options.allowPrivateNetworks;
    this.flag = options.flag;
    this.resolve = options.resolve ?? systemResolver;
    this.isPublic = options.isPublic ?? ((address) => !isPrivateAddress(address));
  }

  /** Why a URL may not be called, judged from the URL alone (scheme, literal address, local names); null when it may be tried. */
  refusal(url: URL): OutboundRefused | null {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return new OutboundRefused(url.protocol, this.flag, `only http and https URLs are called, not ${url.protocol}`);
    if (this.allowPrivateNetworks) return null;
    const host = bareHost(url.hostname);
    if (isIP(host) !== 0) return this.isPublic(host) ? null : new OutboundRefused(host, this.flag);
    if (isLocalName(host)) return new OutboundRefused(url.hostname, this.flag);
    return null;
  }

  /** Throws `OutboundRefused` when the URL is refused on its face. */
  assertAllowed(url: URL): void {
    const refused = this.refusal(url);
    if (refused) throw refused;
  }

  /**
   * Resolves the URL's host and throws when the URL or any of its addresses is refused:
   * for checks made ahead of any call (an account's `base_url` when it is connected). Calls
   * are checked again when they connect, since DNS can change in between.
   */
  async check(raw: string | URL): Promise<void> {
    const url = typeof raw === 'string' ? new URL(raw) : raw;
    this.assertAllowed(url);
    if (this.allowPrivateNetworks) return;
    const host = bareHost(url.hostname);
    if (isIP(host) !== 0) return;
    let addresses: ResolvedAddress[];
    try {
      addresses = await Promise.race([
        this.resolve(host),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('slow resolver')), CHECK_RESOLVE_TIMEOUT_MS).unref()),
      ]);
    } catch {
      // A name that does not resolve now is not refused here; the call will fail on its own.
      return;
    }
    const refused = addresses.find((entry) => !this.isPublic(entry.address));
    if (refused) throw new OutboundRefused(refused.address, this.flag);
  }

  /**
   * A `lookup` for node's `net`/`http` and undici: resolves with this policy's resolver and,
   * unless private networks are allowed, fails the connection when ANY address is refused
   * (not just the first: a name with one public and one private address is refused).
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.resolve(hostname).then(
      (addresses) => {
        const wanted = options.family === 4 || options.family === 6 ? addresses.filter((entry) => entry.family === options.family) : addresses;
        if (wanted.length === 0) {
          const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
          return callback(error, '', 0);
        }
        if (!this.allowPrivateNetworks) {
          const refused = wanted.find((entry) => !this.isPublic(entry.address));
          if (refused) return callback(new OutboundRefused(refused.address, this.flag), '', 0);
        }
        if (options.all) return (callback as unknown as (err: null, addresses: ResolvedAddress[]) => void)(null, wanted);
        return callback(null, wanted[0].address, wanted[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };

  /** undici connections made through `lookup`, shared by every call under this policy. */
  get dispatcher(): Dispatcher {
    this.agent ??= new Agent({ connect: { lookup: this.lookup }, keepAliveTimeout: 10_000 });
    return this.agent;
  }

  /**
   * `fetch` under this policy: every hop is checked on its face and where it connects;
   * redirects are followed by hand (at most `MAX_REDIRECTS`), never by the client.
   */
  readonly fetch = async (input: string | URL | { url: string }, init: RequestInit = {}): Promise<Response> => {
    if (typeof Request !== 'undefined' && input instanceof Request) {
      // Clients that build a Request (the atproto client does) keep its method, headers and body.
      const body = input.body === null ? undefined : Buffer.from(await input.arrayBuffer());
      return this.fetch(input.url, { method: input.method, headers: input.headers, body, signal: input.signal, ...init });
    }
    let url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    let method = (init.method ?? 'GET').toUpperCase();
    let body = init.body;
    let headers = init.headers;
    if (typeof FormData !== 'undefined' && body instanceof FormData) {
      // The global FormData belongs to Node's own copy of undici, which this one does not
      // recognise: encode it here (multipart boundary included) as the global fetch would.
      const encoded = new Response(body);
      const merged = new Headers(headers);
      merged.set('content-type', encoded.headers.get('content-type') ?? 'multipart/form-data');
      headers = merged;
      body = Buffer.from(await encoded.arrayBuffer());
    }
    for (let hop = 0; ; hop++) {
      this.assertAllowed(url);
      const response = (await undiciFetch(url, {
        ...(init as Record<string, unknown>),
        method,
        headers: headers as never,
        body: body as never,
        redirect: 'manual',
        dispatcher: this.dispatcher,
      })) as unknown as Response;
      const location = response.headers.get('location');
      if (!REDIRECT_STATUSES.has(response.status) || location === null || init.redirect === 'manual') return response;
      await response.body?.cancel().catch(() => undefined);
      if (init.redirect === 'error' || hop >= MAX_REDIRECTS) throw new Error(`more than ${hop >= MAX_REDIRECTS ? MAX_REDIRECTS : 0} redirects from ${url.origin}`);
      url = new URL(location, url);
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
    }
  };

  async close(): Promise<void> {
    const agent = this.agent;
    this.agent = undefined;
    await agent?.close();
  }
}

/** Whether an error (or its causes) is a refusal by an outbound policy; duck-typed across jest realms. */
export function outboundRefusal(error: unknown): OutboundRefused | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    if ((current as { name?: unknown }).name === 'OutboundRefused') return current as OutboundRefused;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export const PLATFORM_FLAG = 'PLATFORM_ALLOW_PRIVATE_NETWORKS';

let platformPolicy = new OutboundPolicy({ allowPrivateNetworks: false, flag: PLATFORM_FLAG });

/**
 * The policy of calls to platform APIs and OAuth endpoints, which every caller of
 * `requestJson` (and the Bluesky client) gets unless it passes its own. Private networks
 * are refused until the process says otherwise at start (`PLATFORM_ALLOW_PRIVATE_NETWORKS`).
 */
export function platformOutbound(): OutboundPolicy {
  return platformPolicy;
}

/** Sets the platform policy for this process (the runtime does, from its configuration). */
export function usePlatformOutbound(policy: OutboundPolicy): void {
  platformPolicy = policy;
}
