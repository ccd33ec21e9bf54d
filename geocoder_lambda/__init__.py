"""The geocoding REST API (docs/contract.md §6): a Powertools Lambda handler over a chain of providers."""
