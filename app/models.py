"""Imports every model so `Base.metadata` is complete (Alembic and tests use this)."""
from app.access.models import AccessRecord
from app.addresses.models import AddressEntrance, AddressLot
from app.auth.models import AuthSession, PermissionEvent, User, UserDong, UserTract
from app.db import Base
from app.facilities.models import Facility
from app.households.models import Household
from app.imports.models import ImportBatch, ImportMapping, ImportRow
from app.ratelimit import RateBucket
from app.reports.models import Report, ReportEvent, ReportPhoto
from app.tracts.models import District, Dong, Tract
from app.visits.models import (
    ServiceLink,
    ServiceLinkEvent,
    Visit,
    VisitIndicator,
    VisitNeed,
    VisitVisitor,
)

__all__ = [
    "AccessRecord", "AddressEntrance", "AddressLot", "AuthSession", "Base", "District", "Dong", "Facility",
    "Household", "ImportBatch", "ImportMapping", "ImportRow", "PermissionEvent",
    "RateBucket", "Report", "ReportEvent", "ReportPhoto", "ServiceLink", "ServiceLinkEvent", "Tract", "User",
    "UserDong", "UserTract", "Visit", "VisitIndicator", "VisitNeed", "VisitVisitor",
]
