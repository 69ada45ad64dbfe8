import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { landedEventBody, newWebhookId } from '../../../src/intake/rule-event.js';

const RULES_DIR = fileURLToPath(new URL('../../../rules/python', import.meta.url));

/**
 * The body the Python rule queues for an upload, taken from the delayed rule text its `_emit`
 * hands to delayExec (outside iRODS: a callback that records, a connection map with the user).
 */
function bodyFromPythonRule(lpath: string, user: string, zone: string, pep: string): string {
  const script = `
import json, re, sys
sys.path.insert(0, sys.argv[1])
import irods_omero_agent_rules as r
r._now_iso = lambda: '2026-01-02T03:04:05.678Z'
class Callback:
    queued = []
    def writeLine(self, target, message): pass
    def delayExec(self, hints, text, _): Callback.queued.append(text)
class Ctx:
    def map(self): return {'user_user_name': sys.argv[3], 'user_rods_zone': sys.argv[4]}
config = r._validate({'secret': 'whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=', 'watch': ['/' + sys.argv[4]]})
r._emit(Callback(), config, ([None, Ctx(), None], None), sys.argv[5], sys.argv[2])
literal = re.search(r'deliver\\(callback, "[^"]*", (".*")\\)', Callback.queued[0]).group(1)
sys.stdout.write(json.loads(literal))
`;
  return execFileSync('python3', ['-c', script, RULES_DIR, lpath, user, zone, pep], { encoding: 'utf8' });
}

describe('events send: the body the rule sends', () => {
  it('is byte for byte what the Python rule builds for the same upload', () => {
    const lpath = '/tempZone/home/alice/runs/ü $objPath "x".zip';
    const fromRule = bodyFromPythonRule(lpath, 'alice', 'tempZone', 'pep_api_replica_close_post');
    const ours = landedEventBody({ logicalPath: lpath, user: 'alice', pep: 'pep_api_replica_close_post' }, new Date('2026-01-02T03:04:05.678Z'));
    expect(ours).toBe(fromRule);
  });

  it('names a user of another zone as the rule does', () => {
    const body = JSON.parse(landedEventBody({ logicalPath: '/tempZone/home/x.zip', user: 'bob', userZone: 'partnerZone', pep: 'manual' })) as { data: Record<string, string> };
    expect(body.data).toMatchObject({ zone: 'tempZone', user: 'bob', user_zone: 'partnerZone', client_user: 'bob#partnerZone' });
    expect(newWebhookId()).toMatch(/^msg_[0-9a-f]{32}$/);
  });
});
