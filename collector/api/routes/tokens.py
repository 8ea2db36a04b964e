"""API tokens: admins create viewer (or admin) tokens; the secret is shown once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status
from fastapi.exceptions import RequestValidationError

from collector.admin import TokenInfo
from collector.api.deps import AdminRole, Ctx, Reader
from collector.api.schemas import CreatedToken, Me, NewToken

router = APIRouter(tags=["auth"])


@router.get("/me", response_model=Me)
def whoami(ctx: Ctx, reader: Reader) -> Me:
    """The role (and site scope) of the presented token (the dashboard checks a token with this) and the
    server's clock."""
    return Me(role=reader.role, sites=sorted(reader.sites) if reader.sites is not None else None, now=ctx.clock())


@router.get("/tokens", response_model=list[TokenInfo])
def list_tokens(ctx: Ctx, _: AdminRole) -> list[TokenInfo]:
    return ctx.admin.tokens()


@router.post("/tokens", response_model=CreatedToken, status_code=status.HTTP_201_CREATED)
def create_token(ctx: Ctx, _: AdminRole, body: NewToken) -> CreatedToken:
    if body.expires_at is not None and body.expires_at <= ctx.clock():
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body", "expires_at"), "msg": "must be in the future", "input": None}]
        )
    info, secret = ctx.admin.create_token(body.role, body.label, expires_at=body.expires_at, sites=body.sites)
    return CreatedToken(**info.model_dump(), token=secret)


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(ctx: Ctx, _: AdminRole, token_id: Annotated[int, Path(ge=1, le=2**62)]) -> None:
    if not ctx.admin.delete_token(token_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no token with id {token_id}")
