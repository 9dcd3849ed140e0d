"""Admin: what an operator of the service needs, behind `x-admin-key`.

Off (404) unless ADMIN_API_KEY is set. Admin requests carry no session, so
the tenant rules of Session routes do not apply: these routes see every
organization, which is exactly why the key is compared in constant time and
never logged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
import structlog
from litestar import Controller, Request, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter

from epoch_domain.plans import Tier
from epoch_domain.usecases.admin import MAX_OFFSET, MAX_PAGE, OrganizationDetail
from epoch_http.ids import parse_id
from epoch_http.schemas import errors
from epoch_http.security import require_admin_key

log = structlog.get_logger()


class AdminOrganizationOut(msgspec.Struct):
    id: str
    name: str
    plan: str
    createdAt: datetime  # noqa: N815
    phoneNumber: str | None  # noqa: N815
    overageEnabled: bool  # noqa: N815
    userCount: int  # noqa: N815


class AdminOrganizationPage(msgspec.Struct):
    organizations: list[AdminOrganizationOut]
    total: int
    limit: int
    offset: int


class AdminUserOut(msgspec.Struct):
    id: str
    email: str
    name: str
    role: str
    mustChangePassword: bool  # noqa: N815


class AdminOrganizationDetailOut(msgspec.Struct):
    organization: AdminOrganizationOut
    users: list[AdminUserOut]


class PlanBody(msgspec.Struct):
    plan: Annotated[str, msgspec.Meta(min_length=1, max_length=20)]


class FlaggedOut(msgspec.Struct):
    success: bool
    user: AdminUserOut


def _user_out(user: Any) -> AdminUserOut:
    return AdminUserOut(
        user.id, user.email, user.name, user.role, user.must_change_password
    )


def _detail_out(detail: OrganizationDetail) -> AdminOrganizationDetailOut:
    org = detail.organization
    return AdminOrganizationDetailOut(
        organization=AdminOrganizationOut(
            id=org.id,
            name=org.name,
            plan=org.tier.name,
            createdAt=org.created_at,
            phoneNumber=org.phone_number,
            overageEnabled=org.overage_enabled,
            userCount=len(detail.members),
        ),
        users=[_user_out(u) for u in detail.members],
    )


class AdminController(Controller):
    path = "/api/admin"
    tags = ["Admin"]
    guards = [require_admin_key]
    security = [{"admin": []}]

    @get("/organizations", responses=errors(400, 401, 404))
    async def list_organizations(
        self,
        request: Request[Any, Any, Any],
        q: Annotated[
            str | None,
            QueryParameter(
                max_length=200,
                description="Part of a name or member email, or an exact id",
            ),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET)] = 0,
    ) -> AdminOrganizationPage:
        page = await request.app.state.container.administration().organizations(
            q, limit, offset
        )
        return AdminOrganizationPage(
            organizations=[
                AdminOrganizationOut(
                    id=s.organization.id,
                    name=s.organization.name,
                    plan=s.organization.tier.name,
                    createdAt=s.organization.created_at,
                    phoneNumber=s.organization.phone_number,
                    overageEnabled=s.organization.overage_enabled,
                    userCount=s.user_count,
                )
                for s in page.items
            ],
            total=page.total,
            limit=page.limit,
            offset=page.offset,
        )

    @get("/organizations/{org_id:str}", responses=errors(401, 404))
    async def organization(
        self, request: Request[Any, Any, Any], org_id: FromPath[str]
    ) -> AdminOrganizationDetailOut:
        detail = await request.app.state.container.administration().organization(
            parse_id(org_id, "organization")
        )
        return _detail_out(detail)

    @put("/organizations/{org_id:str}/plan", responses=errors(400, 401, 404))
    async def change_plan(
        self,
        request: Request[Any, Any, Any],
        org_id: FromPath[str],
        data: JSONBody[PlanBody],
    ) -> AdminOrganizationDetailOut:
        tier = Tier.parse(data.plan)
        detail = await request.app.state.container.administration().change_plan(
            parse_id(org_id, "organization"), tier
        )
        log.info(
            "admin.plan.changed",
            organization_id=detail.organization.id,
            plan=tier.name,
        )
        return _detail_out(detail)

    @post(
        "/users/{user_id:str}/require-password-change",
        status_code=200,
        responses=errors(401, 404),
    )
    async def require_password_change(
        self, request: Request[Any, Any, Any], user_id: FromPath[str]
    ) -> FlaggedOut:
        user = (
            await request.app.state.container.administration().require_password_change(
                parse_id(user_id, "user")
            )
        )
        log.info("admin.user.password_change_required", user_id=user.id)
        return FlaggedOut(True, _user_out(user))
