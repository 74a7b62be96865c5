import { Arg, Field, ObjectType, Query, registerEnumType, Resolver } from 'type-graphql';
import { badInput } from '../../../common/errors';
import { checkSecretFormat, LEGACY_SECRET_LENGTH, SECRET_LENGTH } from '../secrets';

/**
 * `validateCredentialFormat`: the offline format check of docs/CREDENTIALS.md as a public query.
 * It reads nothing (no database, no provider): the answer depends only on the text, so it cannot
 * tell anyone whether a key exists, works or whose it is.
 */

/** Longest text the check accepts; anything longer is no credential of any format. */
export const MAX_FORMAT_CHECK_LENGTH = 256;

export enum CredentialFormat {
  CURRENT = 'CURRENT',
  LEGACY = 'LEGACY',
  NONE = 'NONE',
}

registerEnumType(CredentialFormat, {
  name: 'CredentialFormat',
  description: 'Which Plangraph credential format a text has (docs/CREDENTIALS.md). Says nothing about whether such a credential exists.',
  valuesConfig: {
    CURRENT: {
      description: `\`pgk_\` + 40 base62 characters + a 6-character base62 CRC32 checksum of those 40 (${SECRET_LENGTH} characters), checksum matching.`,
    },
    LEGACY: {
      description: `\`pgk_\` + 40 base62 characters (${LEGACY_SECRET_LENGTH} characters), as issued before the checksum; it has no checksum to verify.`,
    },
    NONE: { description: 'Not a Plangraph credential: see `problem`.' },
  },
});

export enum CredentialFormatProblem {
  PREFIX = 'PREFIX',
  LENGTH = 'LENGTH',
  CHARACTERS = 'CHARACTERS',
  CHECKSUM = 'CHECKSUM',
}

registerEnumType(CredentialFormatProblem, {
  name: 'CredentialFormatProblem',
  description: 'Why a text is not a Plangraph credential.',
  valuesConfig: {
    PREFIX: { description: 'It does not start with `pgk_`.' },
    LENGTH: { description: `It is neither ${SECRET_LENGTH} (current) nor ${LEGACY_SECRET_LENGTH} (legacy) characters long.` },
    CHARACTERS: { description: 'After `pgk_` it holds characters other than base62 (0-9, A-Z, a-z).' },
    CHECKSUM: {
      description: 'Its last 6 characters are not the checksum of the 40 before them: a typo, a truncated copy or a made-up string.',
    },
  },
});

@ObjectType({
  description:
    'What the offline format check says about a text. It checks the shape and checksum only, so it can say "this looks like a Plangraph key" (e.g. for a secret scanner) but never whether the key exists, works or whose it is.',
})
export class CredentialFormatCheck {
  @Field(() => Boolean, { description: 'True when the text has a Plangraph credential format (CURRENT or LEGACY).' })
  wellFormed!: boolean;

  @Field(() => CredentialFormat, { description: 'Which format it has, NONE when none.' })
  format!: CredentialFormat;

  @Field(() => Boolean, { description: 'True when a checksum was verified (CURRENT format only; LEGACY credentials carry none).' })
  checksumVerified!: boolean;

  @Field(() => CredentialFormatProblem, { nullable: true, description: 'Why it is NONE; null otherwise.' })
  problem!: CredentialFormatProblem | null;
}

@Resolver()
export class CredentialFormatResolver {
  @Query(() => CredentialFormatCheck, {
    description: `Checks whether a text has the format of a Plangraph credential secret (prefix \`pgk_\`, base62 body, CRC32 checksum; see docs/CREDENTIALS.md), offline: it consults no database and no provider, so the answer is the same for a live key, a revoked key and a well-formed string nobody was ever issued, and it never says which. Anyone may call it, signed in or not. Texts over ${MAX_FORMAT_CHECK_LENGTH} characters are refused (BAD_USER_INPUT); the text is never logged or echoed.`,
  })
  validateCredentialFormat(
    @Arg('secret', () => String, {
      description: `The text to check (at most ${MAX_FORMAT_CHECK_LENGTH} characters), e.g. a string a secret scanner found.`,
    })
    secret: string,
  ): CredentialFormatCheck {
    if (secret.length > MAX_FORMAT_CHECK_LENGTH) {
      throw badInput(
        'secret',
        `Give at most ${MAX_FORMAT_CHECK_LENGTH} characters: no Plangraph credential is longer than ${SECRET_LENGTH}.`,
      );
    }
    const check = checkSecretFormat(secret);
    return Object.assign(new CredentialFormatCheck(), {
      wellFormed: check.format !== 'NONE',
      format: CredentialFormat[check.format],
      checksumVerified: check.format === 'CURRENT',
      problem: check.problem === null ? null : CredentialFormatProblem[check.problem],
    });
  }
}
