// The package's entry under Node (the "node" export condition): the runtime-neutral client,
// plus Web Crypto for Node 18, where it is not yet a global.
import "./node/webcrypto.js";

export * from "./index.js";
export { Vantio as default } from "./client.js";
