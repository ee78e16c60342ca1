import * as http from 'node:http';
import * as https from 'node:https';
import { OutboundPolicy } from '../../outbound';

export interface PostWebhookOptions {
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Let receivers on loopback and private networks be reached (WEBHOOK_ALLOW_PRIVATE_NETWORKS). */
  allowPrivateNetworks: boolean;
  /** The address policy to deliver under; default: one from `allowPrivateNetworks`. */
  outbound?: OutboundPolicy;
}

export const WEBHOOK_FLAG = 'WEBHOOK_ALLOW_PRIVATE_NETWORKS';

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
    const policy = options.outbound ?? new OutboundPolicy({ allowPrivateNetworks: options.allowPrivateNetworks, flag: WEBHOOK_FLAG });
    const refused = policy.refusal(target);
    if (refused) {
      reject(refused);
      return;
    }
    const client = target.protocol === 'https:' ? https : http;
    const body = Buffer.from(options.body, 'utf8');
    const request = client.request(
      target,
      {
        method: 'POST',
        headers: { ...options.headers, 'content-length': String(body.length) },
        lookup: policy.lookup,
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
