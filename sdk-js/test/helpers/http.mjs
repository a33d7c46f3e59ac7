// Small real HTTP servers on 127.0.0.1 for the retry tests: one answering from a script, one
// that never answers, and a proxy in front of `vantio serve` that drops connections.
import { createServer } from "node:http";

function listen(server) {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${server.address().port}`));
  });
}

function close(server) {
  server.closeAllConnections?.();
  return new Promise((resolve) => server.close(() => resolve()));
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Answers `script` in order ([status, headers, body]), then 200 {"ok": true}; records each request. */
export async function scriptedServer(script) {
  const seen = [];
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    seen.push({ at: performance.now(), method: req.method, url: req.url, headers: req.headers, body: body.toString() });
    const [status, headers, answer] = script.shift() ?? [200, { "content-type": "application/json" }, '{"ok":true}'];
    res.writeHead(status, headers);
    res.end(answer);
  });
  const url = await listen(server);
  return { url, seen, close: () => close(server) };
}

/** Accepts requests and never answers them. */
export async function silentServer() {
  const seen = [];
  const server = createServer((req) => seen.push({ at: performance.now(), method: req.method }));
  const url = await listen(server);
  return { url, seen, close: () => close(server) };
}

/**
 * Forwards every request to `upstream`; for the first `drops` POSTs it lets the upstream do
 * the work, then closes the client's connection without an answer (a lost answer).
 */
export async function droppingProxy(upstream, drops) {
  const seen = [];
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([k]) => !["host", "connection", "content-length"].includes(k)),
    );
    const answer = await fetch(upstream + req.url, { method: req.method, headers, body: req.method === "GET" ? undefined : body });
    const text = await answer.text();
    seen.push({ method: req.method, key: req.headers["idempotency-key"], status: answer.status, replayed: answer.headers.get("idempotent-replayed") });
    if (req.method === "POST" && drops > 0) {
      drops -= 1;
      req.socket.destroy(); // the upstream did the work; the client hears nothing
      return;
    }
    res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
    res.end(text);
  });
  const url = await listen(server);
  return { url, seen, close: () => close(server) };
}

export const JSON_HEADERS = { "content-type": "application/json" };
export const UNAVAILABLE = [503, JSON_HEADERS, '{"error": "Service Unavailable", "message": "try again"}'];
