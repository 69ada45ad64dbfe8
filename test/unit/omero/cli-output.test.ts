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

  it('reads a refused group out of the login catch-all 556: refused, not retried, with the server\'s reason', () => {
    // omero/plugins/sessions.py: die(556, "InternalException: Failed to connect: %s" % e), e printed by IcePy.
    const stderr = [
      'InternalException: Failed to connect: exception ::omero::WrappedCreateSessionException',
      '{',
      '    reason = User 2 is not a member of group 7 and cannot login',
      '    concurrency = False',
      '    backOff = -1',
      '    type = ome.conditions.SecurityViolation',
      '}',
      '',
    ].join('\n');
    expect(classifyExit(556 & 0xff, stderr)).toEqual({
      code: 'login_refused',
      workStarted: false,
      reason: 'User 2 is not a member of group 7 and cannot login (ome.conditions.SecurityViolation)',
    });
  });

  it('keeps a network failure behind 556 retryable, in both spellings Ice exceptions get', () => {
    const timeout = 'InternalException: Failed to connect: exception ::Ice::ConnectTimeoutException\n{\n}\n';
    expect(classifyExit(556 & 0xff, timeout)).toMatchObject({ code: 'unreachable', workStarted: false, reason: 'Ice::ConnectTimeoutException' });
    const lost = 'Traceback (most recent call last):\n  File "x.py", line 1\nIce.ConnectionLostException: exception ::Ice::ConnectionLostException\n{\n    error = 0\n}\n';
    expect(classifyExit(1, lost)).toMatchObject({ code: 'unreachable', workStarted: true });
  });

  it('says OMERO.py refused to run as root (exit 1, its message on stdout)', () => {
    const stdout = 'FATAL: Running /opt/omero/bin/omero as root can corrupt your directory permissions.\n';
    expect(classifyExit(1, '', stdout)).toEqual({ code: 'runs_as_root', workStarted: false, reason: 'OMERO.py refuses to run as root' });
    expect(classifyExit(1, 'ValueError: boom\n', 'Running as root is fine here\n').code).toBe('failed');
  });

  it('tells a file refused to the CLI (PermissionError) from other failures', () => {
    const tb = "Traceback (most recent call last):\n  File \"x.py\", line 1\nPermissionError: [Errno 13] Permission denied: '/mnt/irods/home/lab/x/transfer.xml'\n";
    expect(classifyExit(1, tb)).toMatchObject({ code: 'permission_denied', reason: "PermissionError: [Errno 13] Permission denied: '/mnt/irods/home/lab/x/transfer.xml'" });
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
    expect(p.report()).toEqual({
      imageIds: ['101', '102', '103'],
      plateIds: [],
      filesetIds: [],
      imports: 3,
      imagesImported: 3,
      importErrors: 1,
      noImports: 0,
      errorLines: [],
      errorLinesTotal: 0,
      overflow: false,
    });
  });

  it('reads the images of a plate import where the importer prints them: on stderr, after "Other imported objects:"', () => {
    // ome/omero-blitz LoggingImportMonitor.outputImageOrPlateIds + otherImportedObjects.
    const p = new UnpackOutputParser();
    p.onStderrLine('2026-01-12 10:14:03,120 5120       [l.Client-1] INFO   ormats.importer.cli.LoggingImportMonitor - IMPORT_DONE Imported file: /x/./a.fake');
    p.onStdoutLine('Plate:55');
    for (const line of ['Other imported objects:', 'Fileset:12', 'Image:201', 'Image:202']) p.onStderrLine(line);
    // A log line another thread slips into the block does not end it.
    p.onStderrLine('2026-01-12 10:14:03,121 5121       [l.Client-0] INFO   ome.formats.importer.ImportLibrary - noise');
    p.onStderrLine('Image:203');
    for (const line of ['', '==> Summary', '1 file uploaded, 1 fileset, 1 plate created, 3 images imported, 0 errors in 0:00:02.000']) p.onStderrLine(line);
    // An image import afterwards: its ids on stdout, only the fileset on stderr.
    p.onStdoutLine('Image:301');
    for (const line of ['Other imported objects:', 'Fileset:13', '', '==> Summary', '1 file uploaded, 1 fileset created, 1 image imported, 0 errors in 0:00:01.000']) p.onStderrLine(line);
    // Outside a block, an Image line on stderr is not an import's (nothing prints one there).
    p.onStderrLine('Image:999');
    expect(p.report()).toMatchObject({
      imageIds: ['201', '202', '203', '301'],
      plateIds: ['55'],
      filesetIds: ['12', '13'],
      imports: 2,
      imagesImported: 4,
      importErrors: 0,
    });
  });

  it('counts an import that found nothing as an error, and keeps what the importers and unpack said', () => {
    const p = new UnpackOutputParser();
    const lines = [
      '2026-01-12 10:14:03,120 512        [      main] ERROR ome.formats.importer.util.ErrorHandler - UNREADABLE_FILE: /mnt/irods/home/lab/x/./a.tif',
      'java.io.FileNotFoundException: /mnt/irods/home/lab/x/./a.tif',
      '\tat ome.formats.importer.ImportCandidates.singleFile(ImportCandidates.java:411)',
      'No imports found',
      '',
      ' Usage:  importer-cli [OPTION]... [path [path ...]]... ',
      'No imports due to errors!',
      'Traceback (most recent call last):',
      '  File "/opt/omero/generate_omero_objects.py", line 542, in create_rois',
      "KeyError: 'Image:51'",
    ];
    for (const line of lines) p.onStderrLine(line);
    expect(p.report()).toMatchObject({
      imageIds: [],
      imports: 0,
      importErrors: 2,
      noImports: 2,
      errorLines: [lines[0], lines[1], 'No imports found', 'No imports due to errors!', "KeyError: 'Image:51'"],
      errorLinesTotal: 5,
    });
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
