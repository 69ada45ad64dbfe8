/**
 * OME metadata of an OMERO transfer archive: transfer.xml (and OME-TIFF headers) → a typed model
 * → plain AVU lists per iRODS object. No iRODS I/O here; docs/avu-mapping.md is the contract.
 */
export { TransferXmlError, type TransferXmlErrorCode } from './transfer-xml-error.js';
export type * from './transfer-model.js';
export { isTransferToolAnnotation } from './transfer-model.js';
export {
  parseTransferXml,
  transferXmlParserOptions,
  RATING_NAMESPACE,
  TRANSFER_NAMESPACE,
  type ParseTransferXmlOptions,
} from './parse-transfer-xml.js';
export { DEFAULT_MAX_XML_DEPTH } from './safe-xml-parse.js';
export { normaliseArchivePath, FIGURE_NAMESPACE } from './archive-path.js';
export { packingTimestampToIso } from './packing-timestamp.js';
export { referencedFiles, missingReferencedFiles, type ReferencedFile } from './referenced-files.js';
export { EMPTY_VALUE, OME_AVU_PREFIX, TRUNCATION_MARKER, type AvuTarget } from './avu.js';
export { formatUnits, localId, parseUnits, type Scope, type ScopeType, type UnitsParts } from './avu-units.js';
export { mapTransferToAvus, pairOmeTiffImages, wellName, type AvuMappingOptions } from './avu-mapping.js';
export { decodeMapAnnotations, type DecodedMapAnnotation } from './map-annotation-decoding.js';
export {
  parseOmeXmlMetadata,
  formatOmeColor,
  type OmeChannel,
  type OmeMicroscope,
  type OmeObjective,
  type OmeXmlImage,
  type OmeXmlMetadata,
  type ParseOmeXmlOptions,
  type PhysicalSize,
} from './ome-xml-metadata.js';
export {
  readOmeTiffXml,
  readOmeTiffMetadata,
  isOmeTiffCandidate,
  omeTiffCandidates,
  OmeTiffError,
  type OmeTiffErrorCode,
  type TiffSource,
  type ReadOmeTiffOptions,
} from './ome-tiff-reader.js';
