"""Who acts: the name a finding's audit trail records for a change made through the API.

It is the signed-in user's username (:mod:`api.auth`): the person logged in to the
dashboard, the owner of the API key, or ``demo`` in the demo. The username, not the display
name: it never changes, so the trail stays readable after a rename.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from api.auth import PrincipalDep


async def actor(principal: PrincipalDep) -> str:
    """The acting person's username, as the audit trail records it."""
    return principal.username


ActorDep = Annotated[str, Depends(actor)]
