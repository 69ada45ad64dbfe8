// Builders of normal and hostile archives for tests (any engineer's): each writes a scratch file
// and returns its path; call removeTempArchives() in afterAll.
export { tempArchivePath, tempDir, writeArchive, removeTempArchives } from './temp-files.js';
export { buildZip, type ZipEntrySpec, type BuildOptions } from './zip-builder.js';
export { buildTar, buildTarGz, type TarEntrySpec, type TarBuildOptions } from './tar-builder.js';
export { craftZip, craftZipBytes, type CraftedZipEntry, type CraftZipOptions } from './zip-crafter.js';
export {
  craftTar,
  craftTarBytes,
  gnuLongName,
  paxEntry,
  paxRecords,
  tarDirectory,
  tarFile,
  tarHeader,
  type CraftedTarEntry,
  type CraftTarOptions,
  type TarHeaderSpec,
} from './tar-crafter.js';
export * from './hostile-archives.js';
export {
  GeneratedSource,
  bytesSegment,
  deflateStoredSegment,
  generatedTar,
  generatedTarGz,
  generatedZip,
  randomSegment,
  segmentCrc32,
  zeroSegment,
  type GeneratedEntry,
  type Segment,
} from './generated-source.js';
export { simulatedRangedSource, type RangedRequest, type RangedStats, type SimulatedRangedSource } from './ranged-source.js';
export { extractWithSystemTool, runSystemTool, snapshotThroughReader, type TreeSnapshot } from './system-extract.js';
