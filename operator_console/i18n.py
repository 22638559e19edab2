"""A small catalogue of console texts: Ukrainian first, English as the switch.

``translate(lang, key)`` falls back to Ukrainian, then to the key itself, so a missing
entry shows up on the page instead of breaking it.
"""

from __future__ import annotations

from operator_console.texts_supervision import TEXTS as SUPERVISION_TEXTS

LANGUAGES = ("uk", "en")
DEFAULT_LANGUAGE = "uk"

# key: (Ukrainian, English)
_TEXTS: dict[str, tuple[str, str]] = {
    "app.title": ("Гаряча лінія 1545 — консоль", "Hotline 1545 — console"),
    "nav.drafts": ("Чернетки", "Drafts"),
    "nav.new": ("Нове звернення", "New appeal"),
    "nav.due": ("Терміни", "Due dates"),
    "nav.search": ("Пошук", "Search"),
    "nav.inbox": ("Вхідні", "Inbox"),
    "nav.bodies": ("Органи", "Bodies"),
    "nav.rules": ("Правила", "Rules"),
    "nav.users": ("Користувачі", "Users"),
    "nav.logout": ("Вийти", "Log out"),
    "nav.agent": ("Мій статус у чергах", "My queue status"),
    "nav.live": ("Черги наживо", "Live queues"),
    "login.title": ("Вхід", "Log in"),
    "login.username": ("Ім'я користувача", "Username"),
    "login.password": ("Пароль", "Password"),
    "login.submit": ("Увійти", "Log in"),
    "login.failed": ("Невірне ім'я або пароль", "Wrong username or password"),
    "error.forbidden": ("Доступ заборонено", "Access denied"),
    "error.not_found": ("Не знайдено", "Not found"),
    "error.csrf": ("Форма застаріла, оновіть сторінку", "The form expired, reload the page"),
    "error.validation": ("Перевірте поля форми", "Check the form fields"),
    "field.full_name": ("Прізвище, ім'я, по батькові", "Full name"),
    "field.region": ("Область", "Region"),
    "field.settlement": ("Населений пункт", "Settlement"),
    "field.address": ("Адреса", "Address"),
    "field.phone": ("Телефон", "Phone"),
    "field.email": ("Ел. пошта", "E-mail"),
    "field.social_category": ("Соціальна категорія", "Social category"),
    "field.appeal_type": ("Вид звернення", "Type of appeal"),
    "field.channel": ("Канал надходження", "Channel"),
    "field.topic": ("Тема", "Topic"),
    "field.substance": ("Суть звернення", "Substance"),
    "field.addressee": ("Адресат", "Addressee"),
    "field.complained_about_body": ("Орган, рішення якого оскаржується",
                                    "Body whose decision is complained of"),
    "hint.complained_about_body": (
        "Скаргу не направляють органу, рішення якого оскаржується (ст. 7 Закону)",
        "A complaint is not sent to the body whose decision it complains of (Art. 7 of the Law)"),
    "field.repeated": ("Повторне", "Repeated"),
    "field.collective": ("Колективне", "Collective"),
    "field.needs_study": ("Потребує додаткового вивчення", "Needs further study"),
    "field.number": ("Номер", "Number"),
    "field.status": ("Стан", "Status"),
    "field.due": ("Термін", "Due"),
    "field.received": ("Надійшло", "Received"),
    "field.body": ("Орган", "Body"),
    "field.reason": ("Підстава", "Reason"),
    "field.text": ("Текст", "Text"),
    "field.date_from": ("З дати", "From"),
    "field.date_to": ("По дату", "To"),
    "field.applicant": ("Заявник", "Applicant"),
    "field.answer": ("Відповідь", "Answer"),
    "field.outcome": ("Результат дзвінка", "Call outcome"),
    "field.note": ("Примітка", "Note"),
    "field.role": ("Роль", "Role"),
    "field.code": ("Код", "Code"),
    "field.name_uk": ("Назва (укр.)", "Name (Ukrainian)"),
    "field.name_en": ("Назва (англ.)", "Name (English)"),
    "field.kind": ("Вид", "Kind"),
    "field.webhook": ("Вебхук", "Webhook"),
    "field.priority": ("Пріоритет", "Priority"),
    "field.topic_prefix": ("Префікс теми", "Topic prefix"),
    "field.body_kind": ("Вид органу", "Body kind"),
    "field.active": ("Активний", "Active"),
    "field.transcript": ("Розшифровка", "Transcript"),
    "btn.save": ("Зберегти", "Save"),
    "btn.propose": ("Перевірити й запропонувати орган", "Check and propose a body"),
    "btn.register": ("Зареєструвати й направити", "Register and route"),
    "btn.confirm": ("Підтвердити орган", "Confirm the body"),
    "btn.override": ("Направити іншому органу", "Send to another body"),
    "btn.search": ("Шукати", "Search"),
    "btn.answer": ("Надіслати відповідь", "Send the answer"),
    "btn.record_outcome": ("Записати результат", "Record the outcome"),
    "btn.change_topic": ("Змінити тему", "Change the topic"),
    "btn.create": ("Створити", "Create"),
    "btn.open": ("Відкрити", "Open"),
    "proposal.title": ("Пропозиція органу", "Proposed body"),
    "proposal.none": ("Органу не знайдено, оберіть вручну", "No body found, choose one"),
    "proposal.alternatives": ("Інші можливі органи", "Other possible bodies"),
    "proposal.excluded": ("Виключено як орган, рішення якого оскаржується (ст. 7)",
                          "Left out as the body complained of (Art. 7)"),
    "proposal.art7": ("оскаржується, ст. 7", "complained of, Art. 7"),
    "drafts.title": ("Чернетки голосових звернень", "Voice-appeal drafts"),
    "drafts.empty": ("Чернеток немає", "No drafts"),
    "due.title": ("Терміни розгляду", "Due and overdue"),
    "due.overdue": ("Прострочено", "Overdue"),
    "search.title": ("Пошук звернень", "Search appeals"),
    "search.empty": ("Нічого не знайдено", "Nothing found"),
    "inbox.title": ("Звернення до органу", "Appeals to the body"),
    "inbox.empty": ("Звернень немає", "No appeals"),
    "appeal.title": ("Звернення", "Appeal"),
    "appeal.history": ("Хід розгляду", "History"),
    "appeal.priority": ("Пріоритетна категорія", "Priority category"),
    "appeal.autosaved": ("Чернетку збережено", "Draft saved"),
    "appeal.restored": ("Відновлено незбережені зміни", "Unsaved changes restored"),
    "appeal.registered": ("Зареєстровано", "Registered"),
    "appeal.control": ("Контрольний дзвінок", "Control call back"),
    "appeal.routing": ("Направлення", "Routing"),
    "screenpop.title": ("Картка дзвінка", "Call card"),
    "screenpop.waiting": ("Очікування дзвінка…", "Waiting for a call…"),
    "admin.bodies": ("Органи влади", "State bodies"),
    "admin.rules": ("Правила направлення", "Routing rules"),
    "admin.users": ("Користувачі", "Users"),
    "status.draft": ("чернетка", "draft"),
    "status.registered": ("зареєстровано", "registered"),
    "status.routed": ("направлено", "routed"),
    "status.delivered": ("доставлено", "delivered"),
    "status.answered": ("надано відповідь", "answered"),
    "status.checked": ("перевірено", "checked"),
    "status.closed": ("закрито", "closed"),
    "status.refused": ("відмовлено", "refused"),
    "type.proposal": ("пропозиція", "proposal"),
    "type.application": ("заява", "application"),
    "type.complaint": ("скарга", "complaint"),
    "outcome.satisfied": ("задоволений", "satisfied"),
    "outcome.not_satisfied": ("не задоволений", "not satisfied"),
    "outcome.unreachable": ("не вдалося зв'язатися", "unreachable"),
}


def _merge(extra: dict[str, tuple[str, str]]) -> None:
    clash = set(extra) & set(_TEXTS)
    if clash:
        raise ValueError(f"text keys defined twice: {sorted(clash)}")
    _TEXTS.update(extra)


_merge(SUPERVISION_TEXTS)


def translate(lang: str, key: str, **params: object) -> str:
    """The text for ``key`` in ``lang`` with ``{name}`` placeholders filled in."""
    pair = _TEXTS.get(key)
    if pair is None:
        text = key
    else:
        text = pair[1] if lang == "en" else pair[0]
    return text.format(**params) if params else text


def normalise_language(lang: str | None) -> str:
    """A supported language code, Ukrainian by default."""
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def catalogue_keys() -> set[str]:
    """All keys of the catalogue (for tests that check templates use known keys)."""
    return set(_TEXTS)
