// patterns/caching.js
class Cache {
constructor(ttl = 300000) { // 5 minutes default
this.cache = new Map();
this.ttl = ttl;
}
get(key) {
const item = this.cache.get(key);
if (!item) return null;
if (Date.now() > item.expires) {
this.cache.delete(key);
return null;
}
return item.value;
}
set(key, value) {
this.cache.set(key, {
value,
expires: Date.now() + this.ttl
});
}
}
// Usage with API client
const cache = new Cache(300000); // 5 minutes
async function getCachedUser(userId) {
const cacheKey = `user_${userId}`;
let user = cache.get(cacheKey);
if (!user) {
user = await vantioClient.getUser(userId);
cache.set(cacheKey, user);
}
return user;
}
