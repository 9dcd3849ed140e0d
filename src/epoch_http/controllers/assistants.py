"""Assistants: list, register, rename and delete an organization's assistants."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, delete, get, patch, post
from litestar.params import FromPath, JSONBody

from epoch_domain.assistants import MAX_DISPLAY_NAME, MAX_PLATFORM_ID, Assistant
from epoch_domain.text import NAME_PATTERN, TOKEN_PATTERN
from epoch_http.ids import parse_id
from epoch_http.schemas import SuccessOut, documented, errors
from epoch_http.security import CurrentSession, SessionController

# The domain checks these (answering a 400 that names the field); the schema
# states the same rules.
DisplayName = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=MAX_DISPLAY_NAME,
        extra_json_schema=documented(pattern=NAME_PATTERN),
    ),
]
PlatformId = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=MAX_PLATFORM_ID,
        extra_json_schema=documented(pattern=TOKEN_PATTERN),
    ),
]


class AssistantOut(msgspec.Struct):
    id: str
    vapiAssistantId: str  # noqa: N815
    name: str
    status: str
    callCount: int  # noqa: N815
    createdAt: datetime  # noqa: N815

    @classmethod
    def of(cls, a: Assistant) -> AssistantOut:
        return cls(
            a.id,
            a.vapi_assistant_id,
            a.name,
            a.status.value,
            a.call_count,
            a.created_at,
        )


class AssistantListOut(msgspec.Struct):
    assistants: list[AssistantOut]
    phoneNumber: str | None  # noqa: N815


class AssistantEnvelope(msgspec.Struct):
    assistant: AssistantOut


class RegisterAssistantBody(msgspec.Struct):
    vapiAssistantId: PlatformId  # noqa: N815
    name: DisplayName


class RenameBody(msgspec.Struct):
    name: DisplayName


class AssistantsController(SessionController):
    path = "/api/assistants"
    tags = ["Assistants"]

    @get("/", responses=errors(401))
    async def list_assistants(
        self, request: Request[Any, Any, Any], ctx: CurrentSession
    ) -> AssistantListOut:
        found = await request.app.state.container.assistants().list(ctx.organization.id)
        return AssistantListOut(
            [AssistantOut.of(a) for a in found], ctx.organization.phone_number
        )

    @post("/", status_code=201, responses=errors(400, 401, 403, 409))
    async def register(
        self,
        request: Request[Any, Any, Any],
        ctx: CurrentSession,
        data: JSONBody[RegisterAssistantBody],
    ) -> AssistantEnvelope:
        created = await request.app.state.container.assistants().register(
            ctx.organization, data.vapiAssistantId, data.name
        )
        return AssistantEnvelope(AssistantOut.of(created))

    @patch("/{assistant_id:str}", responses=errors(400, 401, 404))
    async def rename(
        self,
        request: Request[Any, Any, Any],
        ctx: CurrentSession,
        assistant_id: FromPath[str],
        data: JSONBody[RenameBody],
    ) -> AssistantEnvelope:
        renamed = await request.app.state.container.assistants().rename(
            ctx.organization.id, parse_id(assistant_id, "assistant"), data.name
        )
        return AssistantEnvelope(AssistantOut.of(renamed))

    @delete("/{assistant_id:str}", status_code=200, responses=errors(401, 404))
    async def remove(
        self,
        request: Request[Any, Any, Any],
        ctx: CurrentSession,
        assistant_id: FromPath[str],
    ) -> SuccessOut:
        await request.app.state.container.assistants().delete(
            ctx.organization.id, parse_id(assistant_id, "assistant")
        )
        return SuccessOut()
