"""The Lambda handler: POST /geocode for Lambda function URL and API Gateway HTTP API events.

Logs are structured (Powertools Logger, correlation id from the `x-correlation-id` header or the
request id), metrics go out as EMF (namespace StreamingOrders, service geocoder), traces to X-Ray.
"""

from __future__ import annotations

import functools
import os
import time
import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import (
    APIGatewayHttpResolver,
    LambdaFunctionUrlResolver,
    Response,
    content_types,
)
from aws_lambda_powertools.event_handler.router import Router
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.utilities.typing import LambdaContext

from geocoder_lambda.cache import LruCache
from geocoder_lambda.geocoder import AllProvidersFailed, Geocoder
from geocoder_lambda.providers import build_chain
from geocoder_lambda.request import BadRequest, event_body, parse_request
from geocoder_lambda.settings import ConfigurationError, Settings, provider_settings

SERVICE = "geocoder"
NAMESPACE = "StreamingOrders"
CORRELATION_ID_PATH = 'headers."x-correlation-id" || requestContext.requestId'

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
tracer = Tracer(service=SERVICE)
router = Router()
# Powertools keeps collecting values while metrics are disabled (and prints them every 100), so
# nothing is added then; the local server disables them.
METRICS_ON = not is_metrics_disabled()
if not METRICS_ON:
    warnings.filterwarnings("ignore", message="No application metrics to publish")


def count(name: str, value: float, unit: MetricUnit = MetricUnit.Count) -> None:
    if METRICS_ON:
        metrics.add_metric(name=name, unit=unit, value=value)


@functools.cache
def geocoder() -> Geocoder:
    """Built once per container: the provider chain, its data and the caches."""
    settings = Settings.from_env()
    try:
        env = {**os.environ, **provider_settings(settings.provider_secret)}
        chain = build_chain(settings.providers, env, settings.provider_timeout_seconds)
    except ValueError as error:
        raise ConfigurationError(str(error)) from None
    shared = None
    if settings.cache_table:
        import boto3

        from geocoder_lambda.shared_cache import DynamoDbCache

        shared = DynamoDbCache(boto3.client("dynamodb"), settings.cache_table, settings.cache_ttl_days * 86_400)
    return Geocoder(chain, LruCache(settings.lru_size), shared)


@router.post("/geocode")
def geocode() -> dict:
    started = time.perf_counter()
    event = router.current_event
    asked = parse_request(event_body(event.body, event.is_base64_encoded))
    with tracer.provider.in_subsegment("## geocode") as subsegment:
        # An int is a numbers.Number, which mypy does not see (the numeric tower is not typed).
        subsegment.put_annotation(key="addresses", value=len(asked))  # type: ignore[arg-type]
        outcome = geocoder().geocode([address for _, address in asked])
    count("Addresses", len(asked))
    count("NotFound", outcome.stats["not_found"])
    count("LruHits", outcome.stats["lru_hits"])
    count("SharedCacheHits", outcome.stats["shared_hits"])
    if outcome.stats["shared_cache_errors"]:
        count("SharedCacheErrors", outcome.stats["shared_cache_errors"])
    _provider_metrics(outcome.stats)
    count("Latency", (time.perf_counter() - started) * 1000, MetricUnit.Milliseconds)
    logger.debug("geocoded", extra={"addresses": len(asked), "stats": dict(outcome.stats)})
    return {"results": [answer.as_result(address_id) for (address_id, _), answer in zip(asked, outcome.answers)]}


def _provider_metrics(stats: dict) -> None:
    """Answers and errors per provider, each with a `provider` dimension."""
    if not METRICS_ON:
        return
    for key, value in stats.items():
        kind, _, provider = key.partition(":")
        if provider:
            name = "Answers" if kind == "answered" else "ProviderErrors"
            with single_metric(
                name=name,
                unit=MetricUnit.Count,
                value=value,
                namespace=NAMESPACE,
                default_dimensions={"service": SERVICE},
            ) as metric:
                metric.add_dimension(name="provider", value=provider)


def _error(status: int, message: str, headers: dict | None = None) -> Response:
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body={"message": message}, headers=headers
    )


@router.exception_handler(BadRequest)
def bad_request(error: BadRequest) -> Response:
    count("BadRequests", 1)
    logger.info("bad request", extra={"reason": str(error)})
    return _error(400, str(error))


@router.exception_handler(AllProvidersFailed)
def providers_failed(error: AllProvidersFailed) -> Response:
    count("Unavailable", 1)
    logger.warning("every provider failed", extra={"reason": str(error)})
    return _error(503, str(error), headers={"Retry-After": "1"})


@router.exception_handler(ConfigurationError)
def misconfigured(error: ConfigurationError) -> Response:
    logger.error("geocoder misconfigured", extra={"reason": str(error)})
    return _error(500, f"the geocoder is misconfigured: {error}")


function_url_app = LambdaFunctionUrlResolver()
http_api_app = APIGatewayHttpResolver()
for _app in (function_url_app, http_api_app):
    _app.include_router(router)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_ID_PATH)
@metrics.log_metrics(capture_cold_start_metric=METRICS_ON)
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    count("Requests", 1)
    domain = event.get("requestContext", {}).get("domainName", "")
    app = function_url_app if ".lambda-url." in domain else http_api_app
    return app.resolve(event, context)


try:  # build the chain during the init phase, not on the first request
    geocoder()
except ConfigurationError as _error_at_init:
    logger.error("geocoder misconfigured", extra={"reason": str(_error_at_init)})
