// Web Crypto, the one crypto API every target runtime has: Node >= 19, Deno, Bun and edge
// runtimes as `globalThis.crypto`. Node 18 has it only as `require('node:crypto').webcrypto`:
// the package's Node entry (index.node.ts) installs that, so this file imports nothing.

let installed: Crypto | undefined;

/** Use this Web Crypto implementation instead of `globalThis.crypto`. */
export function installCrypto(crypto: Crypto): void {
  installed = crypto;
}

export function webCrypto(): Crypto {
  const crypto = installed ?? (globalThis as { crypto?: Crypto }).crypto;
  if (!crypto?.subtle) {
    throw new Error(
      "Web Crypto is not available: on Node 18 import the package by its Node entry " +
        "(the default under Node), or call installCrypto(require('node:crypto').webcrypto)",
    );
  }
  return crypto;
}

/** A random UUID v4: one per call, sent as its Idempotency-Key on every retry of that call. */
export function randomUUID(): string {
  const crypto = webCrypto();
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
