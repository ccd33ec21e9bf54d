"""A correction of moto's Kinesis resharding, named as such. moto's SplitShard moves the parent
shard's records into the two children (sequence numbers anew), later records still go to the
closed parent (the first shard whose hash key range holds the key), and GetRecords on a closed
shard never ends (a next iterator every time). Kinesis keeps the records in the closed parent,
sends later ones to the open children, and ends the parent's iterator once it is read, which is
what a reader relies on to read a key's records in order across a split. No real part here can give that behaviour (moto is the only Kinesis that
runs on these machines), so the tests patch moto's server, which runs in the test process."""

from __future__ import annotations

from collections import OrderedDict

from moto.kinesis import models

_split_shard = models.Stream.split_shard
_get_records = models.KinesisBackend.get_records
_get_shard_for_key = models.Stream.get_shard_for_key


def _split_keeping_the_records(self, shard_to_split: str, new_starting_hash_key: str) -> None:
    parent = self.shards[shard_to_split]
    records, parent.records = parent.records, OrderedDict()
    try:
        _split_shard(self, shard_to_split, new_starting_hash_key)
    finally:
        parent.records = records


def _get_records_ending_closed_shards(self, stream_arn, shard_iterator, limit):
    next_iterator, records, millis_behind = _get_records(self, stream_arn, shard_iterator, limit)
    stream_name, shard_id, read_to = models.decompose_shard_iterator(next_iterator)
    shard = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name).get_shard(shard_id)
    if not shard.is_open and int(read_to) >= shard.get_max_sequence_number():
        next_iterator = None
    return next_iterator, records, millis_behind


def _open_shard_for_key(self, partition_key: str, explicit_hash_key: str):
    first = _get_shard_for_key(self, partition_key, explicit_hash_key)  # moto's checks of the key
    if first is None or first.is_open:
        return first
    key = int(explicit_hash_key) if explicit_hash_key else int(models.md5_hash(partition_key.encode()).hexdigest(), 16)
    return next(
        shard for shard in self.shards.values() if shard.is_open and shard.starting_hash <= key <= shard.ending_hash
    )


def give_moto_kinesis_resharding() -> None:
    models.Stream.split_shard = _split_keeping_the_records
    models.Stream.get_shard_for_key = _open_shard_for_key
    models.KinesisBackend.get_records = _get_records_ending_closed_shards
