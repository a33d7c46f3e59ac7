// The published declarations, as a TypeScript user sees them: test/types/usage.ts must
// compile, and each of its @ts-expect-error lines must be an error.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { test } from "node:test";
import { SDK_ROOT } from "./helpers/server.mjs";

test("the declarations type-check a user's code, and refuse what the API refuses", async () => {
  const tsc = join(SDK_ROOT, "node_modules", "typescript", "bin", "tsc");
  const result = await promisify(execFile)(process.execPath, [tsc, "-p", join(SDK_ROOT, "test", "types", "tsconfig.json")]).then(
    () => ({ ok: true, output: "" }),
    (error) => ({ ok: false, output: `${error.stdout}${error.stderr}` }),
  );
  assert.ok(result.ok, result.output);
});
