import { ArrayType, type Platform, type TransformContext } from '@mikro-orm/core';

/**
 * `text[]` / `uuid[]` columns. MikroORM's ArrayType writes most elements unquoted, so an element
 * spelled `NULL` (or with braces, commas or quotes) would change meaning inside PostgreSQL's array
 * literal; this type quotes and escapes every element.
 */
export class TextArrayType extends ArrayType<string> {
  override convertToDatabaseValue(value: string[] | null, platform: Platform, context?: TransformContext): string | null {
    if (!Array.isArray(value)) return super.convertToDatabaseValue(value, platform, context);
    return `{${value.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
  }
}
