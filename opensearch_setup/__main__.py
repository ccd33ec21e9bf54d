"""`python -m opensearch_setup --url URL`: applies the index template, ISM policy, first index and
aliases, security roles and role mappings, and (with --dashboards-url) the Dashboards saved objects.
Safe to run again: it changes only what differs, and says what it changed.

Basic auth takes OPENSEARCH_USERNAME and OPENSEARCH_PASSWORD from the environment; SigV4 (Amazon
OpenSearch Service) the standard AWS credential chain."""

from __future__ import annotations

import argparse
import os
import sys

from opensearch_setup.bootstrap import ROLES, Parameters, bootstrap
from opensearch_setup.http import Auth, JsonHttp, OpenSearchError


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m opensearch_setup", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--url", required=True, help="the cluster's endpoint, e.g. https://search-x.eu-west-1.es.amazonaws.com"
    )
    parser.add_argument(
        "--dashboards-url",
        help="OpenSearch Dashboards (Amazon OpenSearch Service: <url>/_dashboards); "
        "without it no saved objects are applied",
    )
    parser.add_argument("--auth", choices=("none", "basic", "sigv4"), default="none")
    parser.add_argument("--region", help="for --auth sigv4")
    parser.add_argument("--shards", type=int, default=1)
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--retention-days", type=int, default=30, help="ISM deletes an index this old (default 30)")
    parser.add_argument(
        "--no-security",
        dest="security",
        action="store_false",
        help="the cluster has no security plugin: skip roles and role mappings",
    )
    for role in ROLES:
        parser.add_argument(
            f"--{role.removeprefix('orders_')}-role",
            dest=role,
            action="append",
            default=[],
            metavar="ARN",
            help=f"an IAM role ARN (or backend role) mapped to {role}; repeatable",
        )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    if args.auth == "sigv4" and not args.region:
        print("opensearch_setup: --region is required with --auth sigv4", file=sys.stderr)
        return 2
    auth = Auth(args.auth, os.environ.get("OPENSEARCH_USERNAME"), os.environ.get("OPENSEARCH_PASSWORD"), args.region)
    if args.auth == "basic" and not (auth.username and auth.password):
        print("opensearch_setup: --auth basic needs OPENSEARCH_USERNAME and OPENSEARCH_PASSWORD", file=sys.stderr)
        return 2
    parameters = Parameters(
        shards=args.shards,
        replicas=args.replicas,
        retention_days=args.retention_days,
        backend_roles={role: tuple(getattr(args, role)) for role in ROLES},
        security=args.security,
    )
    try:
        dashboards = JsonHttp(args.dashboards_url, auth) if args.dashboards_url else None
        changes = bootstrap(JsonHttp(args.url, auth), dashboards, parameters)
    except (OpenSearchError, ValueError, OSError) as error:
        print(f"opensearch_setup: {error}", file=sys.stderr)
        return 1
    print("\n".join(changes) if changes else "nothing to change: the cluster already has every artefact")
    return 0


if __name__ == "__main__":
    sys.exit(main())
