import { describe, expect, it } from 'vitest';
import { withLowercaseKeywords } from '../../../src/irods/genquery.js';

describe('withLowercaseKeywords', () => {
  it('lower-cases SELECT and WHERE before the first literal, never inside one', () => {
    expect(withLowercaseKeywords("SELECT COLL_NAME, DATA_NAME WHERE COLL_NAME = '/z/home/a/nowhere SELECT WHERE' AND DATA_NAME like '%.zip'")).toBe(
      "select COLL_NAME, DATA_NAME where COLL_NAME = '/z/home/a/nowhere SELECT WHERE' AND DATA_NAME like '%.zip'",
    );
  });

  it('leaves lower-case keywords, a query without conditions and column names alone', () => {
    expect(withLowercaseKeywords("select COLL_NAME where COLL_NAME = '/a'")).toBe("select COLL_NAME where COLL_NAME = '/a'");
    expect(withLowercaseKeywords('SELECT USER_NAME, count(DATA_ID)')).toBe('select USER_NAME, count(DATA_ID)');
    expect(withLowercaseKeywords("SELECT META_COLL_ATTR_VALUE WHERE COLL_NAME in ('/a', '/b')")).toBe("select META_COLL_ATTR_VALUE where COLL_NAME in ('/a', '/b')");
  });
});
