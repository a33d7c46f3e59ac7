#!/usr/bin/env node
// The bundle size of the ESM build: everything `import { Vantio } from "@vantio/client"` brings
// into an app, bundled by esbuild for a runtime-neutral target (no Node built-ins, so it also
// proves the core imports none), minified, then gzipped.
import { gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export async function bundleSize(entry = join(root, "dist", "esm", "index.js")) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0].contents;
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { minified, gzipped } = await bundleSize();
  console.log(`dist/esm/index.js bundled: ${(minified / 1024).toFixed(1)} KiB minified, ${(gzipped / 1024).toFixed(1)} KiB minified + gzip`);
}
