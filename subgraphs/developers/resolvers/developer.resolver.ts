import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { SubgraphContext } from '../../../common/server';
import { Developer } from '../entities/developer';
import { developerMutation, registerDeveloper } from '../services/profile';
import { RegisterDeveloperInput, RegisterDeveloperPayload } from './developer.types';

@Resolver(() => Developer)
export class DeveloperResolver {
  @Mutation(() => RegisterDeveloperPayload, {
    description:
      "Creates or updates the caller's profile: subject and email from the token, display name from the input. Any signed-in caller, for themselves only.",
  })
  async registerDeveloper(
    @Arg('input', () => RegisterDeveloperInput, { description: 'The profile.' }) input: RegisterDeveloperInput,
    @Ctx() context: SubgraphContext,
  ): Promise<{ developer: Developer | null }> {
    return developerMutation<{ developer: Developer | null }>(
      context,
      (em, developer) => registerDeveloper(em, developer, input),
      () => ({ developer: null }),
    );
  }
}
