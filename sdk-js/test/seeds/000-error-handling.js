// patterns/error-handling.js
class VantioError extends Error {
constructor(message, status, code) {
super(message);
this.status = status;
this.code = code;
this.name = 'VantioError';
}
}
async function handleAPIRequest(requestFn) {
try {
return await requestFn();
} catch (error) {
if (error.response) {
const { status, data } = error.response;
switch (status) {
case 400:
throw new VantioError(
data.message || 'Bad request',
status,
'BAD_REQUEST'
);
case 401:
throw new VantioError(
'Invalid or missing API key',
status,
'UNAUTHORIZED'
);
case 404:
throw new VantioError(
'Resource not found',
status,
'NOT_FOUND'
);
case 429:
throw new VantioError(
'Rate limit exceeded',
status,
'RATE_LIMIT'
);
default:
throw new VantioError(
data.message || 'API request failed',
status,
'UNKNOWN_ERROR'
);
}
}
throw error;
}
}
// Usage
try {
const referral = await handleAPIRequest(() =>
vantioClient.createReferral(referralData)
);
} catch (error) {
if (error instanceof VantioError) {
console.error(`Vantio Error [${error.code}]: ${error.message}`);
} else {
console.error('Unexpected error:', error);
}
}
