"""Sign-in, who-am-I and sign-out."""
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from app.auth import service
from app.auth.deps import CurrentUser
from app.auth.schemas import MeRead, TokenRead
from app.deps import SessionDep, client_ip

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", response_model=TokenRead)
def issue_token(request: Request, session: SessionDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]):
    """OAuth2 password flow: username and password → bearer token."""
    token, expires_in = service.login(session, form.username, form.password, client_ip(request))
    return TokenRead(access_token=token, expires_in=expires_in)


@router.get("/me", response_model=MeRead)
def me(principal: CurrentUser):
    return MeRead(username=principal.username, role=principal.role, dong_ids=sorted(principal.dong_ids),
                  tract_ids=sorted(principal.tract_ids), facility_id=principal.facility_id)


@router.post("/logout", status_code=204)
def logout(principal: CurrentUser, session: SessionDep):
    """Revoke the current token."""
    service.logout(session, principal)
    return Response(status_code=204)
