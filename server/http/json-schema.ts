/** A JSON Schema object as the OpenAPI document holds it (zod's `toJSONSchema` output, or written by hand). */
export type JsonSchema = Record<string, unknown>;
