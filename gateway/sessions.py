"""Sessions (issue 17): a user's sessions end together when their
``session_epoch`` is raised; ``end_all`` is the one way to do it, in the
caller's transaction (deactivation, a password reset or change)."""
from sqlalchemy import func, update

from .models import Session, User


def end_all(session, user_id, reason):
    """End every session of ``user_id`` at once: tokens issued before carry
    an older epoch and are refused; the sessions' refresh tokens are spent."""
    session.execute(update(User).where(User.id == user_id)
                    .values(session_epoch=User.session_epoch + 1))
    session.execute(update(Session).where(Session.user_id == user_id, Session.ended_at.is_(None))
                    .values(ended_at=func.now(), ended_reason=reason))
