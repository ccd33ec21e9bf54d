"""The geocoding cache shared by every container: a DynamoDB table (GEOCODER_CACHE_TABLE) whose
items expire through a TTL attribute. Imported only when configured (boto3 costs cold-start time)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from geocoder_lambda.cache import SharedCacheError
from geocoder_lambda.model import Answer

BATCH_GET_LIMIT = 100
BATCH_WRITE_LIMIT = 25
UNPROCESSED_RETRIES = 3


class DynamoDbCache:
    """Items `{address_key (hash of the normalised address), status, lat, lon, precision, provider, expires_at}`.

    `expires_at` is the table's TTL attribute; DynamoDB deletes expired items lazily, so reads
    check it too.
    """

    def __init__(self, client: Any, table: str, ttl_seconds: float, clock: Callable[[], float] = time.time):
        self.client, self.table, self.ttl_seconds, self.clock = client, table, ttl_seconds, clock

    @staticmethod
    def item_key(cache_key: str) -> str:
        return hashlib.sha256(cache_key.encode()).hexdigest()

    def get_many(self, cache_keys: Iterable[str]) -> dict[str, Answer]:
        by_item_key = {self.item_key(k): k for k in cache_keys}
        found: dict[str, Answer] = {}
        pending = list(by_item_key)
        now = self.clock()
        try:
            for start in range(0, len(pending), BATCH_GET_LIMIT):
                request = {
                    self.table: {"Keys": [{"address_key": {"S": k}} for k in pending[start : start + BATCH_GET_LIMIT]]}
                }
                for _ in range(UNPROCESSED_RETRIES + 1):
                    response = self.client.batch_get_item(RequestItems=request)
                    for item in response.get("Responses", {}).get(self.table, []):
                        if float(item["expires_at"]["N"]) > now:
                            found[by_item_key[item["address_key"]["S"]]] = _answer(item)
                    request = response.get("UnprocessedKeys") or {}
                    if not request:
                        break
        except (BotoCoreError, ClientError) as error:
            raise SharedCacheError(f"reading {self.table}: {error}") from error
        return found

    def put_many(self, answers: dict[str, Answer]) -> None:
        expires_at = str(int(self.clock() + self.ttl_seconds))
        writes = [{"PutRequest": {"Item": _item(self.item_key(k), a, expires_at)}} for k, a in answers.items()]
        try:
            for start in range(0, len(writes), BATCH_WRITE_LIMIT):
                request = {self.table: writes[start : start + BATCH_WRITE_LIMIT]}
                for _ in range(UNPROCESSED_RETRIES + 1):
                    request = self.client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
                    if not request:
                        break
        except (BotoCoreError, ClientError) as error:
            raise SharedCacheError(f"writing {self.table}: {error}") from error


def _item(item_key: str, answer: Answer, expires_at: str) -> dict:
    item = {"address_key": {"S": item_key}, "status": {"S": answer.status}, "expires_at": {"N": expires_at}}
    if answer.lat is not None:
        item["lat"], item["lon"] = {"N": repr(answer.lat)}, {"N": repr(answer.lon)}
    if answer.precision:
        item["precision"] = {"S": answer.precision}
    if answer.provider:
        item["provider"] = {"S": answer.provider}
    return item


def _answer(item: dict) -> Answer:
    number = lambda name: float(item[name]["N"]) if name in item else None  # noqa: E731
    text = lambda name: item[name]["S"] if name in item else None  # noqa: E731
    return Answer(item["status"]["S"], number("lat"), number("lon"), text("precision"), text("provider"))
