import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export type SignatureFailure = 'missing_headers' | 'bad_timestamp' | 'timestamp_out_of_window' | 'bad_signature';

export interface SignatureHeaders {
  readonly id: string | undefined;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
}

export type SignatureVerdict = { ok: true; id: string; timestamp: Date } | { ok: false; reason: SignatureFailure; message: string };

/**
 * Verifies a Standard Webhooks signature: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with
 * any of the configured secrets (rotation: old and new both valid), within ±tolerance of now.
 * Not the `standardwebhooks` library's verify(): its window is fixed, its errors do not say which
 * check failed, and its pure-JS SHA-256 costs several times node:crypto's on every event (the
 * unit tests check both give the same signatures).
 */
export class WebhookVerifier {
  private readonly keys: Buffer[];

  constructor(
    secrets: readonly string[],
    private readonly toleranceSeconds: number,
  ) {
    this.keys = secrets.map((s) => Buffer.from(s.slice('whsec_'.length), 'base64'));
  }

  verify(headers: SignatureHeaders, rawBody: string, now = new Date()): SignatureVerdict {
    const { id, timestamp, signature } = headers;
    if (!id || !timestamp || !signature) {
      return { ok: false, reason: 'missing_headers', message: 'webhook-id, webhook-timestamp and webhook-signature are required' };
    }
    if (!/^\d{1,12}$/.test(timestamp)) {
      return { ok: false, reason: 'bad_timestamp', message: 'webhook-timestamp must be seconds since the epoch' };
    }
    const sent = new Date(Number(timestamp) * 1000);
    if (Math.abs(now.getTime() - sent.getTime()) > this.toleranceSeconds * 1000) {
      return {
        ok: false,
        reason: 'timestamp_out_of_window',
        message: `webhook-timestamp is more than ${this.toleranceSeconds}s away from the agent's clock`,
      };
    }
    const offered = signature
      .split(' ')
      .map((s) => s.trim())
      .filter((s) => s.startsWith('v1,'))
      .map((s) => Buffer.from(s.slice(3), 'base64'));
    for (const key of this.keys) {
      // The signed content is the headers' exact text: "<webhook-id>.<webhook-timestamp>.<body>".
      const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(rawBody).digest();
      for (const candidate of offered) {
        if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) {
          return { ok: true, id, timestamp: sent };
        }
      }
    }
    return { ok: false, reason: 'bad_signature', message: 'no webhook-signature matches a configured secret' };
  }
}

/** Signs like an iRODS rule would (tests, the demo and benches use it). */
export function signWebhook(secret: string, id: string, timestamp: Date, body: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, new Date(Math.floor(timestamp.getTime() / 1000) * 1000), body),
  };
}
