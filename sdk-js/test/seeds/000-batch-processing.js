// patterns/batch-processing.js
async function processBatch(items, processor, concurrency = 5) {
const results = [];
const errors = [];
for (let i = 0; i < items.length; i += concurrency) {
const batch = items.slice(i, i + concurrency);
const batchResults = await Promise.allSettled(
batch.map(item => processor(item))
);
batchResults.forEach((result, index) => {
if (result.status === 'fulfilled') {
results.push(result.value);
} else {
errors.push({
item: batch[index],
error: result.reason
});
}
});
}
return { results, errors };
}
// Usage: Create multiple referrals
const signups = [
{ impressionId: 'imp_1', firstName: 'John', ... },
{ impressionId: 'imp_2', firstName: 'Jane', ... },
// ... more signups
];
const { results, errors } = await processBatch(
signups,
async (signup) => {
return await vantioClient.createReferral({
impression_id: signup.impressionId,
first_name: signup.firstName,
last_name: signup.lastName,
email: signup.email
});
},
5 // Process 5 at a time
);
