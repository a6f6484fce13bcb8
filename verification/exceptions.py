"""Domain errors of the verification app; views turn them into form errors and messages."""

from __future__ import annotations


class VerificationError(Exception):
    """Base class. `message` is a translated text for the person who caused it."""

    code = "verification_error"

    def __init__(self, message="", *, code: str | None = None):
        super().__init__(str(message))
        self.message = message
        if code is not None:
            self.code = code


class PhotoRejected(VerificationError):
    code = "photo_rejected"


class ProofNotAllowed(VerificationError):
    """The claim cannot take a proof now (not yours, expired, already submitted)."""

    code = "proof_not_allowed"


class AlreadyDecided(VerificationError):
    code = "already_decided"


class LockedByOther(VerificationError):
    code = "locked"


class AppealNotAllowed(VerificationError):
    code = "appeal_not_allowed"


class DisputeNotAllowed(VerificationError):
    code = "dispute_not_allowed"
