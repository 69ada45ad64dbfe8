import { describe, expect, it } from 'vitest';
import { classifyExit, lastReason, parseHqlRows, UnpackOutputParser } from '../../../src/omero/index.js';

describe('classifyExit', () => {
  it('reads a refused password although the operating system truncated 564 to 52, the status of a bad query', () => {
    const stderr = "Password check failed for 'agent'\nstdin is not a terminal: cannot request password\n";
    expect(classifyExit(564 & 0xff, stderr)).toEqual({ code: 'login_refused', workStarted: false, reason: 'the password was wrong or missing' });
    expect(classifyExit(52, 'Bad query: unexpected token\n')).toMatchObject({ code: 'bad_query', workStarted: true });
  });

  it('sorts an unreachable server as nothing done yet, so the call may be repeated', () => {
    expect(classifyExit(554 & 0xff, "Ice.ConnectionRefusedException: omero:4064 isn't running\n")).toMatchObject({ code: 'unreachable', workStarted: false });
    expect(classifyExit(555 & 0xff, "Ice.DNSException: bad host name: 'omero'\n")).toMatchObject({ code: 'unreachable', workStarted: false });
  });

  it('tells a missing transfer plugin from other usage errors', () => {
    const missing = "usage: omero [-h] ...\nomero: error: argument <subcommand>: invalid choice: 'transfer' (choose from 'login', 'hql')\n";
    expect(classifyExit(2, missing).code).toBe('transfer_plugin_missing');
    expect(classifyExit(2, 'omero: error: unrecognized arguments: -s\n').code).toBe('usage');
  });

  it('sees a lost connection in a traceback as work already started', () => {
    const tb = 'Traceback (most recent call last):\n  File "x.py", line 1, in <module>\nRuntimeError: Ice.ConnectionLostException: recv() returned zero\n';
    expect(classifyExit(1, tb)).toEqual({ code: 'unreachable', workStarted: true, reason: 'RuntimeError: Ice.ConnectionLostException: recv() returned zero' });
    expect(classifyExit(1, "FileNotFoundError: [Errno 2] No such file or directory: '/mnt/x/transfer.xml'\n").code).toBe('folder_missing');
    expect(classifyExit(1, 'ValueError: boom\n')).toMatchObject({ code: 'failed', reason: 'ValueError: boom' });
  });

  it('takes the last line that says something as the reason', () => {
    expect(lastReason('Traceback (most recent call last):\n  File "a", line 2\n    ^^^^\nKeyError: 3\n\n')).toBe('KeyError: 3');
  });
});

describe('UnpackOutputParser', () => {
  it('collects the Image lines of every import, skipping empty items, and sums the summaries', () => {
    const p = new UnpackOutputParser();
    for (const line of ['Image:101', 'INFO noise', 'Image:102,103,,', 'Image:102']) p.onStdoutLine(line);
    p.onStderrLine('==> Summary');
    p.onStderrLine('1 file uploaded, 1 fileset created, 1 image imported, 0 errors in 0:00:01.234');
    p.onStderrLine('0 files uploaded, 0 filesets created, 0 images imported, 1 error in 0:00:00.050');
    p.onStderrLine('3 files uploaded, 1 fileset created, 1 plate created, 2 images imported, 0 errors in 0:00:02.000');
    expect(p.report()).toEqual({ imageIds: ['101', '102', '103'], imports: 3, imagesImported: 3, importErrors: 1, overflow: false });
  });

  it('says when more ids were printed than it keeps', () => {
    const p = new UnpackOutputParser(2);
    p.onStdoutLine('Image:1,2,3');
    expect(p.report()).toMatchObject({ imageIds: ['1', '2'], overflow: true });
  });
});

describe('parseHqlRows', () => {
  it('reads csv rows after their row number, with quoted commas, quotes and line breaks', () => {
    const text = ['Previous session expired for agent on omero:4064', '0,12,"a, ""quoted"" name"', '1,13,"two', 'lines"', '2,14,plain', ''].join('\n');
    expect(parseHqlRows(text, 2)).toEqual([
      ['12', 'a, "quoted" name'],
      ['13', 'two\nlines'],
      ['14', 'plain'],
    ]);
  });

  it('answers no rows for an empty page', () => {
    expect(parseHqlRows('\n', 3)).toEqual([]);
  });
});
