// patterns/webhook-validation.js
const crypto = require('crypto');
function validateWebhook(payload, signature, secret) {
const hmac = crypto.createHmac('sha256', secret);
const digest = hmac.update(JSON.stringify(payload)).digest('hex');
return crypto.timingSafeEqual(
Buffer.from(signature),
Buffer.from(digest)
);
}
// Express.js webhook handler
app.post('/webhooks/vantio', express.raw({ type: 'application/json' }), (req, res) => {
const signature = req.headers['x-vantio-signature'];
const secret = process.env.VANTIO_WEBHOOK_SECRET;
if (!validateWebhook(req.body, signature, secret)) {
return res.status(401).json({ error: 'Invalid signature' });
}
const event = JSON.parse(req.body);
// Process event...
res.json({ received: true });
});
