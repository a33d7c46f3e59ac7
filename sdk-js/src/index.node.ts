// The package's entry under Node (the "node" export condition): the runtime-neutral client,
// plus Web Crypto for Node 18, where it is not yet a global.
import { webcrypto } from "node:crypto";
import { installCrypto } from "./crypto.js";

if (!(globalThis as { crypto?: Crypto }).crypto?.subtle) installCrypto(webcrypto as unknown as Crypto);

export * from "./index.js";
export { Vantio as default } from "./client.js";
