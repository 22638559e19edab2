"""The appeal form and its validation against the law's requirements (pure, no database).

Art. 5 of the Law "On citizens' appeals": full name, place of residence and the substance;
an electronic appeal also gives an e-mail. Art. 8: anonymous appeals are not considered.
Art. 20: some categories of applicants are considered first. Art. 7: a complaint names the
body whose decision it complains of, so that it is not sent to that body.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import asdict, dataclass, field

from appeal_store.deadlines import PRIORITY_BY_CODE, PRIORITY_CATEGORIES
from appeal_store.models.appeals import APPEAL_TYPES, CHANNELS

from .errors import FieldError

# Social categories of the classifier: a few general ones, then the priority categories
# that appeal_store.deadlines knows (Art. 20: considered first).
_GENERAL_CATEGORIES: dict[str, tuple[str, str]] = {
    "none": ("не зазначено", "not stated"),
    "pensioner": ("пенсіонер", "pensioner"),
    "disabled": ("особа з інвалідністю", "person with a disability"),
    "idp": ("внутрішньо переміщена особа", "internally displaced person"),
    "military": ("військовослужбовець", "serviceman"),
    "other": ("інше", "other"),
}
SOCIAL_CATEGORIES: dict[str, tuple[str, str]] = {
    **_GENERAL_CATEGORIES,
    **{c.code: (c.name_uk, c.name_en) for c in PRIORITY_CATEGORIES},
}

_NAME_PART = re.compile(r"^[^\W\d_]+(?:['’ʼ-][^\W\d_]+)*\.?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_SUBSTANCE = 10
MAX_SUBSTANCE = 20_000


@dataclass
class AppealForm:
    """What the operator typed; strings as they came from a form or JSON."""

    full_name: str = ""
    region_code: str = ""
    settlement: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    social_category: str = "none"
    type: str = "application"
    channel: str = "phone"
    topic_code: str = ""
    substance: str = ""
    addressee: str = ""
    #: a body code; only for complaints (Art. 7: not sent to the body complained about)
    complained_about_body: str = ""
    is_repeated: bool = False
    is_collective: bool = False
    needs_study: bool = False
    call_id: int | None = None
    recording_id: int | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    @property
    def complained_about_code(self) -> str | None:
        """The body complained about, upper case, when this is a complaint naming one."""
        if self.type != "complaint" or not self.complained_about_body:
            return None
        return self.complained_about_body.upper()

    @classmethod
    def from_mapping(cls, data: dict[str, object]) -> AppealForm:
        """Build from a form or JSON mapping; unknown keys are ignored, text is stripped."""
        out = cls()
        for name, default in asdict(cls()).items():
            if name not in data:
                continue
            value = data[name]
            if isinstance(default, bool):
                setattr(out, name, _truthy(value))
            elif name in ("call_id", "recording_id"):
                setattr(out, name, _int_or_none(value))
            else:
                setattr(out, name, "" if value is None else str(value).strip())
        return out


def _truthy(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "on", "yes")


def _int_or_none(value: object) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(str(value))
    except ValueError:
        return None


def normalise_phone(raw: str) -> str | None:
    """A Ukrainian number as +380XXXXXXXXX, or None when it is not one."""
    digits = re.sub(r"[\s()\-]", "", raw)
    digits = digits.removeprefix("+")
    if not digits.isdigit():
        return None
    if len(digits) == 10 and digits.startswith("0"):
        digits = "38" + digits
    if len(digits) == 12 and digits.startswith("380"):
        return "+" + digits
    return None


def _err(fld: str, code: str, uk: str, en: str) -> FieldError:
    return FieldError(fld, code, uk, en)


def _check_name(full_name: str) -> list[FieldError]:
    parts = full_name.split()
    if not parts:
        return [_err("full_name", "anonymous",
                     "Не зазначено прізвище та ім'я: анонімне звернення не розглядається (ст. 8)",
                     "No surname and name: an anonymous appeal is not considered (Art. 8)")]
    if len(parts) < 2:
        return [_err("full_name", "incomplete",
                     "Потрібні щонайменше прізвище та ім'я (ст. 5)",
                     "At least a surname and a first name are required (Art. 5)")]
    if not all(_NAME_PART.match(p) for p in parts):
        return [_err("full_name", "invalid", "Ім'я може містити лише літери, апостроф і дефіс",
                     "A name may hold letters, apostrophes and hyphens only")]
    return []


def _check_residence(form: AppealForm, regions: set[str]) -> list[FieldError]:
    errors: list[FieldError] = []
    if not form.region_code:
        errors.append(_err("region_code", "required", "Оберіть область місця проживання (ст. 5)",
                           "Choose the region of residence (Art. 5)"))
    elif form.region_code not in regions:
        errors.append(_err("region_code", "unknown", "Невідома область", "Unknown region"))
    if not form.settlement:
        errors.append(_err("settlement", "required", "Зазначте населений пункт (ст. 5)",
                           "Give the settlement (Art. 5)"))
    if not form.address:
        errors.append(_err("address", "required",
                           "Зазначте адресу: звернення без адреси вважається анонімним (ст. 8)",
                           "Give the address: an appeal without one counts as anonymous (Art. 8)"))
    return errors


def _check_contacts(form: AppealForm) -> list[FieldError]:
    errors: list[FieldError] = []
    if not form.phone:
        errors.append(_err("phone", "required", "Зазначте телефон для контрольного дзвінка",
                           "Give a phone number for the control call back"))
    elif normalise_phone(form.phone) is None:
        errors.append(_err("phone", "invalid", "Телефон має бути українським номером (+380…)",
                           "The phone must be a Ukrainian number (+380…)"))
    if form.email and not _EMAIL.match(form.email):
        errors.append(_err("email", "invalid", "Невірна адреса ел. пошти",
                           "Invalid e-mail address"))
    if form.channel == "web" and not form.email:
        errors.append(_err("email", "required",
                           "Електронне звернення має містити адресу ел. пошти (ст. 5)",
                           "An electronic appeal must give an e-mail address (Art. 5)"))
    return errors


def _check_coding(form: AppealForm, topics: set[str]) -> list[FieldError]:
    errors: list[FieldError] = []
    if form.social_category not in SOCIAL_CATEGORIES:
        errors.append(_err("social_category", "unknown", "Невідома соціальна категорія",
                           "Unknown social category"))
    if form.type not in APPEAL_TYPES:
        errors.append(_err("type", "unknown", "Оберіть вид: пропозиція, заява або скарга (ст. 3)",
                           "Choose the type: proposal, application or complaint (Art. 3)"))
    if form.channel not in CHANNELS:
        errors.append(_err("channel", "unknown", "Невідомий канал надходження",
                           "Unknown channel"))
    if not form.topic_code:
        errors.append(_err("topic_code", "required", "Оберіть тему за класифікатором",
                           "Choose the topic from the classifier"))
    elif form.topic_code not in topics:
        errors.append(_err("topic_code", "unknown", "Невідома тема", "Unknown topic"))
    return errors


def _check_substance(form: AppealForm) -> list[FieldError]:
    text = form.substance
    if len(text) < MIN_SUBSTANCE:
        return [_err("substance", "required",
                     f"Викладіть суть звернення (щонайменше {MIN_SUBSTANCE} символів, ст. 5)",
                     f"State the substance (at least {MIN_SUBSTANCE} characters, Art. 5)")]
    if len(text) > MAX_SUBSTANCE:
        return [_err("substance", "too_long", f"Суть звернення довша за {MAX_SUBSTANCE} символів",
                     f"The substance is longer than {MAX_SUBSTANCE} characters")]
    return []


def _check_complained_about(form: AppealForm, bodies: Collection[str]) -> list[FieldError]:
    """A complaint may name the body complained about; it must be a known body (Art. 7)."""
    code = form.complained_about_code
    if code is None or code in bodies:
        return []
    return [_err("complained_about_body", "unknown",
                 f"Невідомий орган, рішення якого оскаржується: «{form.complained_about_body}»",
                 f"Unknown body complained about: {form.complained_about_body!r}")]


def validate(form: AppealForm, *, regions: set[str], topics: set[str],
             bodies: Collection[str] = ()) -> list[FieldError]:
    """Every reason the form cannot be registered; empty when it can.

    ``bodies`` are the codes of the active bodies a complaint may be about; the field is
    ignored for proposals and applications.
    """
    return [
        *_check_name(form.full_name),
        *_check_residence(form, regions),
        *_check_contacts(form),
        *_check_coding(form, topics),
        *_check_complained_about(form, bodies),
        *_check_substance(form),
    ]


def is_priority(social_category: str) -> bool:
    """True for the categories considered first (Art. 20)."""
    return social_category in PRIORITY_BY_CODE


@dataclass
class FormErrors:
    """Errors keyed by field, for templates."""

    by_field: dict[str, list[FieldError]] = field(default_factory=dict)

    @classmethod
    def of(cls, errors: list[FieldError]) -> FormErrors:
        out = cls()
        for e in errors:
            out.by_field.setdefault(e.field, []).append(e)
        return out
