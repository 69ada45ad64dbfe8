/**
 * What PostgreSQL cannot store: NUL in text, and NUL or an unpaired UTF-16 surrogate in jsonb
 * (`\u0000` and a lone `\ud800` are refused, 22P05 / 22P02). Entry names of hostile archives,
 * error messages quoting them and the bodies of refused events can hold both; a write that
 * fails on them must not lose the fact it records, so every free text bound for the database
 * passes through here. Each offending code unit becomes U+FFFD, the replacement character.
 */
// Without the `u` flag a regex sees UTF-16 code units: a high surrogate not followed by a low
// one, or a low one not preceded by a high one, is unpaired.
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
// How those show after JSON.stringify: escaped as \u0000 and \udXXX (paired surrogates are not).
const UNSTORABLE_ESCAPED = /\\u0000|\\ud[89a-f]/i;

/** Whether PostgreSQL can store `text` as it is (in text and in jsonb). */
export function isStorableText(text: string): boolean {
  UNSTORABLE.lastIndex = 0;
  return !UNSTORABLE.test(text);
}

export function safeText(text: string): string;
export function safeText(text: string | null | undefined): string | null | undefined;
export function safeText(text: string | null | undefined): string | null | undefined {
  if (typeof text !== 'string') return text;
  return isStorableText(text) ? text : text.replace(UNSTORABLE, '\ufffd');
}

/**
 * JSON text for a jsonb parameter. Clean values (nearly all) cost one scan of the text; only
 * when it shows an escape PostgreSQL refuses is the value serialised again with every string
 * made safe.
 */
export function safeJson(value: unknown): string {
  const text = JSON.stringify(value);
  if (!UNSTORABLE_ESCAPED.test(text)) return text;
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? safeText(v) : v));
}

const RENDERED_CHARS = 500;

/**
 * A failure's message in plain printable ASCII (other characters escaped as in JSON), short:
 * what is recorded when PostgreSQL refused the message as it was, so that the failure itself
 * is never lost.
 */
export function safeRendering(message: string): string {
  const short = message.length > RENDERED_CHARS ? `${message.slice(0, RENDERED_CHARS)}...` : message;
  return JSON.stringify(short)
    .slice(1, -1)
    .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
