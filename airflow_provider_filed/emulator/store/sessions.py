"""Authentication: API keys exchanged for short-lived access tokens, and the session behind a token."""

from __future__ import annotations

import secrets

from airflow_provider_filed.emulator.errors import UNAUTHENTICATED, ApiError
from airflow_provider_filed.emulator.models import Me, Session, now
from airflow_provider_filed.emulator.store.state import StoreState


class Sessions(StoreState):
    """``loginViaPersonalApiToken`` and bearer-token checks."""

    def login(self, api_key: str, ttl_s: float) -> str:
        """Exchange a known API key for a fresh opaque access token."""
        with self._lock:
            partner = self._partner_by_key.get(api_key)
            if partner is None:
                raise ApiError(UNAUTHENTICATED, "invalid API key")
            token = secrets.token_urlsafe(32)
            self._tokens[token] = Session(partner=partner, user=partner.user, expires_at=now() + ttl_s)
            self.logins += 1
            return token

    def authenticate(self, token: str | None) -> Session:
        """The session of a bearer token; missing, unknown or expired tokens are UNAUTHENTICATED."""
        if not token:
            raise ApiError(UNAUTHENTICATED, "missing bearer access token")
        with self._lock:
            session = self._tokens.get(token)
            if session is None:
                raise ApiError(UNAUTHENTICATED, "invalid access token")
            if now() >= session.expires_at:
                del self._tokens[token]
                raise ApiError(UNAUTHENTICATED, "access token expired")
            return session

    def active_tokens(self) -> int:
        """Tokens issued and not yet expired."""
        with self._lock:
            at = now()
            return sum(1 for session in self._tokens.values() if session.expires_at > at)

    @staticmethod
    def me(session: Session) -> Me:
        return Me(id=session.user.id, email=session.user.email, name=session.user.name, partner=session.partner)
