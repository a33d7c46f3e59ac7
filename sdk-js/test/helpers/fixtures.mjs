// Plain factory functions over the SDK, as the Python tests' helpers are.
import { randomUUID } from "node:crypto";
import { Vantio } from "@vantio/client";

/** Retries fast, so a test that watches retries does not wait seconds. */
export const FAST = { maxRetries: 3, initialDelay: 50, maxDelay: 200 };

export function client(server, options = {}) {
  return new Vantio({ apiKey: server.apiKey, baseUrl: server.baseUrl, retry: FAST, ...options });
}

export function uniqueEmail(prefix = "ref") {
  return `${prefix}-${randomUUID().slice(0, 12)}@example.com`;
}

export function uniqueCode(prefix = "JS") {
  return `${prefix}${randomUUID().replace(/-/g, "").slice(0, 10).toUpperCase()}`;
}

/** A program with an ambassador, a poster and one impression (a scan). */
export async function funnel(vantio, programFields = {}) {
  const program = await vantio.programs.create({
    name: "SDK JS",
    landing_url: "https://example.com/join",
    commission: { type: "percentage", rate: 10 },
    ...programFields,
  });
  const user = await vantio.users.create({
    program_id: program.id,
    first_name: "Ada",
    last_name: "Obi",
    email: uniqueEmail("amb"),
  });
  const poster = await vantio.posters.create({ program_id: program.id, student_id: user.id, location: "library" });
  const impression = await vantio.impressions.create({ poster_id: poster.id });
  return { program, user, poster, impression };
}

/** A `fetch` that records every request's method, path and answer status, then passes it on. */
export function recordingFetch(seen = []) {
  const recorder = async (input, init = {}) => {
    const url = new URL(typeof input === "string" ? input : input.url);
    const at = performance.now();
    const response = await fetch(input, init);
    seen.push({ at, method: init.method ?? "GET", path: url.pathname, query: url.search, status: response.status, headers: { ...init.headers } });
    return response;
  };
  recorder.seen = seen;
  return recorder;
}
