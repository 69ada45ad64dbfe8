import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { WebhookVerifier, signWebhook } from '../../src/intake/webhook-signature.js';

const secret = () => `whsec_${randomBytes(32).toString('base64')}`;

describe('WebhookVerifier', () => {
  it('accepts exactly what the standardwebhooks library signs, for any body', () => {
    for (let i = 0; i < 50; i++) {
      const s = secret();
      const body = JSON.stringify({ i, text: randomBytes(i * 7).toString('base64'), unicode: 'µm ✓' });
      const headers = signWebhook(s, `msg_${randomUUID()}`, new Date(), body);
      expect(() => new Webhook(s).verify(body, headers)).not.toThrow();
      const verdict = new WebhookVerifier([s], 300).verify(
        { id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], signature: headers['webhook-signature'] },
        body,
      );
      expect(verdict.ok).toBe(true);
    }
  });

  it('refuses a changed body, another secret, and a timestamp outside the window, saying which', () => {
    const s = secret();
    const body = '{"a":1}';
    const now = new Date();
    const h = signWebhook(s, 'msg_1', now, body);
    const headers = { id: h['webhook-id'], timestamp: h['webhook-timestamp'], signature: h['webhook-signature'] };
    const verifier = new WebhookVerifier([s], 300);
    expect(verifier.verify(headers, '{"a":2}', now)).toMatchObject({ ok: false, reason: 'bad_signature' });
    expect(new WebhookVerifier([secret()], 300).verify(headers, body, now)).toMatchObject({ ok: false, reason: 'bad_signature' });
    expect(verifier.verify(headers, body, new Date(now.getTime() + 301_000))).toMatchObject({ ok: false, reason: 'timestamp_out_of_window' });
    expect(verifier.verify({ ...headers, timestamp: 'soon' }, body, now)).toMatchObject({ ok: false, reason: 'bad_timestamp' });
    expect(verifier.verify({ ...headers, signature: undefined }, body, now)).toMatchObject({ ok: false, reason: 'missing_headers' });
  });

  it('accepts any of several secrets (rotation) and any of several signatures in the header', () => {
    const [older, newer] = [secret(), secret()];
    const body = '{}';
    const now = new Date();
    const byNewer = signWebhook(newer, 'msg_2', now, body);
    const byOlder = signWebhook(older, 'msg_2', now, body);
    const both = `${byOlder['webhook-signature']} ${byNewer['webhook-signature']}`;
    expect(new WebhookVerifier([older, newer], 300).verify({ id: 'msg_2', timestamp: byNewer['webhook-timestamp'], signature: byNewer['webhook-signature'] }, body, now).ok).toBe(true);
    expect(new WebhookVerifier([newer], 300).verify({ id: 'msg_2', timestamp: byNewer['webhook-timestamp'], signature: both }, body, now).ok).toBe(true);
  });
});
