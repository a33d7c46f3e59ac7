#!/usr/bin/env node
// Regenerates the request/response types from the server's OpenAPI document:
//   openapi/vantio.openapi.json   the document, as `vantio openapi` prints it (for reviewable diffs)
//   src/generated/openapi.ts      its TypeScript types (openapi-typescript)
//
//   npm run gen                        write both from `vantio openapi`
//   npm run check:drift                exit 1, naming what changed, if the committed files differ
//   node scripts/gen.mjs --url URL     use a live server's /openapi.json instead (with either mode)
//
// `vantio` is $VANTIO_BIN, else the repository's .venv/bin/vantio, else `vantio` on the PATH.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generate, loadOpenAPI, describeDrift } from "./openapi-gen.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const SNAPSHOT = join(root, "openapi", "vantio.openapi.json");
const TYPES = join(root, "src", "generated", "openapi.ts");

function vantioBin() {
  if (process.env.VANTIO_BIN) return process.env.VANTIO_BIN;
  const venv = join(root, "..", ".venv", "bin", "vantio");
  return existsSync(venv) ? venv : "vantio";
}

async function main() {
  const args = process.argv.slice(2);
  const check = args.includes("--check");
  const urlAt = args.indexOf("--url");
  const document =
    urlAt >= 0
      ? await loadOpenAPI(args[urlAt + 1])
      : JSON.parse(execFileSync(vantioBin(), ["openapi"], { encoding: "utf8", maxBuffer: 64 << 20 }));
  const { snapshot, types } = await generate(document);
  if (!check) {
    writeFileSync(SNAPSHOT, snapshot);
    writeFileSync(TYPES, types);
    console.log(`wrote ${SNAPSHOT} and ${TYPES}`);
    return;
  }
  const committedSnapshot = existsSync(SNAPSHOT) ? readFileSync(SNAPSHOT, "utf8") : "{}";
  const committedTypes = existsSync(TYPES) ? readFileSync(TYPES, "utf8") : "";
  if (committedSnapshot === snapshot && committedTypes === types) {
    console.log("OpenAPI drift check: the committed types match the server's OpenAPI.");
    return;
  }
  console.error("OpenAPI drift: the server's OpenAPI differs from the committed SDK types.");
  for (const line of describeDrift(JSON.parse(committedSnapshot), document)) console.error(`  ${line}`);
  console.error("Run `npm run gen` in sdk-js/, then `npm test` (it names any operation without a method).");
  process.exit(1);
}

await main();
