/**
 * The team use cases: create and delete teams, add and remove their members. Each runs inside the
 * mutation's transaction (`developerMutation`); ORG_ADMINs of the organization and portal admins.
 */
import type { Caller } from '../../../common/auth';
import { refusal } from '../../../common/errors';
import { checkIdempotencyKey, firstResultGone, idempotentCall, runIdempotent } from '../../../common/idempotency';
import { Validation } from '../../../common/mutation';
import type { Organization } from '../entities/organization';
import { OrganizationMember, OrganizationRole } from '../entities/organization-member';
import { App, AppVisibility } from '../entities/app';
import { Team } from '../entities/team';
import { TeamMember } from '../entities/team-member';
import { checkName, checkSubject } from './validation';
import { authorizeOrganization, authorizeTeam, requireActive } from './authorize';
import type { Ops } from '../../../common/ops';

export type TeamResult = { team: Team | null };

export interface CreateTeamCommand {
  organizationId: string;
  name: string;
  idempotencyKey?: string | null;
}

export interface TeamMemberCommand {
  teamId: string;
  subject: string;
}

/** `createTeam`: a team in an ACTIVE organization. */
export async function createTeam(ops: Ops, caller: Caller, input: CreateTeamCommand): Promise<TeamResult> {
  const { em } = ops;
  const { organization } = await authorizeOrganization({ caller }, em, input.organizationId, OrganizationRole.ORG_ADMIN);
  const name = input.name.trim();
  const v = new Validation();
  checkName(v, name, 'input.name');
  checkIdempotencyKey(v, input.idempotencyKey);
  v.done();
  const idempotency = idempotentCall('developers', caller.requireAuthenticated(), 'createTeam', input.idempotencyKey, {
    organizationId: organization.id,
    name,
  });
  return runIdempotent<TeamResult>(em, idempotency, ops.now, {
    replay: async (first) => {
      const team = await em.findOne(Team, { id: first.resultId }, { refresh: true });
      if (!team) throw firstResultGone('team');
      return { team };
    },
    resultOf: (result) => ({ id: result.team!.id }),
    run: async () => {
      requireActive(organization);
      const at = ops.now;
      const team = em.create(Team, { organization, name, createdAt: at, updatedAt: at });
      await em.flush();
      return { team };
    },
  });
}

/** `addTeamMember`: a member of the team's ACTIVE organization (NOT_A_MEMBER for anyone else). */
export async function addTeamMember(ops: Ops, caller: Caller, input: TeamMemberCommand): Promise<TeamResult> {
  const { em } = ops;
  const { team, organization } = await authorizeTeam({ caller }, em, input.teamId, OrganizationRole.ORG_ADMIN);
  const subject = input.subject.trim();
  checkSubject(new Validation(), subject, 'input.subject').done();
  requireActive(organization);
  if (!(await em.findOne(OrganizationMember, { organization, subject }))) {
    throw refusal('NOT_A_MEMBER', 'input.subject', "This subject is not a member of the team's organization: invite them first.");
  }
  if (!(await em.findOne(TeamMember, { team, subject }))) {
    em.create(TeamMember, { team, subject });
    await em.flush();
  }
  return { team };
}

/** `removeTeamMember`: removing someone who is not in the team changes nothing. */
export async function removeTeamMember(ops: Ops, caller: Caller, input: TeamMemberCommand): Promise<TeamResult> {
  const { em } = ops;
  const { team } = await authorizeTeam({ caller }, em, input.teamId, OrganizationRole.ORG_ADMIN);
  const subject = input.subject.trim();
  checkSubject(new Validation(), subject, 'input.subject').done();
  await em.nativeDelete(TeamMember, { team, subject });
  return { team };
}

/** `deleteTeam`: the team and its memberships; its apps stay in the organization without a team (TEAM apps become PERSONAL). */
export async function deleteTeam(
  ops: Ops,
  caller: Caller,
  input: { id: string },
): Promise<{ deletedTeamId: string | null; organization: Organization | null }> {
  const { em } = ops;
  const { team, organization } = await authorizeTeam({ caller }, em, input.id, OrganizationRole.ORG_ADMIN, 'input.id');
  // team_member rows cascade; apps keep their organization and lose the team (on delete set null).
  // A TEAM app becomes PERSONAL first: no member sees more of it than before.
  await em.nativeUpdate(App, { team: team.id, visibility: AppVisibility.TEAM }, { visibility: AppVisibility.PERSONAL });
  await em.nativeDelete(Team, { id: team.id });
  return { deletedTeamId: team.id, organization };
}
