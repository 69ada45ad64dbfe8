/**
 * Turning the raw bytes of an entry name into a string, without ever guessing silently.
 *
 * iRODS logical paths are UTF-8. A name whose bytes are not valid UTF-8 is refused
 * (`invalid_utf8`) rather than decoded with replacement characters: two different hostile names
 * would otherwise collapse into one, and the scientist would find files under names they never
 * chose.
 *
 * Zip names without the UTF-8 flag (general purpose bit 11): APPNOTE says CP437. In practice
 * macOS Archive Utility and Info-ZIP on Linux write the bytes of the user's (UTF-8) locale without
 * setting the flag, and a CP437 name that happens to be valid multi-byte UTF-8 is vanishingly
 * rare. So: valid UTF-8 is taken as UTF-8 (which covers every ASCII name), anything else is
 * decoded as CP437 as the spec says. Such a name is never refused for its encoding.
 */

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The bytes as UTF-8, or undefined when they are not valid UTF-8. */
export function decodeUtf8Strict(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** The bytes as UTF-8 with U+FFFD for invalid sequences: only for showing a refused name. */
export function decodeUtf8Lossy(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

// Code page 437, upper half (0x80-0xFF). The lower half is ASCII: control bytes stay control
// characters (not the CP437 glyphs), so path safety still sees and refuses them.
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐' +
  '└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

/** The bytes as CP437 (the zip default when the UTF-8 flag is not set). */
export function decodeCp437(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b < 0x80 ? String.fromCharCode(b) : (CP437_HIGH[b - 0x80] ?? '');
  return out;
}

export type ZipNameDecoding =
  | { readonly ok: true; readonly name: string; readonly encoding: 'utf8' | 'cp437' }
  | { readonly ok: false; readonly shown: string };

/**
 * Decodes a zip entry name. `unicodePath` is the UTF-8 name from an Info-ZIP Unicode Path extra
 * field (0x7075) whose CRC matched the raw name: when present it wins, as APPNOTE 4.6.9 says.
 */
export function decodeZipName(raw: Uint8Array, utf8Flag: boolean, unicodePath?: Uint8Array): ZipNameDecoding {
  const explicit = unicodePath ?? (utf8Flag ? raw : undefined);
  if (explicit !== undefined) {
    const name = decodeUtf8Strict(explicit);
    return name === undefined ? { ok: false, shown: decodeUtf8Lossy(explicit) } : { ok: true, name, encoding: 'utf8' };
  }
  const asUtf8 = decodeUtf8Strict(raw);
  return asUtf8 !== undefined ? { ok: true, name: asUtf8, encoding: 'utf8' } : { ok: true, name: decodeCp437(raw), encoding: 'cp437' };
}
