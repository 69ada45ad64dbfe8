import type { DataObject, Replica } from '../catalog.js';
import { physicalPathFor } from '../replica-placement.js';
import type { Zone } from '../zone.js';

/** A data object whose logical path changed, and the path it had. */
export interface MovedObject {
  readonly object: DataObject;
  readonly oldPath: string;
}

/**
 * After a rename (or a move to the trash) the files of the object's vault replicas follow the
 * logical path (rsDataObjRename → syncDataObjPhyPath, rsRmColl/syncCollPhyPath for collections):
 * a replica whose DATA_PATH is where the vault policy put it for the old path moves to where
 * it puts it for the new one. Registered files and replicas placed elsewhere stay where they are.
 * A file that cannot move (the new path too long for the file system) keeps its DATA_PATH, where
 * iRODS would fail the rename instead (README: simplifications).
 */
export function movePhysicalFiles(zone: Zone, moved: readonly MovedObject[]): void {
  for (const { object, oldPath } of moved) {
    for (const replica of object.replicas) {
      if (!replica.inVault) continue;
      let from: string;
      let to: string;
      try {
        from = physicalPathFor(replica.resource, oldPath);
        to = physicalPathFor(replica.resource, object.path);
      } catch {
        continue;
      }
      if (replica.physicalPath !== from || from === to) continue;
      try {
        zone.vault.move(from, to);
        replica.physicalPath = to;
      } catch {
        // Left in place; DATA_PATH still names it.
      }
    }
  }
}

/** Physically removes vault replicas; registered files are only unregistered (rsDataObjUnlink). */
export async function deleteReplicaFiles(zone: Zone, replicas: readonly Replica[]): Promise<void> {
  for (const replica of replicas) if (replica.inVault) await zone.vault.remove(replica.physicalPath);
}
