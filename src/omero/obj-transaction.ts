/**
 * The lines of an `omero obj --file` transaction (omero-py src/omero/plugins/obj.py). The plugin
 * reads the file line by line (`fileinput`), strips each line, skips blank ones and `#` comments,
 * and splits the rest with `shlex.split` (TxCmd._parse_early); `name = …` in front keeps the
 * result in a variable that a later field can use as `field@=name` (TxField). The object an
 * action works on (`map-set MapAnnotation:5 …`) is never a variable: it must be a literal id.
 * Each action prints its result on a line of stdout, in order (TxState.set_value).
 */

/** What the link class of each annotated type is called (omero.model: ImageAnnotationLink, …). */
export type AnnotatableType = 'Image' | 'Project' | 'Dataset' | 'Screen' | 'Plate';

export const LINK_CLASS: Readonly<Record<AnnotatableType, string>> = {
  Image: 'ImageAnnotationLink',
  Project: 'ProjectAnnotationLink',
  Dataset: 'DatasetAnnotationLink',
  Screen: 'ScreenAnnotationLink',
  Plate: 'PlateAnnotationLink',
};

// Python's shlex.quote: anything outside this set is quoted.
const SAFE = /^[\w@%+=:,./-]+$/;

/** One word as Python's `shlex.quote` writes it, so `shlex.split` gives it back unchanged. */
export function shlexQuote(word: string): string {
  if (word === '') return "''";
  // \w in Python's pattern is ASCII-only (re.ASCII), as JavaScript's is.
  if (SAFE.test(word)) return word;
  return `'${word.replaceAll("'", `'"'"'`)}'`;
}

/** A file line is read up to a line break, so no word may hold one (the caller normalises them). */
function word(text: string): string {
  if (/[\r\n]/.test(text)) throw new RangeError(`a transaction file cannot hold a line break: ${JSON.stringify(text)}`);
  return shlexQuote(text);
}

// A variable name, as TxCmd.VAR_NAME takes it.
const VARIABLE = /^[a-zA-Z][a-zA-Z0-9]*$/;

/** `<variable> = new MapAnnotation ns=<namespace>`: prints `MapAnnotation:<id>`. */
export function newMapAnnotationLine(variable: string, namespace: string): string {
  if (!VARIABLE.test(variable)) throw new RangeError(`not a transaction variable name: ${variable}`);
  return `${variable} = new MapAnnotation ${word(`ns=${namespace}`)}`;
}

/** `new <Type>AnnotationLink parent=<Type>:<id> child@=<variable>`: prints `<Type>AnnotationLink:<id>`. */
export function newLinkLine(type: AnnotatableType, id: string, annotationVariable: string): string {
  if (!/^\d+$/.test(id)) throw new RangeError(`not an OMERO id: ${id}`);
  if (!VARIABLE.test(annotationVariable)) throw new RangeError(`not a transaction variable name: ${annotationVariable}`);
  return `new ${LINK_CLASS[type]} parent=${type}:${id} child@=${annotationVariable}`;
}

/**
 * `map-set MapAnnotation:<id> mapValue <key> [<value>]` (MapSetTxAction): with a value, replaces
 * the value of the first pair named `key` or appends one; without, removes every pair named
 * `key`. Prints `MapAnnotation:<id>`.
 */
export function mapSetLine(annotationId: string, key: string, value?: string): string {
  if (!/^\d+$/.test(annotationId)) throw new RangeError(`not an OMERO id: ${annotationId}`);
  return ['map-set', `MapAnnotation:${annotationId}`, 'mapValue', word(key), ...(value === undefined ? [] : [word(value)])].join(' ');
}

/** The `Class:id` results an `obj` run printed, in order (other lines ignored). */
export function printedObjects(stdoutLines: readonly string[]): { type: string; id: string }[] {
  const out: { type: string; id: string }[] = [];
  for (const line of stdoutLines) {
    const m = /^([A-Za-z]+):(\d+)$/.exec(line.trim());
    if (m) out.push({ type: m[1] as string, id: m[2] as string });
  }
  return out;
}
