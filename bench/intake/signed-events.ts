import { createHash } from 'node:crypto';
import type { Request } from 'autocannon';
import { signWebhook } from '../../src/intake/webhook-signature.js';

/** The bench's webhook secret (the agent under test is configured with it). */
export const BENCH_SECRET = `whsec_${Buffer.from('irods-omero-agent-bench-secret-32').toString('base64')}`;

/** The collection the agent watches in the bench; every event lands below it. */
export const BENCH_WATCH = '/tempZone/home';

const SIZE = 734_003_200;
const CHECKSUM = `sha2:${createHash('sha256').update('bench').digest('base64')}`;

/**
 * autocannon's `setupRequest` for signed landed events: each request gets a webhook id and an
 * archive path of its own, signed now, so every one is a new upload the agent must accept (no
 * replay, no duplicate). The event carries size and checksum, as the rules send them, so the
 * intake never needs to stat iRODS. `tag` keeps runs against one database apart.
 */
export function signedEvents(tag: string): { setupRequest: (req: Request) => Request; readonly sent: number } {
  let n = 0;
  return {
    setupRequest(req: Request): Request {
      n += 1;
      const id = `msg_${tag}_${n}`;
      const body = JSON.stringify({
        type: 'data_object.landed',
        timestamp: new Date().toISOString(),
        data: {
          zone: 'tempZone',
          logical_path: `${BENCH_WATCH}/alice/bench-${tag}/upload-${n}/images-${n}.zip`,
          user: 'alice',
          pep: 'pep_api_data_obj_put_post',
          size: SIZE,
          checksum: CHECKSUM,
        },
      });
      return {
        ...req,
        method: 'POST',
        path: '/v1/events',
        headers: { 'content-type': 'application/json', ...signWebhook(BENCH_SECRET, id, new Date(), body) },
        body,
      };
    },
    get sent() {
      return n;
    },
  };
}
