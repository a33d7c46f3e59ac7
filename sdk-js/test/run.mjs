#!/usr/bin/env node
// `npm test`: one `vantio serve` for the whole run, then Node's test runner over test/*.test.mjs
// (each file in its own process, two at a time), then this server is stopped.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { SDK_ROOT, startServer } from "./helpers/server.mjs";

if (!existsSync(join(SDK_ROOT, "dist", "esm", "index.js"))) {
  console.error("dist/ is missing: run `npm run build` first");
  process.exit(1);
}
const only = process.argv.slice(2);
const files = only.length
  ? only
  : readdirSync(join(SDK_ROOT, "test"))
      .filter((name) => name.endsWith(".test.mjs"))
      .map((name) => join("test", name));
const server = await startServer();
let status = 1;
try {
  const result = spawnSync(process.execPath, ["--test", "--test-concurrency=2", ...files], {
    cwd: SDK_ROOT,
    stdio: "inherit",
    env: { ...process.env, VANTIO_TEST_BASE_URL: server.baseUrl, VANTIO_TEST_API_KEY: server.apiKey },
  });
  status = result.status ?? 1;
} finally {
  await server.stop();
}
process.exit(status);
