"""lsqm's LocalStack plugin. This file is installed into LocalStack's own virtual
environment by ``lsqm setup`` and runs inside LocalStack (Python >= 3.12); lsqm never
imports it.

It adds what the community core lacks offline:
- ``dynamodb:moto`` / ``dynamodbstreams:moto`` providers (DynamoDB Local needs a Java
  download), chosen with ``PROVIDER_OVERRIDE_DYNAMODB=moto``;
- ``POST /_lsqm/state/reset``: empties every running service's state, so one emulator can
  serve many architectures without leaking state between them (the core's own reset
  endpoint is a paid feature);
- ``POST /_lsqm/services/load`` with ``{"services": [...]}``: starts those services now
  (LocalStack starts each on its first request, which costs up to 3 s), so lsqm can load
  what the next architectures use while the current one runs.
"""

import logging
import time
from typing import Any

from localstack.runtime import hooks
from localstack.services.plugins import aws_provider

LOG = logging.getLogger(__name__)

RESET_PATH = "/_lsqm/state/reset"
LOAD_PATH = "/_lsqm/services/load"


@aws_provider(api="dynamodb", name="moto")
def dynamodb_moto() -> Any:
    from localstack.aws.api.dynamodb import DynamodbApi
    from localstack.services.moto import MotoFallbackDispatcher
    from localstack.services.plugins import Service

    class DynamoDBMotoProvider(DynamodbApi):
        service = "dynamodb"

    return Service.for_provider(
        DynamoDBMotoProvider(), dispatch_table_factory=MotoFallbackDispatcher
    )


@aws_provider(api="dynamodbstreams", name="moto")
def dynamodbstreams_moto() -> Any:
    from localstack.aws.api.dynamodbstreams import DynamodbstreamsApi
    from localstack.services.moto import MotoFallbackDispatcher
    from localstack.services.plugins import Service

    class DynamoDBStreamsMotoProvider(DynamodbstreamsApi):
        service = "dynamodbstreams"

    return Service.for_provider(
        DynamoDBStreamsMotoProvider(), dispatch_table_factory=MotoFallbackDispatcher
    )


def _reset_all_services() -> dict:
    from localstack.services.plugins import SERVICE_PLUGINS, ServiceState
    from localstack.state.core import AssetDirectory, StateVisitor

    try:
        from moto.core.base_backend import BackendDict
    except ImportError:  # pragma: no cover - moto always ships with the runtime
        BackendDict = ()
    from localstack.services.stores import AccountRegionBundle

    class ResetVisitor(StateVisitor):
        def visit(self, state_container: Any) -> None:
            if isinstance(state_container, AccountRegionBundle):
                state_container.reset()
            elif BackendDict and isinstance(state_container, BackendDict):
                for account_backend in state_container.values():
                    for region_backend in account_backend.values():
                        region_backend.reset()
            elif isinstance(state_container, AssetDirectory):
                import shutil

                shutil.rmtree(state_container.path, ignore_errors=True)

    started = time.monotonic()
    reset, failed = [], {}
    for name, state in SERVICE_PLUGINS.get_states().items():
        if state != ServiceState.RUNNING:
            continue
        service = SERVICE_PLUGINS.get_service(name)
        try:
            hook = service.lifecycle_hook
            hook.on_before_state_reset()
            service.accept_state_visitor(ResetVisitor())
            hook.on_after_state_reset()
            _repair_after_reset(hook)
            reset.append(name)
        except Exception as exc:  # report, never crash the emulator
            LOG.warning("lsqm: reset of %s failed: %s", name, exc)
            failed[name] = str(exc)
    return {
        "reset": sorted(reset),
        "failed": failed,
        "ms": round((time.monotonic() - started) * 1000, 1),
    }


def _repair_after_reset(hook: Any) -> None:
    """Put back what a version's reset hooks expect to survive a reset. CloudWatch before
    2026.x keeps its metrics in an SQLite file under its asset directory (emptied above)
    and only reopens it at start-up, and its alarm scheduler can be left stopped: without
    this, every later PutMetricData/PutMetricAlarm fails on such a version."""
    import os

    database = getattr(hook, "cloudwatch_database", None)
    path = getattr(database, "METRICS_DB", None)
    if database is not None and path and not os.path.exists(path):
        hook.cloudwatch_database = type(database)()
    if getattr(hook, "alarm_scheduler", "absent") is None and hasattr(
        hook, "start_alarm_scheduler"
    ):
        hook.start_alarm_scheduler()


def _service_catalog() -> Any:
    """The catalog of API models (``localstack.aws.spec`` since 4.x; earlier in the router)."""
    try:
        from localstack.aws.spec import get_service_catalog
    except ImportError:
        try:
            from localstack.aws.protocol.service_router import get_service_catalog
        except ImportError:
            return None
    return get_service_catalog()


def _load_services(names: list) -> dict:
    from localstack.services.plugins import SERVICE_PLUGINS

    started = time.monotonic()
    catalog = _service_catalog()
    loaded, failed = [], {}
    for name in names:
        try:
            SERVICE_PLUGINS.require(str(name))
            if catalog is not None:
                catalog.get(str(name))  # the API model its requests are parsed with
            loaded.append(name)
        except Exception as exc:  # unknown or disabled services are reported, not fatal
            failed[str(name)] = str(exc) or type(exc).__name__
    return {
        "loaded": loaded,
        "failed": failed,
        "ms": round((time.monotonic() - started) * 1000, 1),
    }


@hooks.on_infra_start()
def register_routes() -> None:
    from localstack.http import Response
    from localstack.services.edge import ROUTER

    def reset(request: Any, **_kwargs: Any) -> Any:
        return Response.for_json(_reset_all_services())

    def load(request: Any, **_kwargs: Any) -> Any:
        try:
            names = request.get_json(force=True).get("services", [])
        except Exception:
            names = None
        if not isinstance(names, list):
            return Response.for_json({"error": 'expected {"services": [...]}'}, status=400)
        return Response.for_json(_load_services(names))

    ROUTER.add(RESET_PATH, reset, methods=["POST"])
    ROUTER.add(LOAD_PATH, load, methods=["POST"])
