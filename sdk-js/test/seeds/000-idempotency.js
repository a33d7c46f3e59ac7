// patterns/idempotency.js
class IdempotentRequest {
constructor() {
this.processedKeys = new Set();
}
generateKey(prefix, identifier) {
return `${prefix}_${identifier}_${Date.now()}`;
}
async execute(key, requestFn) {
if (this.processedKeys.has(key)) {
console.log(`Request ${key} already processed, skipping`);
return null;
}
try {
const result = await requestFn();
this.processedKeys.add(key);
return result;
} catch (error) {
// Remove key on error so it can be retried
this.processedKeys.delete(key);
throw error;
}
}
}
// Usage
const idempotent = new IdempotentRequest();
const key = idempotent.generateKey('earn', orderId);
await idempotent.execute(key, async () => {
return await vantioClient.createEarning({
...earningData,
idempotency_key: key
});
});
