// Node 18 has Web Crypto only as `require('node:crypto').webcrypto`, not as a global: install
// it for the package's crypto (webhook signatures, idempotency keys). Imported, for this side
// effect, by both Node entries: the package under Node (index.node.ts) and `@vantio/client/node`.
import { webcrypto } from "node:crypto";
import { installCrypto } from "../crypto.js";

if (!(globalThis as { crypto?: Crypto }).crypto?.subtle) installCrypto(webcrypto as unknown as Crypto);
