import { describe, expect, it } from 'vitest';
import { classifyExit, mapSetLine, mapSetPlan, newLinkLine, newMapAnnotationLine, printedObjects, shlexQuote } from '../../../src/omero/index.js';

describe('an omero obj transaction file', () => {
  it('quotes each word as Python\'s shlex.quote does: bare when safe, else single quotes with \'"\'"\' for a quote', () => {
    expect(shlexQuote('stain')).toBe('stain');
    expect(shlexQuote('ns=irods-omero-agent/irods-metadata')).toBe('ns=irods-omero-agent/irods-metadata');
    expect(shlexQuote('')).toBe("''");
    expect(shlexQuote('DAPI; Hoechst')).toBe("'DAPI; Hoechst'");
    expect(shlexQuote("it's")).toBe(`'it'"'"'s'`);
    expect(shlexQuote('Zellkern µm')).toBe("'Zellkern µm'");
    expect(shlexQuote('#not a comment')).toBe("'#not a comment'");
  });

  it('writes the lines the agent sends: a new annotation kept in a variable, its link through child@=, map-set with and without a value', () => {
    expect(newMapAnnotationLine('a0', 'irods-omero-agent/irods-metadata')).toBe('a0 = new MapAnnotation ns=irods-omero-agent/irods-metadata');
    expect(newLinkLine('Image', '1203', 'a0')).toBe('new ImageAnnotationLink parent=Image:1203 child@=a0');
    expect(newLinkLine('Screen', '7', 'a1')).toBe('new ScreenAnnotationLink parent=Screen:7 child@=a1');
    expect(mapSetLine('456', 'stain', 'DAPI; Hoechst')).toBe("map-set MapAnnotation:456 mapValue stain 'DAPI; Hoechst'");
    expect(mapSetLine('456', 'old key')).toBe("map-set MapAnnotation:456 mapValue 'old key'");
  });

  it('refuses what a line cannot hold: a line break (the plugin reads line by line), ids that are not digits, bad variable names', () => {
    expect(() => mapSetLine('456', 'a', 'two\nlines')).toThrow(RangeError);
    expect(() => mapSetLine('4 5', 'a', 'b')).toThrow(RangeError);
    expect(() => newLinkLine('Image', '12; drop', 'a0')).toThrow(RangeError);
    expect(() => newMapAnnotationLine('0a', 'ns')).toThrow(RangeError);
  });

  it('reads what each action printed, in order, ignoring other lines', () => {
    expect(printedObjects(['MapAnnotation:1001', 'ImageAnnotationLink:1002', 'Using session …', ''])).toEqual([
      { type: 'MapAnnotation', id: '1001' },
      { type: 'ImageAnnotationLink', id: '1002' },
    ]);
  });

  it('sorts the plugin\'s own failures: 334 (no such object) and 335 (usage), as the OS truncates them', () => {
    expect(classifyExit(334 & 0xff, 'No object found: MapAnnotation:9\n')).toMatchObject({ code: 'object_missing', workStarted: true });
    expect(classifyExit(335 & 0xff, 'usage: map-set OBJ FIELD KEY [VALUE]\n')).toMatchObject({ code: 'usage', workStarted: true });
    expect(classifyExit(336 & 0xff, 'Failed to update MapAnnotation:9 - SecurityViolation\n')).toMatchObject({ code: 'failed' });
  });
});

describe('mapSetPlan: the map-set actions that make OMERO hold the desired pairs', () => {
  it('nothing when the annotation already holds them, whatever their order', () => {
    expect(mapSetPlan([['b', '2'], ['a', '1']], [['a', '1'], ['b', '2']])).toEqual({ remove: [], set: [] });
  });

  it('sets new and changed keys, removes keys no longer there', () => {
    expect(mapSetPlan([['a', '1'], ['gone', 'x']], [['a', '2'], ['new', 'y']])).toEqual({ remove: ['gone'], set: [['a', '2'], ['new', 'y']] });
  });

  it('a key OMERO holds twice is removed, then set once (map-set only replaces the first pair of a name)', () => {
    expect(mapSetPlan([['a', '1'], ['a', '1']], [['a', '1']])).toEqual({ remove: ['a'], set: [['a', '1']] });
  });

  it('everything removed when no pair is wanted any more', () => {
    expect(mapSetPlan([['a', '1'], ['b', '2']], [])).toEqual({ remove: ['a', 'b'], set: [] });
  });
});
