"""Instances (tenants): their configuration, resolution per request, and theming."""
