import type { IrodsClient } from '../../irods/types.js';
import { parseUserName, type PermissionDecision, type PermissionPlan } from '../../users/index.js';
import { StepFailure } from '../step-errors.js';

const GROUP_TYPE = 'rodsgroup';

interface Grantee {
  readonly entityName: string;
  readonly kind: 'user' | 'group';
  readonly decisions: PermissionDecision[];
}

/**
 * Before any ACL changes: every user and group the plan grants to must exist in iRODS, and be
 * of the kind the mapping says. A name iRODS does not know is a broken mapping (a typo, someone
 * who left, a remote user never registered with `iadmin mkuser name#zone`): the job fails,
 * not retryable, naming the entity and the place in the mapping file, and nothing is granted.
 * Granting the others and only warning would leave the data's owner without access behind a
 * "succeeded" job, which nobody would notice; failing shows it on the archive's status AVUs and
 * in the admin API, and a replay after the fix finishes the job. A group named as a user (or the
 * reverse) would hand the data to a group's members, so it fails the same way.
 * One users.stat per distinct entity: a handful per job, whatever the size of the tree.
 */
export async function checkPlannedEntities(irods: IrodsClient, plan: PermissionPlan): Promise<number> {
  const granted = new Set<string>();
  for (const batch of plan.batches) for (const op of batch.operations) granted.add(op.entityName);
  const grantees = new Map<string, Grantee>();
  for (const d of plan.decisions) {
    if (d.entityName === undefined || d.entityKind === undefined || !granted.has(d.entityName)) continue;
    const g = grantees.get(d.entityName) ?? { entityName: d.entityName, kind: d.entityKind, decisions: [] };
    g.decisions.push(d);
    grantees.set(d.entityName, g);
  }

  const problems = (
    await Promise.all(
      [...grantees.values()].map(async (g): Promise<{ grantee: Grantee; problem: string } | undefined> => {
        const parsed = parseUserName(g.entityName);
        const name = parsed?.name ?? g.entityName;
        const zone = parsed?.zone;
        const info = await irods.users.stat(name, zone === undefined ? undefined : { zone });
        if (!info.exists) {
          const hint = zone === undefined ? '' : ` (a user of another zone must also be registered here: iadmin mkuser ${g.entityName} rodsuser)`;
          return { grantee: g, problem: `${describe(g)} does not exist in iRODS${hint}` };
        }
        const isGroup = info.type === GROUP_TYPE;
        if (g.kind === 'user' && isGroup) return { grantee: g, problem: `${describe(g)} is a group in iRODS, not a user` };
        if (g.kind === 'group' && !isGroup) return { grantee: g, problem: `${describe(g)} is a ${info.type ?? 'user'} in iRODS, not a group` };
        return undefined;
      }),
    )
  ).filter((p): p is { grantee: Grantee; problem: string } => p !== undefined);

  if (problems.length > 0) {
    const first = problems[0] as { grantee: Grantee };
    const mapping = plan.map.source ?? 'the built-in defaults (AGENT_USER_MAP is not set)';
    throw new StepFailure(
      first.grantee.kind === 'group' ? 'unknown_irods_group' : 'unknown_irods_user',
      `Cannot grant access to the expanded archive: ${problems.map((p) => p.problem).join('; ')}. Nothing was granted. ` +
        `Create it in iRODS or correct the user mapping (${mapping}), then replay the job.`,
      { retryable: false },
    );
  }
  return grantees.size;
}

/** Who the entity is for, in the words of the mapping file. */
function describe(g: Grantee): string {
  const parts = g.decisions.map((d) => {
    if (d.subject === 'uploader') return 'the uploader';
    if (d.subject === 'original_user') return `${d.rule}, for OMERO user '${d.omeroName ?? ''}'`;
    if (d.subject === 'original_group') return `${d.rule}, for OMERO group '${d.omeroName ?? ''}'`;
    return d.rule;
  });
  return `iRODS ${g.kind} '${g.entityName}' (${[...new Set(parts)].join(', ')})`;
}
