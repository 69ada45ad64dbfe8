import { describe, expect, it } from 'vitest';
import { markDeliveryId, markEvent, markUser, type LandedMark } from '../../../src/intake/landed-mark.js';

const mark = (over: Partial<LandedMark> = {}): LandedMark => ({
  lpath: '/tempZone/home/lab/run42.zip',
  value: '1700000000',
  units: 'alice#tempZone',
  ...over,
});

describe('a native mark', () => {
  it('names its user as <user>#<zone>, nothing else', () => {
    expect(markUser(mark())).toEqual({ name: 'alice', zone: 'tempZone' });
    expect(markUser(mark({ units: 'alice#partnerZone' }))).toEqual({ name: 'alice', zone: 'partnerZone' });
    for (const units of ['', 'alice', 'alice#', '#tempZone', 'al ice#tempZone', 'alice#temp#Zone']) expect(markUser(mark({ units })), units).toBeUndefined();
  });

  it('stands for the event the rule would have sent, at the time the PEP fired', () => {
    const body = markEvent(mark({ units: 'bob#partnerZone' }), { name: 'bob', zone: 'partnerZone' });
    expect(body).toEqual({
      type: 'data_object.landed',
      timestamp: '2023-11-14T22:13:20.000Z',
      data: {
        zone: 'tempZone',
        logical_path: '/tempZone/home/lab/run42.zip',
        user: 'bob',
        user_zone: 'partnerZone',
        client_user: 'bob#partnerZone',
        pep: 'native_mark',
      },
    });
    // msiGetSystemTime writes the seconds zero-padded to 11 digits (getNowStr, "%011d").
    expect(markEvent(mark({ value: '01700000000' }), { name: 'alice', zone: 'tempZone' }).timestamp).toBe('2023-11-14T22:13:20.000Z');
    const now = new Date('2026-01-02T03:04:05.000Z');
    expect(markEvent(mark({ value: 'soon' }), { name: 'alice', zone: 'tempZone' }, now).timestamp).toBe(now.toISOString());
  });

  it('has one delivery id per path, value and user', () => {
    expect(markDeliveryId(mark())).toBe(markDeliveryId({ ...mark() }));
    expect(markDeliveryId(mark())).toMatch(/^mark_[0-9a-f]{32}$/);
    const others = [mark({ value: '1700000001' }), mark({ units: 'bob#tempZone' }), mark({ lpath: '/tempZone/home/lab/run43.zip' })];
    expect(new Set([mark(), ...others].map(markDeliveryId)).size).toBe(4);
  });
});
