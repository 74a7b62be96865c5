import { Arg, Ctx, Field, InputType, Mutation, Resolver } from 'type-graphql';
import { Validation } from '../../../common/mutation';
import type { SubgraphContext } from '../../../common/server';
import { Developer } from '../entities/developer';
import { developerMutation, MAX_DISPLAY_NAME_LENGTH } from '../profile';
import { payloadType } from '../../../common/payloads';

@InputType({ description: "The caller's profile. Subject and email always come from the token." })
export class RegisterDeveloperInput {
  @Field(() => String, { description: 'Name shown to other members of their organizations, 1–120 characters.' })
  displayName!: string;
}

export const RegisterDeveloperPayload = payloadType(
  'RegisterDeveloperPayload',
  'registerDeveloper',
  'developer',
  Developer,
  "The caller's profile",
);

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
      async (em, developer) => {
        const displayName = input.displayName.trim();
        new Validation()
          .check(
            displayName.length >= 1 && displayName.length <= MAX_DISPLAY_NAME_LENGTH,
            'input.displayName',
            `Give a display name of 1 to ${MAX_DISPLAY_NAME_LENGTH} characters.`,
          )
          .done();
        developer.displayName = displayName;
        await em.flush();
        return { developer };
      },
      () => ({ developer: null }),
    );
  }
}
