import type { Registration } from '../../../omero/index.js';

/** `detail.omero` of a finished step: what the archives feed shows OMERO-side tools. */
export interface RegistrationDetail extends Registration {
  readonly server: string;
  /** The server's name in the agent's configuration (absent in registrations made before there were several). */
  readonly server_name?: string;
  readonly user: string;
  readonly group: string | null;
  readonly mode: 'ln_s' | 'upload';
  readonly merge: boolean;
  readonly folder: string;
  readonly registered_at: string;
  readonly run: number;
  readonly kept_from_run?: number;
  readonly import: {
    readonly imports: number;
    readonly images_imported: number;
    readonly import_errors: number;
    readonly no_imports: number;
    /** What the importers said went wrong: only when images are missing (see unpack-record.ts). */
    readonly error_lines?: readonly string[];
  };
}
