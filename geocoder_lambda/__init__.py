"""The geocoding REST API (CONTRACT.md §6): a Powertools Lambda handler over a chain of providers."""
