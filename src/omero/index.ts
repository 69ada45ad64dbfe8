/**
 * OMERO through its CLI (OMERO.py + omero-cli-transfer), as France BioImaging's omero-quay does:
 * running it safely (process, session), reading what it prints, and learning what it made.
 * Nothing here knows iRODS; the pipeline's omero step connects the two.
 */
export { runProcess, ProcessStartError, type ProcessOutcome, type ProcessRun } from './cli-process.js';
export { OmeroCliError, type OmeroCliErrorCode } from './omero-cli-error.js';
export { classifyExit, lastReason, type ExitClass } from './exit-status.js';
export { OmeroCli, type ObjRun, type OmeroCliOptions, type OmeroConnection, type UnpackOptions, type UnpackRun } from './omero-cli.js';
export { openOmeroSession, type OmeroSession, type OmeroSessionOptions } from './omero-session.js';
export { UnpackOutputParser, type UnpackReport } from './unpack-output.js';
export { ErrorLineCollector, isErrorLine } from './error-lines.js';
export { diagnoseImportErrors, firstImporterWords } from './import-diagnosis.js';
export { importedAnything, readUnpackRecord, unpackRecord, type UnpackFacts, type UnpackRecord } from './unpack-record.js';
export { describeIceException, lastIceException, type PrintedIceException } from './ice-exception.js';
export { parseHqlRows } from './hql-output.js';
export { mountedPath, type ZoneMount } from './mount-path.js';
export {
  archivePathOf,
  compareIds,
  pairContainers,
  pairImages,
  relativeClientPath,
  sourceContainers,
  type ContainerLink,
  type ImportedImage,
  type RegisteredContainer,
  type RegisteredImage,
  type Registration,
  type SourceContainer,
} from './registration.js';
export { lookupRegistration, REGISTRATION_QUERIES } from './registration-lookup.js';
export {
  registrationAvus,
  registrationAttribute,
  registrationAttributes,
  parseRegistrationAttribute,
  isRegistrationAttributeOf,
  OMERO_ID_ATTRIBUTES,
  OMERO_ID_PREFIX,
  REGISTRATION_FIELDS,
  type RegistrationFacts,
  type RegistrationField,
  type RegistrationServer,
} from './registration-avus.js';
export { stageFolder, StagingError, type StagedFolder, type StagingErrorCode, type StagingInput } from './staging-folder.js';
export { LINK_CLASS, mapSetLine, newLinkLine, newMapAnnotationLine, printedObjects, shlexQuote, type AnnotatableType } from './obj-transaction.js';
export { ANNOTATION_QUERIES, keepMapAnnotations, mapSetPlan, type AnnotationTarget, type KeptAnnotation, type Pair } from './map-annotations.js';
export { expandIdRanges, isMissingTarget, parseDeleteOutput, type DeleteReport } from './delete-output.js';
export { removeRegistration, UNREGISTRATION_QUERIES, type RegisteredObjects, type RemovedRegistration } from './unregistration.js';
