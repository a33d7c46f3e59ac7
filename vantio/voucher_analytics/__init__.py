"""Voucher analytics (voucher-docs.md §8): performance, trends and customers of one voucher,
computed from the applications and validations the voucher engine records, and asynchronous
exports (`export_...`) built by the worker and downloadable for 24 hours."""
