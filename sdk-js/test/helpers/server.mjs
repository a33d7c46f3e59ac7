// A live `vantio serve` for the tests: a free port of 127.0.0.1, a temporary SQLite database,
// and a key made by `vantio keys create` (as tests/sdk/test_sdk_http.py does for the Python SDK).
// `npm test` (test/run.mjs) starts one and hands it to every test file through the environment;
// a test file run alone starts its own.
import { execFile, spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const SDK_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const REPO_ROOT = join(SDK_ROOT, "..");

export function vantioBin() {
  if (process.env.VANTIO_BIN) return process.env.VANTIO_BIN;
  const venv = join(REPO_ROOT, ".venv", "bin", "vantio");
  return existsSync(venv) ? venv : "vantio";
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const FAST_LIMITS = {
  VANTIO_RATE_LIMIT_REFERRALS: "100000/second",
  VANTIO_RATE_LIMIT_VOUCHERS_DEFAULT: "100000/second",
  VANTIO_RATE_LIMIT_VOUCHERS_CREATE: "100000/second",
  VANTIO_RATE_LIMIT_VOUCHERS_VALIDATE: "100000/second",
  VANTIO_RATE_LIMIT_VOUCHERS_APPLY: "100000/second",
};

/** Starts `vantio serve`; `settings` are VANTIO_ variables on top of the test defaults. */
export async function startServer(settings = {}) {
  const directory = mkdtempSync(join(tmpdir(), "vantio-sdk-js-"));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("VANTIO_")));
  Object.assign(env, {
    PYTHONUNBUFFERED: "1",
    VANTIO_DATABASE_URL: `sqlite+aiosqlite:///${join(directory, "sdk.db")}`,
    VANTIO_WEBHOOK_ALLOW_PRIVATE: "1",
    // The worker looks for deliveries every 0.1 s, so webhook tests do not wait.
    VANTIO_WORKER_POLL_SECONDS: "0.1",
    ...FAST_LIMITS,
    ...settings,
  });
  const bin = vantioBin();
  const { stdout } = await promisify(execFile)(bin, ["keys", "create", "--name", "sdk-js-tests"], {
    env,
    cwd: directory,
    timeout: 120_000,
  });
  const apiKey = stdout.trim().split(/\s+/).pop();
  if (!apiKey?.startsWith("sk_test_")) throw new Error(`vantio keys create printed: ${stdout}`);
  const port = await freePort();
  // The server writes its log (an access line per request) to a file, never to a pipe: `npm test`
  // waits in spawnSync while the tests run, so nothing would drain a pipe, and a full pipe stops
  // the server mid-request.
  const logPath = join(directory, "server.log");
  const log = openSync(logPath, "a");
  const child = spawn(bin, ["serve", "--host", "127.0.0.1", "--port", String(port)], {
    env,
    cwd: directory,
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  const readOutput = () => (existsSync(logPath) ? readFileSync(logPath, "utf8") : "");
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM"); // this process only, by its handle
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    rmSync(directory, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`vantio serve exited: ${readOutput()}`);
    try {
      if ((await fetch(`${baseUrl}/openapi.json`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`vantio serve did not start: ${readOutput()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { baseUrl, apiKey, pid: child.pid, stop, output: readOutput };
}

/**
 * The shared server of `npm test` (VANTIO_TEST_BASE_URL and VANTIO_TEST_API_KEY), or one of
 * this file's own, stopped by the returned `stop`.
 */
export async function sharedServer() {
  const { VANTIO_TEST_BASE_URL: baseUrl, VANTIO_TEST_API_KEY: apiKey } = process.env;
  if (baseUrl && apiKey) return { baseUrl, apiKey, stop: async () => {} };
  return startServer();
}
