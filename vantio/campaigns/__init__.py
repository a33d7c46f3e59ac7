"""Campaigns (`camp_...`): many generated codes sharing one voucher definition, and the batch
endpoints of the Voucher API (`POST /v1/vouchers/batch`, `POST /v1/vouchers/validate/batch`).

A campaign's codes are ordinary vouchers (`vouchers.campaign_id`), so they validate, apply and
roll back like any other. Small campaigns are generated inside the create request; larger ones
by the worker in chunks (`campaigns.generate`), each chunk its own short transaction, with
`codes_generated` and `status` on the campaign showing the progress.
"""
