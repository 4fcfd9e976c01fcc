"""The web channel: customer pages and widget, supplier inbox, owner desk, webhooks."""
