import { describe, expect, it } from 'vitest';
import { parseTransferXml, TransferXmlError, type ParseTransferXmlOptions, type TransferXmlErrorCode } from '../../../src/ome/index.js';

const LIMIT = { maxBytes: 1 << 20 };

function refusal(input: string | Uint8Array, options: ParseTransferXmlOptions = LIMIT): TransferXmlError {
  try {
    parseTransferXml(input, options);
  } catch (error) {
    if (error instanceof TransferXmlError) return error;
    throw error;
  }
  throw new Error('parseTransferXml accepted the document');
}

function expectRefused(input: string | Uint8Array, code: TransferXmlErrorCode, where?: { line?: number; column?: number; path?: string }): TransferXmlError {
  const error = refusal(input);
  expect(error.code).toBe(code);
  if (where) expect({ line: error.line, column: error.column, path: error.path }).toMatchObject(where);
  return error;
}

const OME = (inner: string): string => `<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06">${inner}</OME>`;

describe('transfer.xml refused before parsing', () => {
  it('refuses a DOCTYPE, so the billion-laughs entity is never declared nor expanded', () => {
    const laughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<OME><Image ID="Image:1" Name="&lol3;"/></OME>`;
    expectRefused(laughs, 'doctype_forbidden', { line: 2, column: 1 });
  });

  it('refuses an external entity (XXE) DOCTYPE', () => {
    expectRefused(`<!DOCTYPE OME [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><OME><Image ID="Image:1" Name="&xxe;"/></OME>`, 'doctype_forbidden', {
      line: 1,
      column: 1,
    });
  });

  it('refuses a stray entity declaration and other markup declarations', () => {
    expectRefused(`<!ENTITY a "b"><OME/>`, 'entity_forbidden', { line: 1, column: 1 });
    expectRefused(`<OME>\n  <!ELEMENT x ANY>\n</OME>`, 'declaration_forbidden', { line: 2, column: 3 });
  });

  it('refuses a reference to an undeclared entity, naming where it is', () => {
    expectRefused(OME(`\n<Image ID="Image:1" Name="a &nbsp; b"/>`), 'entity_forbidden', { line: 2 });
  });

  it('refuses a document over the size limit, as text or as bytes, before reading it', () => {
    const big = OME(`<Image ID="Image:1" Name="${'x'.repeat(2000)}"/>`);
    for (const input of [big, Buffer.from(big)]) {
      const error = refusal(input, { maxBytes: 1024 });
      expect(error.code).toBe('too_large');
      expect(error.message).toMatch(/over the limit of 1024/);
    }
  });

  it('counts the limit in UTF-8 bytes, not characters', () => {
    const xml = OME(`<Image ID="Image:1" Name="${'é'.repeat(300)}"/>`); // 300 characters, 600 bytes
    expect(refusal(xml, { maxBytes: xml.length + 10 }).code).toBe('too_large');
  });

  it('refuses nesting deeper than the limit, at the element that crosses it', () => {
    const deep = `<OME>${'<a>'.repeat(100)}${'</a>'.repeat(100)}</OME>`;
    const error = expectRefused(deep, 'too_deep', { line: 1 });
    expect(error.column).toBe(6 + 63 * 3); // the 64th <a>, at depth 65, is the first too deep
    expect(refusal(`<OME><a><b><c/></b></a></OME>`, { maxBytes: 1 << 20, maxDepth: 3 }).code).toBe('too_deep');
  });

  it('survives a hostile run of white space inside a tag (time grows linearly, no quadratic backtracking)', () => {
    const hostile = (spaces: number): string => `<OME><Image ID="Image:1"${' '.repeat(spaces)}x</OME>`;
    expectRefused(hostile(200_000), 'malformed');
    // Best of several runs, compared within this run: ten times the input costs about ten times
    // the time when linear, a hundred times when quadratic.
    const fastest = (spaces: number): number => {
      const input = hostile(spaces);
      let best = Infinity;
      for (let i = 0; i < 7; i++) {
        const started = performance.now();
        refusal(input);
        best = Math.min(best, performance.now() - started);
      }
      return best;
    };
    fastest(1_000); // warm-up
    expect(fastest(500_000) / fastest(50_000)).toBeLessThan(40);
  });
});

describe('malformed transfer.xml names the place', () => {
  it('an unclosed element: the closing tag that does not match', () => {
    const xml = `<OME>\n  <Image ID="Image:1">\n    <Description>x</Description>\n</OME>`;
    const error = expectRefused(xml, 'malformed', { line: 4, column: 1 });
    expect(error.message).toMatch(/expected <\/Image> but found <\/OME>/);
  });

  it('a truncated file (an upload cut short)', () => {
    const xml = `<OME>\n  <Image ID="Image:1" Name="a">\n    <Description>x</Description>`;
    const error = expectRefused(xml, 'malformed', { line: 3 });
    expect(error.message).toMatch(/not closed \(truncated file\?\)/);
  });

  it('an unquoted attribute', () => {
    expectRefused(`<OME>\n\n   <Image ID=Image:1/></OME>`, 'malformed', { line: 3, column: 4 });
  });

  it('a < inside an attribute value, a stray &, a character reference to no XML character', () => {
    expectRefused(OME(`<Image ID="Image:1" Name="a < b"/>`), 'malformed');
    expectRefused(OME(`<Image ID="Image:1" Name="a & b"/>`), 'malformed');
    expectRefused(OME(`<Image ID="Image:1" Name="a &#0; b"/>`), 'malformed');
  });

  it('text outside the root, two roots, no root', () => {
    expectRefused(`<OME/>junk`, 'malformed', { line: 1, column: 7 });
    expectRefused(`<OME/>\n<OME/>`, 'malformed', { line: 2, column: 1 });
    expectRefused(`<?xml version="1.0"?>`, 'malformed');
    expectRefused(``, 'malformed');
  });

  it('bytes that are not UTF-8', () => {
    expectRefused(Buffer.from([0x3c, 0x4f, 0x4d, 0x45, 0x3e, 0xff, 0xfe, 0x3c, 0x2f, 0x4f, 0x4d, 0x45, 0x3e]), 'malformed');
  });

  it('an element named like a JavaScript prototype property', () => {
    expectRefused(OME(`<__proto__ polluted="yes"/>`), 'malformed');
  });

  it('a root that is not OME', () => {
    expectRefused(`<Project ID="Project:1"/>`, 'not_ome', { line: 1, column: 1 });
  });
});

describe('schema faults name the element', () => {
  it('an Image without ID', () => {
    const xml = OME(`\n  <Image ID="Image:1" Name="a"/>\n  <Image Name="b">\n  </Image>\n`);
    expectRefused(xml, 'missing_id', { path: '/OME/Image[2]', line: 3, column: 3 });
  });

  it('an ID with white space', () => {
    expectRefused(OME(`<Image ID="Image: 1"/>`), 'invalid_id', { path: '/OME/Image[1]' });
  });

  it('a reference to an id that does not exist', () => {
    const xml = OME(`\n<Dataset ID="Dataset:1" Name="d">\n  <ImageRef ID="Image:1"/>\n  <ImageRef ID="Image:404"/>\n</Dataset>\n<Image ID="Image:1"/>`);
    const error = expectRefused(xml, 'dangling_ref', { path: '/OME/Dataset[1]/ImageRef[2]', line: 4, column: 3 });
    expect(error.message).toMatch(/no Image with ID Image:404/);
  });

  it('an AnnotationRef, a ROIRef or a PlateRef to nothing', () => {
    expectRefused(OME(`<Image ID="Image:1"><AnnotationRef ID="Annotation:9"/></Image>`), 'dangling_ref', { path: '/OME/Image[1]/AnnotationRef[1]' });
    expectRefused(OME(`<Image ID="Image:1"><ROIRef ID="lsid:9"/></Image>`), 'dangling_ref', { path: '/OME/Image[1]/ROIRef[1]' });
    expectRefused(OME(`<Screen ID="Screen:1"><PlateRef ID="Plate:9"/></Screen>`), 'dangling_ref', { path: '/OME/Screen[1]/PlateRef[1]' });
  });

  it('two Images with one ID', () => {
    expectRefused(OME(`<Image ID="Image:1"/><Image ID="Image:1"/>`), 'duplicate_id', { path: '/OME/Image[2]' });
  });

  it('a size, row, column or Long value that is not an integer', () => {
    expectRefused(OME(`<Image ID="Image:1"><Pixels SizeX="1.5"/></Image>`), 'invalid_value', { path: '/OME/Image[1]/Pixels[1]' });
    expectRefused(OME(`<Plate ID="Plate:1"><Well ID="Well:1" Row="-1" Column="0"/></Plate>`), 'invalid_value', { path: '/OME/Plate[1]/Well[1]' });
    expectRefused(OME(`<Plate ID="Plate:1"><Well ID="Well:1" Row="0"/></Plate>`), 'invalid_value', { path: '/OME/Plate[1]/Well[1]' });
    expectRefused(OME(`<StructuredAnnotations><LongAnnotation ID="Annotation:1"><Value>five</Value></LongAnnotation></StructuredAnnotations>`), 'invalid_value', {
      path: '/OME/StructuredAnnotations[1]/LongAnnotation[1]',
    });
  });

  const pathXml = (path: string): string =>
    OME(`<Image ID="Image:1"><AnnotationRef ID="Annotation:1"/></Image>
      <StructuredAnnotations><XMLAnnotation ID="Annotation:1" Namespace="openmicroscopy.org/cli/transfer">
        <Value><CLITransferServerPath><Path>${path}</Path></CLITransferServerPath></Value>
      </XMLAnnotation></StructuredAnnotations>`);

  it.each(['../../etc/passwd', 'root_0/../../x.tif', '/etc/passwd', 'C:\\Windows\\x.tif'])('a path that leaves the archive: %s', (path) => {
    expectRefused(pathXml(path), 'unsafe_path', { path: '/OME/StructuredAnnotations[1]/XMLAnnotation[1]' });
  });

  it('a legacy path comment that leaves the archive', () => {
    const xml = OME(`<Image ID="Image:1"><AnnotationRef ID="Annotation:-5"/></Image>
      <StructuredAnnotations><CommentAnnotation ID="Annotation:-5" Namespace="Image:1"><Value>../x</Value></CommentAnnotation></StructuredAnnotations>`);
    expectRefused(xml, 'unsafe_path', { path: '/OME/StructuredAnnotations[1]/CommentAnnotation[1]' });
  });

  it('one path named both as a file and as a fileset directory', () => {
    const xml = OME(`<Image ID="Image:1"><AnnotationRef ID="Annotation:1"/></Image><Image ID="Image:2"><AnnotationRef ID="Annotation:2"/></Image>
      <StructuredAnnotations>
        <XMLAnnotation ID="Annotation:1"><Value><CLITransferServerPath><Path>a/b</Path></CLITransferServerPath></Value></XMLAnnotation>
        <XMLAnnotation ID="Annotation:2"><Value><CLITransferServerPath><Path>a/b/mock_folder</Path></CLITransferServerPath></Value></XMLAnnotation>
      </StructuredAnnotations>`);
    expectRefused(xml, 'path_conflict');
  });
});
