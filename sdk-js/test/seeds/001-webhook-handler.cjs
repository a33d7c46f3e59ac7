const { VouchersAPI } = require('@voucher/vouchers-sdk');
const express = require('express');
const app = express();

const vouchers = new VouchersAPI({
  apiKey: 'your-api-key'
});

// Create a webhook handler
const webhookHandler = vouchers.createWebhookHandler({
  secret: 'your-webhook-secret'
});

// Handle incoming webhook events
app.post('/webhooks/voucher', async (req, res) => {
  try {
    const event = await webhookHandler.verify(req.body, req.headers['x-voucher-signature']);

    switch (event.type) {
      case 'voucher.created':
        console.log('New voucher created:', event.data);
        break;
      case 'voucher.applied':
        console.log('Voucher applied:', event.data);
        break;
    }

    res.status(200).send('Webhook processed');
  } catch (error) {
    console.error('Webhook error:', error);
    res.status(400).send('Invalid webhook');
  }
});
