import { describe, expect, it } from 'vitest';
import { expandIdRanges, isMissingTarget, parseDeleteOutput } from '../../../src/omero/index.js';

// What `omero delete --report` prints (omero-py cli.py CmdControl.print_report, delete.py
// print_delete_response): the CLI exits 0 even when the server refused, so the output decides.

describe('parseDeleteOutput', () => {
  it('reads the ok and the deleted objects of a report, ranges expanded', () => {
    const stdout = [
      'omero.cmd.Delete2 Image:1201-1203,1207 Dataset:311 ok',
      'Steps: 6',
      'Elapsed time: 0.412 secs.',
      'Flags: []',
      'Deleted objects',
      '  Dataset:311',
      '  Image:1201-1203,1207',
      '  Fileset:900,901',
      '',
    ].join('\n');
    expect(parseDeleteOutput(stdout, 'Using session for agent@omero:4064.\n')).toEqual({
      ok: true,
      deleted: { Dataset: ['311'], Image: ['1201', '1202', '1203', '1207'], Fileset: ['900', '901'] },
      failure: undefined,
    });
  });

  it('takes a refusal on stderr (and no ok) as the failure, and knows a missing target', () => {
    const report = parseDeleteOutput('omero.cmd.Delete2 Image:5 ', "failed: 'graph-fail'\nfailed: cannot read all the specified objects of class ome.model.core.Image\n");
    expect(report.ok).toBe(false);
    expect(report.failure).toBe("'graph-fail'; cannot read all the specified objects of class ome.model.core.Image");
    expect(isMissingTarget(report.failure ?? '')).toBe(true);
    expect(isMissingTarget("'graph-fail'; may not delete Image[5]")).toBe(false);
  });

  it('says ok on a dry run too, with nothing deleted', () => {
    expect(parseDeleteOutput('omero.cmd.Delete2 Image:5 Dry run performed\nok\n', '')).toMatchObject({ ok: true, deleted: {} });
  });
});

describe('expandIdRanges', () => {
  it('undoes the CLI\'s _order_and_range_ids, ids beyond 2^53 included', () => {
    expect(expandIdRanges('1,2')).toEqual(['1', '2']);
    expect(expandIdRanges('7-9,12')).toEqual(['7', '8', '9', '12']);
    expect(expandIdRanges('9007199254740993-9007199254740994')).toEqual(['9007199254740993', '9007199254740994']);
    expect(expandIdRanges('x,3')).toEqual(['3']);
  });
});
