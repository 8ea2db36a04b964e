"""API tokens: admins create viewer (or admin) tokens; the secret is shown once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status

from collector.admin import TokenInfo
from collector.api.deps import AdminRole, Ctx, ViewerRole
from collector.api.schemas import CreatedToken, Me, NewToken

router = APIRouter(tags=["auth"])


@router.get("/me", response_model=Me)
def whoami(ctx: Ctx, role: ViewerRole) -> Me:
    """The role of the presented token (the dashboard checks a token with this) and the server's clock."""
    return Me(role=role, now=ctx.clock())


@router.get("/tokens", response_model=list[TokenInfo])
def list_tokens(ctx: Ctx, _: AdminRole) -> list[TokenInfo]:
    return ctx.admin.tokens()


@router.post("/tokens", response_model=CreatedToken, status_code=status.HTTP_201_CREATED)
def create_token(ctx: Ctx, _: AdminRole, body: NewToken) -> CreatedToken:
    info, secret = ctx.admin.create_token(body.role, body.label)
    return CreatedToken(id=info.id, role=info.role, label=info.label, created_at=info.created_at, token=secret)


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(ctx: Ctx, _: AdminRole, token_id: Annotated[int, Path(ge=1, le=2**62)]) -> None:
    if not ctx.admin.delete_token(token_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no token with id {token_id}")
