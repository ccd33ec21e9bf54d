"""Answers kept so that an address is asked of a provider once: per container (this LRU), and
optionally in a DynamoDB table shared by every container (shared_cache.py)."""

from __future__ import annotations

from collections import OrderedDict

from geocoder_lambda.model import Answer


class LruCache:
    def __init__(self, capacity: int):
        self.capacity = capacity
        self._entries: OrderedDict[str, Answer] = OrderedDict()

    def get(self, key: str) -> Answer | None:
        answer = self._entries.get(key)
        if answer is not None:
            self._entries.move_to_end(key)
        return answer

    def put(self, key: str, answer: Answer) -> None:
        self._entries[key] = answer
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class SharedCacheError(Exception):
    """The shared cache could not be read or written; the request goes on without it."""
