"""Synthetic customer, address and sales events for the pipeline (docs/contract.md §1-2).

A tool beside the job, not part of the Flink application: it feeds the local bus or Kinesis
with realistic data and with the realities the job must survive (updates, moves, disorder,
late and duplicate deliveries, orphans, bad records), and writes a manifest of what it injected.
"""
