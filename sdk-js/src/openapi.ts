// Types read off the generated OpenAPI types (src/generated/openapi.ts), so that every request
// body, query and answer of the SDK follows the server's /openapi.json and moves with it.
import type { components, paths } from "./generated/openapi.js";

export type Schemas = components["schemas"];
export type Method = "get" | "post" | "put" | "delete";
export type Path = keyof paths;

/** The paths that have an operation for `M`. */
export type PathFor<M extends Method> = {
  [P in Path]: paths[P] extends { [K in M]: object } ? P : never;
}[Path];

type Operation<P extends Path, M extends Method> = NonNullable<paths[P][M]>;

/** The JSON request body of an operation. */
export type RequestBody<P extends Path, M extends Method> =
  Operation<P, M> extends { requestBody?: { content: { "application/json": infer B } } }
    ? NonNullable<B>
    : never;

/** The query parameters of an operation. */
export type Query<P extends Path, M extends Method> =
  Operation<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

/** The JSON answer (200) of an operation; `unknown` where the OpenAPI gives it no schema. */
export type Answer<P extends Path, M extends Method> =
  Operation<P, M> extends { responses: { 200: { content: { "application/json": infer R } } } }
    ? R
    : unknown;

/**
 * `Generated` unless the OpenAPI leaves it untyped (`unknown`, or any object `{[key: string]:
 * unknown}`), then the hand-written `Fallback` (src/types.ts). When the server gives such an
 * answer a schema, the generated type takes over on the next `npm run gen`, with no change here.
 */
export type Typed<Generated, Fallback> = unknown extends Generated
  ? Fallback
  : string extends keyof Generated
    ? Fallback
    : Generated;
