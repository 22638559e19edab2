"""Errors of the appeal operations, each with a text for people (Ukrainian and English)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One refused field: a stable code for programs and messages for people."""

    field: str
    code: str
    uk: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "uk": self.uk, "en": self.en}


class ServiceError(Exception):
    """Base of the operations' errors; ``uk``/``en`` explain it to a person."""

    status_code = 400

    def __init__(self, uk: str, en: str) -> None:
        super().__init__(en)
        self.uk = uk
        self.en = en

    def message(self, lang: str) -> str:
        return self.en if lang == "en" else self.uk


class ValidationFailed(ServiceError):
    """The appeal was refused; ``errors`` says why, field by field (Art. 5 and 8)."""

    status_code = 422

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(
            "Звернення не може бути зареєстроване: " + "; ".join(e.uk for e in errors),
            "The appeal cannot be registered: " + "; ".join(e.en for e in errors),
        )
        self.errors = errors


class NotFound(ServiceError):
    status_code = 404


class AccessDenied(ServiceError):
    status_code = 403


class Art7Refused(ServiceError):
    """Art. 7: a complaint may not be sent to the body whose decision it complains of."""

    status_code = 422

    def __init__(self, name_uk: str, name_en: str) -> None:
        super().__init__(
            f"Скаргу не можна направити органу, рішення якого оскаржується ({name_uk}): "
            "ст. 7 Закону «Про звернення громадян». Оберіть орган, що його контролює",
            f"A complaint may not be sent to the body whose decision it complains of "
            f"({name_en}): Art. 7 of the Law on Citizens' Appeals. Choose the body overseeing it",
        )


class InvalidTransition(ServiceError):
    """The appeal is not in a status that allows this step."""

    status_code = 409

    def __init__(self, current: str, wanted: str) -> None:
        super().__init__(
            f"Неможливо перейти зі стану «{current}» у «{wanted}»",
            f"Cannot move from status '{current}' to '{wanted}'",
        )
        self.current = current
        self.wanted = wanted
