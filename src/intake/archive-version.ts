export interface VersionFacts {
  readonly size?: number | null | undefined;
  readonly checksum?: string | null | undefined;
  readonly modifiedAt?: Date | null | undefined;
}

function known<T>(v: T | null | undefined): v is T {
  return v !== null && v !== undefined;
}

/**
 * Whether two reports describe the same version of an archive. Events carry different subsets of
 * the facts (iput knows the size, the HTTP API's close nothing, a stat the modify time), so only
 * facts both sides know are compared; a difference in any of them means a new version.
 */
export function sameVersion(a: VersionFacts, b: VersionFacts): boolean {
  if (known(a.size) && known(b.size) && a.size !== b.size) return false;
  if (known(a.checksum) && known(b.checksum) && a.checksum !== b.checksum) return false;
  if (known(a.modifiedAt) && known(b.modifiedAt) && a.modifiedAt.getTime() !== b.modifiedAt.getTime()) return false;
  return true;
}
