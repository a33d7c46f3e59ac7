// patterns/referral-flow.js
class ReferralFlowHandler {
constructor(vantioClient) {
this.client = vantioClient;
}
async handleQRScan(qrCodeData) {
// QR scan creates an impression
// This is typically handled automatically by Vantio
// You receive the impression_id from the QR scan
return qrCodeData.impression_id;
}
async handleSignup(impressionId, userData) {
// Create referral when user signs up
const referral = await this.client.createReferral({
impression_id: impressionId,
first_name: userData.firstName,
last_name: userData.lastName,
email: userData.email,
idempotency_key: `ref_${userData.userId}_${Date.now()}`
});
return referral;
}
async handlePurchase(referralId, orderData) {
// Create earning when referred customer makes purchase
const commissionRate = 0.10; // 10%
const amountInCents = Math.round(orderData.total * commissionRate * 100);
const earning = await this.client.createEarning({
referral_id: referralId,
amount: amountInCents,
currency: 'USD',
type: 'purchase',
description: `Commission from order #${orderData.orderId}`,
metadata: {
order_id: orderData.orderId,
commission_rate: `${commissionRate * 100}%`
},
idempotency_key: `earn_${orderData.orderId}_${Date.now()}`
});
// Update referral status to converted
await this.client.updateReferral(referralId, {
status: 'converted'
});
return earning;
}
}
// Usage
const flowHandler = new ReferralFlowHandler(vantioClient);
// 1. User scans QR code (impression created automatically)
const impressionId = await flowHandler.handleQRScan(qrCodeData);
// 2. User signs up
const referral = await flowHandler.handleSignup(impressionId, {
userId: 'user_123',
firstName: 'John',
lastName: 'Doe',
email: '[email protected]'
});
// 3. User makes purchase
const earning = await flowHandler.handlePurchase(referral.id, {
orderId: 'order_456',
total: 100.00
});
