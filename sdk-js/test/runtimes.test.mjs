// Runtime neutrality: the core imports nothing from Node (checked in its source, by a bundle
// for a neutral platform, and by compiling it without Node's types in `npm run build`), and
// the ESM build runs on Deno and Bun (both installed from npm as dev dependencies) against
// the live server. Also prints the bundle size.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import ts from "typescript";
import { after, before, test } from "node:test";
import { bundleSize } from "../scripts/size.mjs";
import { SDK_ROOT, sharedServer } from "./helpers/server.mjs";

const run = promisify(execFile);
const NODE_ONLY = ["src/node/", "src/index.node.ts"];

let server;
before(async () => {
  server = await sharedServer();
});
after(() => server.stop());

function sources(directory) {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** Node-only names and module specifiers a file's code (not its comments or strings) uses. */
function nodeUses(file) {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const uses = [];
  const visit = (node) => {
    const parent = node.parent;
    const isModule =
      parent &&
      (ts.isImportDeclaration(parent) ||
        ts.isExportDeclaration(parent) ||
        (ts.isCallExpression(parent) && (parent.expression.kind === ts.SyntaxKind.ImportKeyword || parent.expression.getText() === "require")));
    if (ts.isStringLiteral(node) && isModule && !node.text.startsWith(".")) uses.push(`imports ${node.text}`);
    if (ts.isIdentifier(node) && ["Buffer", "require", "__dirname", "__filename", "module"].includes(node.text)) {
      uses.push(`uses ${node.text}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return uses.map((use) => `${relative(SDK_ROOT, file)} ${use}`);
}

test("the core's code imports only its own modules and uses no Buffer, require or __dirname", () => {
  const files = sources(join(SDK_ROOT, "src"));
  const core = files.filter((f) => !NODE_ONLY.some((p) => relative(SDK_ROOT, f).startsWith(p)));
  assert.ok(core.length > 10);
  assert.deepEqual(core.flatMap(nodeUses), []);
  // The check can fail: the Node-only files do import Node.
  assert.ok(nodeUses(join(SDK_ROOT, "src", "node", "webcrypto.ts")).includes("src/node/webcrypto.ts imports node:crypto"));
});

test("the ESM build bundles for a neutral platform; its size, minified and gzipped", async () => {
  const { minified, gzipped } = await bundleSize();
  console.log(`bundle: ${minified} bytes minified, ${gzipped} bytes minified + gzip`);
  assert.ok(gzipped < 20 * 1024, `${gzipped} bytes`);
  // The check can fail: the Node entry imports node:crypto (src/node/webcrypto.ts), which a neutral bundle cannot resolve.
  await assert.rejects(bundleSize(join(SDK_ROOT, "dist", "esm", "index.node.js")), /node:crypto/);
});

for (const [runtime, args] of [
  ["deno", ["run", "--allow-net=127.0.0.1", "--allow-read", "--no-prompt"]],
  ["bun", ["run"]],
]) {
  test(`${runtime} runs the ESM build against the live server`, async () => {
    const bin = join(SDK_ROOT, "node_modules", ".bin", runtime);
    const { stdout: version } = await run(bin, ["--version"]);
    const { stdout } = await run(bin, [...args, join(SDK_ROOT, "test", "runtimes", "smoke.mjs"), server.baseUrl, server.apiKey], {
      env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
      timeout: 120_000,
    });
    console.log(`${runtime} ${version.split("\n")[0]}: ${stdout.trim()}`);
    assert.deepEqual(JSON.parse(stdout.trim().split("\n").pop()), { listed: 3, notFound: true, verified: "evt_1", refused: true });
  });
}
