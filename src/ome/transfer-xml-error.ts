/**
 * Why a transfer.xml (or an OME-XML header) was refused. None of these is worth retrying: the
 * same bytes give the same answer, so the pipeline maps every code to an unrecoverable failure.
 */
export type TransferXmlErrorCode =
  /** Larger than the configured limit (`config.limits.maxXmlBytes`). */
  | 'too_large'
  /** A DOCTYPE: refused before parsing, so no entity can ever be declared or expanded. */
  | 'doctype_forbidden'
  /** An `<!ENTITY` declaration, or a reference to an entity other than the five XML ones. */
  | 'entity_forbidden'
  /** Any other markup declaration (`<!ELEMENT`, `<!ATTLIST`, `<!NOTATION`). */
  | 'declaration_forbidden'
  /** Elements nested deeper than the limit. */
  | 'too_deep'
  /** Not well-formed XML (unbalanced tags, bad attribute syntax, text outside the root...). */
  | 'malformed'
  /** Well-formed, but the root element is not OME. */
  | 'not_ome'
  /** An element the mapping needs has no ID. */
  | 'missing_id'
  /** An ID with white space in it, or empty. */
  | 'invalid_id'
  /** Two elements of one kind with the same ID. */
  | 'duplicate_id'
  /** A *Ref to an ID that no element has. */
  | 'dangling_ref'
  /** An attribute or value of the wrong shape (non-integer SizeX, Row, Long value...). */
  | 'invalid_value'
  /** A file path that is absolute or climbs out of the archive with `..`. */
  | 'unsafe_path'
  /** One path named both as a file and as a fileset directory. */
  | 'path_conflict';

export interface TransferXmlErrorInit {
  readonly code: TransferXmlErrorCode;
  readonly message: string;
  /** 1-based line of the offending element or character, when known. */
  readonly line?: number | undefined;
  /** 1-based column (in UTF-16 code units) of the offending element or character. */
  readonly column?: number | undefined;
  /** The element, XPath-like with 1-based positions among same-named siblings: `/OME/Image[2]`. */
  readonly path?: string | undefined;
  readonly cause?: unknown;
}

export class TransferXmlError extends Error {
  override readonly name = 'TransferXmlError';
  readonly code: TransferXmlErrorCode;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly path: string | undefined;
  /** The message without the position suffix. */
  readonly detail: string;

  constructor(init: TransferXmlErrorInit) {
    const where = [
      init.path,
      init.line === undefined ? undefined : `line ${init.line}${init.column === undefined ? '' : `, column ${init.column}`}`,
    ]
      .filter((s) => s !== undefined)
      .join(', ');
    super(where ? `${init.message} (${where})` : init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.detail = init.message;
    this.line = init.line;
    this.column = init.column;
    this.path = init.path;
  }

  /** The same error with a position filled in (the position is found only on the error path). */
  withPosition(position: { line: number; column: number } | undefined): TransferXmlError {
    if (!position || this.line !== undefined) return this;
    return new TransferXmlError({
      code: this.code,
      message: this.detail,
      line: position.line,
      column: position.column,
      path: this.path,
      cause: this.cause,
    });
  }
}
