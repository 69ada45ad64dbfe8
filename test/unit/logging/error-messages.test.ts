import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ArchiveRejected } from '../../../src/archive/index.js';
import { createLogger } from '../../../src/logging/logger.js';
import type { StepFailure } from '../../../src/pipeline/step-errors.js';
import { asStepFailure } from '../../../src/pipeline/steps/archive-failure.js';

/** What a logger writes, one parsed line per record. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, log: createLogger({ level: 'info' }, sink) };
}

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

describe('error messages in log lines', () => {
  it('says a refusal once when the step failure wraps the archive rejection carrying the same sentence', () => {
    const sentence = 'The archive was refused: entry "link" is a symbolic link; only files and folders can be expanded.';
    const failure = asStepFailure(new ArchiveRejected('unsupported_entry_type', sentence, 'link')) as StepFailure;
    const { lines, log } = capture();
    log.error({ err: failure }, 'step failed; job failed');
    const err = lines[0]?.err as { message: string; type: string; stack: string };
    expect(err.message).toBe(sentence);
    expect(occurrences(err.message, 'The archive was refused')).toBe(1);
    // The cause is still there for whoever reads the stack.
    expect(err.stack).toContain('caused by: ArchiveRejected');
  });

  it('keeps a cause that adds something, after the message', () => {
    const { lines, log } = capture();
    log.warn({ err: new Error('could not write the status AVUs', { cause: new Error('connection refused') }) }, 'x');
    expect((lines[0]?.err as { message: string }).message).toBe('could not write the status AVUs: connection refused');
  });
});
