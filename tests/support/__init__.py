"""Helpers, oracles and fakes the tests share (the tests themselves are the test_*.py beside this folder)."""
