// Runs a copied seed snippet (test/seeds/) as a module: a prologue defining what the page
// assumes, the snippet verbatim (except the listed replacements), and an epilogue exporting
// what the test checks. The assembled file goes to test/.seed-run/, inside the package, so
// that `@vantio/client` resolves to this package.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { SDK_ROOT } from "./server.mjs";

let counter = 0;

export async function runSeed(file, { prologue = "", epilogue = "", replace = [] } = {}) {
  let snippet = readFileSync(join(SDK_ROOT, "test", "seeds", file), "utf8");
  for (const [from, to] of replace) {
    const count = snippet.split(from).length - 1;
    if (count !== 1) throw new Error(`${file}: expected ${JSON.stringify(from)} once, found it ${count} times`);
    snippet = snippet.replace(from, to);
  }
  const directory = join(SDK_ROOT, "test", ".seed-run");
  mkdirSync(directory, { recursive: true });
  const commonjs = file.endsWith(".cjs") || /\brequire\(/.test(snippet);
  const target = join(directory, `${counter++}-${file.replace(/\.[cm]?js$/, "")}.${commonjs ? "cjs" : "mjs"}`);
  writeFileSync(target, `${prologue}\n// ---- the seed, verbatim ----\n${snippet}\n// ---- end of the seed ----\n${epilogue}\n`);
  return commonjs ? createRequire(import.meta.url)(target) : import(pathToFileURL(target).href);
}

/** A console that records instead of printing, for the snippets' console.log/console.error. */
export const RECORDING_CONSOLE = `const LOG = [];
const console = { log: (...a) => LOG.push(["log", ...a]), error: (...a) => LOG.push(["error", ...a]) };`;
