import { randomBytes } from 'node:crypto';
import { deflateRawSync, crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bufferSource, openArchive } from '../../../src/archive/index.js';
import { endOfCentralDirectory } from '../../support/archives/generated-source.js';
import { LIMITS } from './read-outcome.js';

interface MacFile {
  readonly name: string;
  readonly data: Buffer;
}

/**
 * A zip laid out as macOS Archive Utility writes it: deflated entries with a data descriptor
 * (local header CRC and sizes zero), version made by 0x0315, one 8-byte "UX" extra field in the
 * central directory and 16 bytes of extra field in each local header. yauzl-promise treats such
 * a zip as maybe-Mac and corrects sizes as it streams, so the agent must read it through yauzl.
 */
function macStyleZip(files: readonly MacFile[], tamper?: (data: Buffer) => void): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const name = Buffer.from(file.name);
    const deflated = deflateRawSync(file.data);
    if (tamper) tamper(deflated);
    const crc = crc32(file.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(16, 28);
    const localExtra = Buffer.alloc(16);
    localExtra.writeUInt16LE(0x5855, 0);
    localExtra.writeUInt16LE(12, 2);
    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(crc, 4);
    descriptor.writeUInt32LE(deflated.length, 8);
    descriptor.writeUInt32LE(file.data.length, 12);
    const record = Buffer.concat([local, name, localExtra, deflated, descriptor]);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(789, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(deflated.length, 20);
    central.writeUInt32LE(file.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(12, 30);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    const centralExtra = Buffer.alloc(12);
    centralExtra.writeUInt16LE(22613, 0);
    centralExtra.writeUInt16LE(8, 2);
    centrals.push(Buffer.concat([central, name, centralExtra]));
    locals.push(record);
    offset += record.length;
  }
  const directory = Buffer.concat(centrals);
  return Buffer.concat([...locals, directory, endOfCentralDirectory(files.length, directory.length, offset)]);
}

async function readAll(zip: Buffer): Promise<Record<string, Buffer>> {
  const reader = await openArchive(bufferSource(zip), 'zip', LIMITS);
  const out: Record<string, Buffer> = {};
  try {
    for await (const entry of reader) {
      const chunks: Buffer[] = [];
      for await (const chunk of await entry.open()) chunks.push(chunk as Buffer);
      out[entry.path] = Buffer.concat(chunks);
    }
  } finally {
    await reader.close();
  }
  return out;
}

describe('zips laid out by macOS Archive Utility', () => {
  const files = [
    { name: 'transfer.xml', data: Buffer.from('<OME/>'.repeat(500)) },
    { name: 'pixel-images/1/a.tif', data: Buffer.alloc(100_000, 7) },
  ];

  it('are read through yauzl, byte for byte', async () => {
    const read = await readAll(macStyleZip(files));
    expect(Object.keys(read)).toEqual(['transfer.xml', 'pixel-images/1/a.tif']);
    for (const f of files) expect(read[f.name]?.equals(f.data)).toBe(true);
  });

  it('still fail the CRC-32 check when their data was altered', async () => {
    // Random bytes do not compress: deflate stores them, so a flipped byte still decodes.
    const tampered = macStyleZip([{ name: 'noise.bin', data: randomBytes(50_000) }], (deflated) => {
      const middle = Math.floor(deflated.length / 2);
      deflated.writeUInt8((deflated.readUInt8(middle) ^ 0x01) & 0xff, middle);
    });
    await expect(readAll(tampered)).rejects.toMatchObject({ reason: 'crc_mismatch' });
  });
});
