import { describe, expect, it } from 'vitest';
import {
  ArchiveRejected,
  EntryNamespace,
  checkEntryPath,
  collectionsToCreate,
  describePathProblem,
  parentsOf,
  type PathProblem,
} from '../../../src/archive/index.js';
import { decodeCp437, decodeZipName } from '../../../src/archive/entry-name-encoding.js';

describe('checkEntryPath', () => {
  it.each([
    ['transfer.xml', 'transfer.xml', false],
    ['root_0/2023-12/19/14-35-58.670/cycle4.ome_cells.png', 'root_0/2023-12/19/14-35-58.670/cycle4.ome_cells.png', false],
    ['./transfer.xml', 'transfer.xml', false],
    ['./root_0/', 'root_0', true],
    ['root_0/', 'root_0', true],
    ['././a', 'a', false],
    ['file_annotations/106/LM_JGMBH_-AW-_3857__OMERO_submission_form (1).xlsx', 'file_annotations/106/LM_JGMBH_-AW-_3857__OMERO_submission_form (1).xlsx', false],
    ['simple-plate&plates=1&plateAcqs=1.fake', 'simple-plate&plates=1&plateAcqs=1.fake', false],
    ['..a/b..', '..a/b..', false],
    ['a/...', 'a/...', false],
    ['.hidden', '.hidden', false],
    ['a/C:/b', 'a/C:/b', false],
    ['Ünïcödé/日本語.tif', 'Ünïcödé/日本語.tif', false],
    [' leading and trailing spaces ', ' leading and trailing spaces ', false],
  ])('accepts %j as %j', (name, path, trailingSlash) => {
    expect(checkEntryPath(name)).toEqual({ ok: true, root: false, path, trailingSlash });
  });

  it.each(['./', '.', './.', '././', './/'.slice(0, 2)])('treats %j as the archive root', (name) => {
    expect(checkEntryPath(name)).toEqual({ ok: true, root: true });
  });

  const refused: [string, PathProblem][] = [
    ['', 'empty'],
    ['../evil', 'parent_segment'],
    ['..', 'parent_segment'],
    ['../', 'parent_segment'],
    ['a/../../b', 'parent_segment'],
    ['a/..', 'parent_segment'],
    ['./../x', 'parent_segment'],
    ['a/b/../c', 'parent_segment'],
    ['/etc/passwd', 'absolute'],
    ['/', 'absolute'],
    ['//server/share/x', 'absolute'],
    ['C:/Windows/x', 'drive_letter'],
    ['c:relative', 'drive_letter'],
    ['C:\\Windows\\x', 'backslash'],
    ['a\\b', 'backslash'],
    ['..\\..\\evil', 'backslash'],
    ['a\u0000b', 'nul'],
    ['a\nb', 'control_character'],
    ['a\rb', 'control_character'],
    ['\u001b[31mred', 'control_character'],
    ['a\u007fb', 'control_character'],
    ['a\u009bb', 'control_character'],
    ['invoice\u202egpj.exe', 'bidi_control'],
    ['a\u2066b', 'bidi_control'],
    ['a//b', 'empty_segment'],
    ['a/b//', 'empty_segment'],
    ['a/./b', 'dot_segment'],
    ['a/.', 'dot_segment'],
  ];
  it.each(refused)('refuses %j (%s)', (name, problem) => {
    expect(checkEntryPath(name)).toEqual({ ok: false, problem });
  });

  it('describes every problem in words', () => {
    for (const [, problem] of refused) expect(describePathProblem(problem)).toMatch(/\w{3,}/);
  });

  it('never lets a normalised path escape, whatever the name', () => {
    const alphabet = ['a', '.', '..', '/', '\\', ':', 'C', '\u0000', ' ', 'é'];
    let seed = 42;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const escaped: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      let name = '';
      const length = Math.floor(random() * 8);
      for (let j = 0; j < length; j++) name += alphabet[Math.floor(random() * alphabet.length)];
      const result = checkEntryPath(name);
      if (!result.ok || result.root) continue;
      const segments = result.path.split('/');
      const bad =
        segments.some((s) => s === '' || s === '.' || s === '..') ||
        result.path.startsWith('/') ||
        result.path.includes('\\') ||
        result.path.includes('\u0000');
      if (bad) escaped.push(name);
    }
    expect(escaped).toEqual([]);
  });
});

describe('parentsOf', () => {
  it('lists every parent nearest the root first', () => {
    expect(parentsOf('a/b/c.tif')).toEqual(['a', 'a/b']);
    expect(parentsOf('top.txt')).toEqual([]);
  });
});

describe('EntryNamespace', () => {
  it('accepts distinct files and folders, in any order', () => {
    const ns = new EntryNamespace();
    ns.add('a/b/c.tif', 'file');
    ns.add('a/b', 'directory');
    ns.add('a', 'directory');
    ns.add('a/d.tif', 'file');
    expect(ns.size).toBeGreaterThan(0);
  });

  it('tolerates the same folder twice (no data, nothing ambiguous)', () => {
    const ns = new EntryNamespace();
    ns.add('a', 'directory');
    expect(() => ns.add('a', 'directory')).not.toThrow();
  });

  it('treats names case-sensitively, as iRODS does', () => {
    const ns = new EntryNamespace();
    ns.add('Image.tif', 'file');
    expect(() => ns.add('image.tif', 'file')).not.toThrow();
    expect(() => ns.add('IMAGE.TIF', 'file')).not.toThrow();
  });

  it('does not fold Unicode normalisation forms together (iRODS compares bytes)', () => {
    const ns = new EntryNamespace();
    ns.add('caf\u00e9.tif', 'file');
    expect(() => ns.add('cafe\u0301.tif', 'file')).not.toThrow();
  });

  const clash = (steps: [string, 'file' | 'directory'][]): ArchiveRejected => {
    const ns = new EntryNamespace();
    try {
      for (const [path, kind] of steps) ns.add(path, kind);
    } catch (err) {
      if (err instanceof ArchiveRejected) return err;
      throw err;
    }
    throw new Error('no clash detected');
  };

  it.each<[string, [string, 'file' | 'directory'][], string]>([
    ['two files', [['a.txt', 'file'], ['a.txt', 'file']], 'a.txt'],
    ['a file then a folder', [['a', 'file'], ['a', 'directory']], 'a'],
    ['a folder then a file', [['a', 'directory'], ['a', 'file']], 'a'],
    ['a file then an entry inside it', [['a', 'file'], ['a/b.txt', 'file']], 'a/b.txt'],
    ['an entry inside a name, then that name as a file', [['a/b.txt', 'file'], ['a', 'file']], 'a'],
    ['a deep file under a file', [['x/y', 'file'], ['x/y/z/w', 'file']], 'x/y/z/w'],
  ])('refuses %s as duplicate_entry naming the second entry', (_title, steps, entry) => {
    const err = clash(steps);
    expect(err.reason).toBe('duplicate_entry');
    expect(err.entry).toBe(entry);
    expect(err.message).toMatch(/refused/);
  });
});

describe('collectionsToCreate', () => {
  it('lists every parent and folder once, parents first, by depth then name', () => {
    const plan = collectionsToCreate([
      { path: 'root_0/2023-12/19/14-35-58.670/cycle4.ome_cells.png', kind: 'file' },
      { path: 'transfer.xml', kind: 'file' },
      { path: 'pixel_images/52.tiff', kind: 'file' },
      { path: 'root_0/2023-12/19/14-55-33.316/cycle3.png', kind: 'file' },
      { path: 'root_0', kind: 'directory' },
      { path: 'empty/folder', kind: 'directory' },
    ]);
    expect(plan).toEqual([
      'empty',
      'pixel_images',
      'root_0',
      'empty/folder',
      'root_0/2023-12',
      'root_0/2023-12/19',
      'root_0/2023-12/19/14-35-58.670',
      'root_0/2023-12/19/14-55-33.316',
    ]);
    for (const [i, collection] of plan.entries()) {
      for (const parent of parentsOf(collection)) expect(plan.indexOf(parent)).toBeLessThan(i);
    }
  });

  it('is empty for files at the root only', () => {
    expect(collectionsToCreate([{ path: 'transfer.xml', kind: 'file' }])).toEqual([]);
  });

  it('sorts by code unit, not by locale', () => {
    expect(collectionsToCreate([{ path: 'b', kind: 'directory' }, { path: 'B', kind: 'directory' }, { path: 'a', kind: 'directory' }])).toEqual([
      'B',
      'a',
      'b',
    ]);
  });
});

describe('zip name decoding', () => {
  it('decodes CP437 names without the UTF-8 flag, as the zip spec says', () => {
    expect(decodeCp437(Buffer.from([0x63, 0x61, 0x66, 0x82]))).toBe('café');
    expect(decodeZipName(Buffer.from([0x80, 0x9b, 0xe1]), false)).toEqual({ ok: true, name: 'Ç¢ß', encoding: 'cp437' });
  });

  it('takes valid UTF-8 without the flag as UTF-8 (what macOS and Info-ZIP write)', () => {
    expect(decodeZipName(Buffer.from('café', 'utf8'), false)).toEqual({ ok: true, name: 'café', encoding: 'utf8' });
  });

  it('refuses invalid UTF-8 when the flag promises UTF-8', () => {
    const result = decodeZipName(Buffer.from([0x61, 0xff]), true);
    expect(result.ok).toBe(false);
  });

  it('prefers a matching Unicode Path extra field', () => {
    expect(decodeZipName(Buffer.from('cafe'), false, Buffer.from('café'))).toEqual({ ok: true, name: 'café', encoding: 'utf8' });
  });

  it('maps all 128 high CP437 bytes to one character each', () => {
    const high = Buffer.from(Array.from({ length: 128 }, (_, i) => 0x80 + i));
    expect([...decodeCp437(high)]).toHaveLength(128);
  });
});
