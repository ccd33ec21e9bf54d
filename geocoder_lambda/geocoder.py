"""Answers a batch of addresses: the caches first, then the provider chain for the rest."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from geocoder_lambda.cache import LruCache, SharedCacheError
from geocoder_lambda.model import NOT_FOUND, Address, Answer, ProviderError
from geocoder_lambda.providers import Provider

if TYPE_CHECKING:
    from geocoder_lambda.shared_cache import DynamoDbCache

log = logging.getLogger(__name__)


class AllProvidersFailed(Exception):
    """Every provider errored for some address: the caller should retry the request later."""


@dataclass
class Outcome:
    answers: list[Answer]
    # lru_hits, shared_hits, not_found, shared_cache_errors, answered:<provider>, errors:<provider>
    stats: Counter = field(default_factory=Counter)


class Geocoder:
    def __init__(self, chain: list[Provider], lru: LruCache, shared: DynamoDbCache | None = None):
        self.chain, self.lru, self.shared = chain, lru, shared

    def geocode(self, addresses: list[Address]) -> Outcome:
        stats: Counter = Counter()
        keys = [a.cache_key() for a in addresses]
        known: dict[str, Answer] = {}
        for key in keys:
            answer = self.lru.get(key)
            if answer is not None:
                known[key] = answer
                stats["lru_hits"] += 1
        wanted = {k: a for k, a in zip(keys, addresses) if k not in known}
        if wanted and self.shared is not None:
            try:
                from_shared = self.shared.get_many(wanted)
            except SharedCacheError as error:
                log.warning("shared geocoding cache unavailable: %s", error)
                stats["shared_cache_errors"] += 1
                from_shared = {}
            stats["shared_hits"] += len(from_shared)
            for key, answer in from_shared.items():
                known[key] = answer
                self.lru.put(key, answer)
                del wanted[key]
        fresh: dict[str, Answer] = {}
        failed = 0
        down: set[str] = set()
        for key, address in wanted.items():
            answer = self._ask_chain(address, stats, down)
            if answer is None:
                failed += 1
            else:
                fresh[key] = answer
        for key, answer in fresh.items():
            known[key] = answer
            self.lru.put(key, answer)
        if fresh and self.shared is not None:
            try:
                self.shared.put_many(fresh)
            except SharedCacheError as error:
                log.warning("shared geocoding cache unavailable: %s", error)
                stats["shared_cache_errors"] += 1
        if failed:
            raise AllProvidersFailed(
                f"every geocoding provider failed for {failed} of {len(addresses)} addresses; retry later"
            )
        answers = [known[k] for k in keys]
        stats["not_found"] = sum(a.status == "not_found" for a in answers)
        return Outcome(answers, stats)

    def _ask_chain(self, address: Address, stats: Counter, down: set[str]) -> Answer | None:
        """The first location found; not found if no provider finds one; None if every provider errored.

        A provider that errors is put in `down` and not asked again in this request, so that an
        outage costs one timeout per request, not one per address.
        """
        answered = False
        for provider in self.chain:
            if provider.name in down:
                continue
            try:
                answer = provider.geocode(address)
            except ProviderError as error:
                log.warning("geocoding provider failed, skipped for the rest of this request: %s", error)
                stats[f"errors:{provider.name}"] += 1
                down.add(provider.name)
                continue
            answered = True
            if answer.status == "ok":
                stats[f"answered:{provider.name}"] += 1
                return answer
        return NOT_FOUND if answered else None
