"""Adapters to services across the internet (carriers, Shopify), behind the ports in
tools/adapters.py; the local defaults live there."""
