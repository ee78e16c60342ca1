import * as http from 'node:http';
import * as https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import * as dns from 'node:dns';
import { isPrivateAddress } from '../../platforms';

export interface PostWebhookOptions {
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Let receivers on loopback and private networks be reached (WEBHOOK_ALLOW_PRIVATE_NETWORKS). */
  allowPrivateNetworks: boolean;
}

/** The receiver's address is not on the public internet and such receivers are not allowed. */
export class PrivateReceiverRefused extends Error {
  constructor(address: string) {
    super(`${address} is a private network address; set WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to deliver to it`);
    this.name = 'PrivateReceiverRefused';
  }
}

// Checked when connecting, not before, so a name that resolves elsewhere the second time
// (DNS rebinding) cannot slip a workspace's webhook into the operator's own network.
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const refused = addresses.find((entry) => isPrivateAddress(entry.address));
    if (refused) return callback(new PrivateReceiverRefused(refused.address), '', 0);
    if (options.all) return callback(null, addresses);
    return callback(null, addresses[0].address, addresses[0].family);
  });
};

/**
 * POSTs one delivery and resolves with the receiver's status. Redirects are not followed
 * (a signed body must not be replayed to wherever a receiver points), and the answer's
 * body is read and dropped, only to free the connection.
 */
export function postWebhook(url: string, options: PostWebhookOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      reject(new Error('the webhook URL is not a valid URL'));
      return;
    }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (!options.allowPrivateNetworks && isIP(host) && isPrivateAddress(host)) {
      reject(new PrivateReceiverRefused(host));
      return;
    }
    const client = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : null;
    if (!client) {
      reject(new Error(`webhook URLs must be http or https, not ${target.protocol}`));
      return;
    }
    const body = Buffer.from(options.body, 'utf8');
    const request = client.request(
      target,
      {
        method: 'POST',
        headers: { ...options.headers, 'content-length': String(body.length) },
        lookup: options.allowPrivateNetworks ? undefined : publicOnlyLookup,
        timeout: options.timeoutMs,
      },
      (response) => {
        response.resume();
        response.once('end', () => resolve(response.statusCode ?? 0));
        response.once('error', reject);
      },
    );
    const deadline = setTimeout(() => request.destroy(new Error(`the receiver did not answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    request.once('close', () => clearTimeout(deadline));
    request.once('timeout', () => request.destroy(new Error(`the receiver did not answer within ${options.timeoutMs} ms`)));
    request.once('error', reject);
    request.end(body);
  });
}
