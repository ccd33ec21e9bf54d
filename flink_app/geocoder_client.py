"""The job's Python client of the geocoding API (docs/contract.md §6), for the asyncio loop of Flink's
Python async operator (`geocoder.implementation = python`; the JVM's GeocoderClient.java, the
default, behaves alike): one aiohttp session per task, addresses coalesced into batched requests,
bounded retries, a client-side rate limit, and no call for what is already known. Also where the
job's geocoder settings are defined.

Every address `geocode_all` is given ends with an answer: after the last attempt (or a 4xx that retrying cannot
mend) the address gets status `failed` and no location, so the job never blocks on, nor fails
because of, the geocoder.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import aiohttp

LOG = logging.getLogger(__name__)
GEOCODABLE_FIELDS = ("street", "city", "county", "state", "zip", "country")
MAX_BATCH = 100  # the API's limit per request
STATUSES = ("ok", "not_found")
PRECISIONS = ("rooftop", "street", "postcode", "locality", None)

AddressKey = tuple  # the geocodable fields of an address, in GEOCODABLE_FIELDS order
Signer = Callable[[str, bytes, dict], dict]  # (url, body, headers) -> headers to send


@dataclass(frozen=True)
class GeocoderSettings:
    url: str  # the API's base URL; requests go to {url}/geocode
    batch_size: int = MAX_BATCH
    batch_delay_seconds: float = 0.02  # how long a batch that is not full waits for more addresses
    timeout_seconds: float = 5.0  # per request
    max_attempts: int = 4
    backoff_seconds: float = 0.2  # the first retry's backoff ceiling; it doubles per attempt
    max_backoff_seconds: float = 5.0
    requests_per_second: float = 0.0  # 0: no client-side limit
    connections: int = 4
    cache_size: int = 100_000  # LRU of answers by geocodable fields; also of the last version per address_id
    sigv4_region: str | None = None  # sign for a function URL with AWS_IAM auth in this region; None: plain HTTP
    # The async operator: java (GeocodeBatches, the JVM's client), python (flink_app.geocoding.GeocodeAddresses)
    implementation: str = "java"


@dataclass(frozen=True)
class Geocode:
    """What an order document carries for an address (docs/contract.md §3)."""

    lat: float | None
    lon: float | None
    status: str  # ok | not_found | failed | disabled
    precision: str | None
    provider: str | None


FAILED = Geocode(None, None, "failed", None, None)


@dataclass
class GeocoderStats:
    """Counters for the job's metrics."""

    requests: int = 0  # HTTP requests made, retries included
    addresses_sent: int = 0
    reused: int = 0  # a version whose geocodable fields equal its address_id's previous version
    cache_hits: int = 0
    retries: int = 0
    failures: int = 0  # addresses that ended `failed`
    latency_ms_total: float = 0.0  # of the requests answered (any status)
    answered: int = 0

    @property
    def mean_latency_ms(self) -> int:
        return round(self.latency_ms_total / self.answered) if self.answered else 0


class RetryableError(Exception):
    """A timeout, a connection error, 429, 5xx or an answer that breaks the contract."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


class RejectedError(Exception):
    """A 4xx other than 429: the request itself is wrong and would be refused again."""


K = TypeVar("K")
V = TypeVar("V")


class Lru(Generic[K, V]):
    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def pop(self, key: K) -> None:
        self._entries.pop(key, None)


class RateLimiter:
    """Spaces requests `1 / rate` seconds apart (no bursts); a rate of 0 does not wait."""

    def __init__(self, rate: float):
        self._interval = 1 / rate if rate > 0 else 0.0
        self._next = 0.0

    async def wait(self) -> None:
        if not self._interval:
            return
        now = time.monotonic()
        slot = max(now, self._next)
        self._next = slot + self._interval
        if slot > now:
            await asyncio.sleep(slot - now)


class GeocoderClient:
    """Create it inside the running loop that will use it (it binds its session to that loop)."""

    def __init__(self, settings: GeocoderSettings, stats: GeocoderStats | None = None):
        self.settings = settings
        self.stats = stats or GeocoderStats()
        self._endpoint = settings.url.rstrip("/") + "/geocode"
        self._signer = sigv4_signer(settings.sigv4_region) if settings.sigv4_region else None
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=settings.connections),
            timeout=aiohttp.ClientTimeout(total=settings.timeout_seconds),
        )
        self._limiter = RateLimiter(settings.requests_per_second)
        self._answers: Lru[AddressKey, asyncio.Future] = Lru(settings.cache_size)
        self._last_version: Lru[str, tuple[AddressKey, asyncio.Future]] = Lru(settings.cache_size)
        self._pending: list[tuple[AddressKey, asyncio.Future]] = []
        self._flush_timer: asyncio.TimerHandle | None = None
        self._sending: set[asyncio.Task] = set()

    async def geocode_all(self, places: list[tuple[str, AddressKey]]) -> list[Geocode]:
        """The answers for (address_id, key) pairs, in order. Futures, not a task per address; one
        shield for them all (an answer may be shared with other batches)."""
        return await asyncio.shield(asyncio.gather(*(self._answer(address_id, key) for address_id, key in places)))

    def _answer(self, address_id: str, key: AddressKey) -> asyncio.Future:
        """The answer for this version of `address_id`: the previous version's if it did not move,
        a cached one, or one queued for the next request. Shared futures: shield them when awaited."""
        previous = self._last_version.get(address_id)
        if previous is not None and previous[0] == key and not _failed(previous[1]):
            self.stats.reused += 1
            answer = previous[1]
        else:
            cached = self._answers.get(key)
            if cached is not None and not _failed(cached):
                self.stats.cache_hits += 1
                answer = cached
            else:
                answer = self._enqueue(key)
                self._answers.put(key, answer)
            self._last_version.put(address_id, (key, answer))
        return answer

    async def close(self) -> None:
        if self._flush_timer:
            self._flush_timer.cancel()
        await asyncio.gather(*self._sending, return_exceptions=True)
        await self._session.close()

    def _enqueue(self, key: AddressKey) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        answer = loop.create_future()
        self._pending.append((key, answer))
        if len(self._pending) >= self.settings.batch_size:
            self._flush()
        elif self._flush_timer is None:
            self._flush_timer = loop.call_later(self.settings.batch_delay_seconds, self._flush)
        return answer

    def _flush(self) -> None:
        if self._flush_timer:
            self._flush_timer.cancel()
            self._flush_timer = None
        batch, self._pending = self._pending, []
        if batch:
            task = asyncio.get_running_loop().create_task(self._send(batch))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send(self, batch: list[tuple[AddressKey, asyncio.Future]]) -> None:
        body = json.dumps(
            {"addresses": [{"id": str(i), **dict(zip(GEOCODABLE_FIELDS, key))} for i, (key, _) in enumerate(batch)]}
        ).encode()
        for attempt in range(1, self.settings.max_attempts + 1):
            try:
                answers = await self._post(body, len(batch))
            except RejectedError as error:
                if len(batch) > 1:  # one address the API refuses must not fail the others: halve and resend
                    half = len(batch) // 2
                    await asyncio.gather(self._send(batch[:half]), self._send(batch[half:]))
                else:
                    self._fail(batch, str(error))
                return
            except RetryableError as error:
                if attempt == self.settings.max_attempts:
                    self._fail(batch, f"{error} (after {attempt} attempts)")
                    return
                self.stats.retries += 1
                await asyncio.sleep(self._backoff(attempt, error.retry_after))
            else:
                for (_, future), answer in zip(batch, answers):
                    future.set_result(answer)
                return

    async def _post(self, body: bytes, count: int) -> list[Geocode]:
        await self._limiter.wait()
        headers = {"Content-Type": "application/json"}
        if self._signer:
            headers = self._signer(self._endpoint, body, headers)
        self.stats.requests += 1
        self.stats.addresses_sent += count
        started = time.monotonic()
        try:
            async with self._session.post(self._endpoint, data=body, headers=headers) as response:
                text = await response.text()
                self.stats.answered += 1
                self.stats.latency_ms_total += (time.monotonic() - started) * 1000
                if response.status == 429 or response.status >= 500:
                    raise RetryableError(f"HTTP {response.status}", _retry_after(response.headers.get("Retry-After")))
                if response.status != 200:
                    raise RejectedError(f"HTTP {response.status}: {text[:200]}")
                return _answers(text, count)
        except asyncio.TimeoutError:
            raise RetryableError(f"no answer within {self.settings.timeout_seconds:g} s") from None
        except aiohttp.ClientError as error:
            raise RetryableError(f"{type(error).__name__}: {error}") from None

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Full jitter under an exponential ceiling; at least what the server's Retry-After asks."""
        ceiling = min(self.settings.max_backoff_seconds, self.settings.backoff_seconds * 2 ** (attempt - 1))
        return max(random.uniform(0, ceiling), min(retry_after or 0.0, self.settings.max_backoff_seconds))

    def _fail(self, batch: list[tuple[AddressKey, asyncio.Future]], reason: str) -> None:
        LOG.warning("geocoding failed for %d address(es): %s", len(batch), reason)
        self.stats.failures += len(batch)
        for key, future in batch:
            self._answers.pop(key)  # a later version of the same place asks again
            future.set_result(FAILED)


def sigv4_signer(region: str) -> Signer:
    """Signs each request for a Lambda function URL with AWS_IAM auth (service `lambda`), with the
    credentials of the job's environment (the MSF application's role), refreshed as they expire."""
    import botocore.session
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    credentials = botocore.session.get_session().get_credentials()
    if credentials is None:
        raise ValueError("geocoder.auth is iam but no AWS credentials were found")

    def sign(url: str, body: bytes, headers: dict) -> dict:
        request = AWSRequest(method="POST", url=url, data=body, headers=headers)
        SigV4Auth(credentials.get_frozen_credentials(), "lambda", region).add_auth(request)
        return dict(request.headers.items())

    return sign


def _failed(answer: asyncio.Future) -> bool:
    return answer.done() and answer.result() is FAILED


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _answers(text: str, count: int) -> list[Geocode]:
    """The results of a 200 answer, in the order asked; RetryableError when they break the contract."""
    try:
        results = json.loads(text)["results"]
        if not isinstance(results, list) or len(results) != count:
            raise ValueError(f"{count} results expected")
        answers = []
        for position, result in enumerate(results):
            if (
                result["id"] != str(position)
                or result["status"] not in STATUSES
                or result.get("precision") not in PRECISIONS
            ):
                raise ValueError(f"unexpected result {result!r}")
            location = result.get("location")
            lat, lon = (None, None) if location is None else (float(location["lat"]), float(location["lon"]))
            if result["status"] == "ok" and location is None:
                raise ValueError(f"status ok without a location: {result!r}")
            answers.append(Geocode(lat, lon, result["status"], result.get("precision"), result.get("provider")))
        return answers
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise RetryableError(f"malformed answer ({error})") from None
