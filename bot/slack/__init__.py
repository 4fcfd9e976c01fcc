"""The Slack channel: suppliers (and the owner) answering in their channels."""
