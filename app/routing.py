"""Listing the app's routes (FastAPI ≥0.160 nests included routers, so `app.routes` is not flat)."""
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts


@dataclass(frozen=True)
class RouteInfo:
    path: str
    methods: frozenset[str]
    route: APIRoute


def api_routes(app: FastAPI) -> list[RouteInfo]:
    """Every API route of the app with its full path, included routers flattened."""
    out = []
    for context in iter_route_contexts(app.router.routes):
        if isinstance(context.route, APIRoute):
            out.append(RouteInfo(context.path, frozenset(context.methods or ()), context.route))
    return out
