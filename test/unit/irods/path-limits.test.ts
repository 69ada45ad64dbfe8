import { describe, expect, it } from 'vitest';
import { collectionAndAncestors } from '../../../src/irods/catalog/lpaths.js';
import { LONGEST_LPATH_BYTES, lpathProblem } from '../../../src/irods/path-limits.js';

describe('lpathProblem', () => {
  const pathOf = (bytes: number): string => `/tempZone/home/${'a'.repeat(200)}/${'b'.repeat(200)}/${'c'.repeat(200)}/${'d'.repeat(200)}/${'e'.repeat(bytes - 15 - 4 * 201)}`;

  it('accepts paths up to the longest iCommands take, and refuses one byte more', () => {
    expect(pathOf(LONGEST_LPATH_BYTES)).toHaveLength(1022);
    expect(lpathProblem(pathOf(1022))).toBeUndefined();
    expect(lpathProblem(pathOf(1023))).toEqual({ kind: 'path', bytes: 1023, limit: 1022 });
  });

  it('counts UTF-8 bytes, not characters', () => {
    const accented = `/tempZone/home/${'é'.repeat(250)}`;
    expect(accented.length).toBeLessThan(300);
    expect(lpathProblem(accented)).toEqual({ kind: 'name', name: 'é'.repeat(250), bytes: 500, limit: 255 });
  });

  it('refuses a name longer than a vault file system holds', () => {
    expect(lpathProblem(`/tempZone/home/${'n'.repeat(255)}`)).toBeUndefined();
    expect(lpathProblem(`/tempZone/home/${'n'.repeat(256)}`)).toMatchObject({ kind: 'name', bytes: 256 });
  });
});

describe('collectionAndAncestors', () => {
  it('lists the collection and every collection above it, nearest first', () => {
    expect(collectionAndAncestors('/tempZone/home/lab')).toEqual(['/tempZone/home/lab', '/tempZone/home', '/tempZone']);
  });
});
