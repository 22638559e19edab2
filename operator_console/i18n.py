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
    "language.uk": ("українська", "Ukrainian"),
    "language.en": ("англійська", "English"),
    "form.caller_language": ("Мова абонента", "Caller's language"),
    "form.earlier_appeals": ("Попередні звернення абонента", "The caller's earlier appeals"),
}

# The operator's queue panel, the live screen pop and the live queues page.
_AGENT_TEXTS: dict[str, tuple[str, str]] = {
    "agent.title": ("Мої черги", "My queues"),
    "agent.no_phone": ("У вас немає SIP-телефона; зверніться до адміністратора.",
                       "You have no SIP phone; ask an administrator."),
    "agent.phone": ("Телефон", "Phone"),
    "agent.state": ("Стан", "State"),
    "agent.login": ("Увійти в черги", "Log in to queues"),
    "agent.logout": ("Вийти з черг", "Log out"),
    "agent.ready": ("Готовий", "Ready"),
    "agent.pause": ("Пауза", "Pause"),
    "agent.paused": ("на паузі", "paused"),
    "agent.calls_taken": ("прийнято дзвінків:", "calls taken:"),
    "agent.state.ready": ("готовий", "ready"),
    "agent.state.paused": ("пауза", "paused"),
    "agent.state.logged_out": ("поза чергами", "logged out"),
    "agent.reason.break": ("Перерва", "Break"),
    "agent.reason.after_call_work": ("Обробка після дзвінка", "After-call work"),
    "agent.reason.training": ("Навчання", "Training"),
    "agent.reason.meeting": ("Нарада", "Meeting"),
    "agent.member.unknown": ("невідомо", "unknown"),
    "agent.member.available": ("вільний", "available"),
    "agent.member.in_call": ("у розмові", "in a call"),
    "agent.member.busy": ("зайнятий", "busy"),
    "agent.member.invalid": ("помилка", "invalid"),
    "agent.member.unavailable": ("телефон не зареєстровано", "phone not registered"),
    "agent.member.ringing": ("дзвонить", "ringing"),
    "agent.member.on_hold": ("на утриманні", "on hold"),
    "agent.current_call": ("Поточний дзвінок", "Current call"),
    "agent.waiting_call": ("Очікування дзвінка…", "Waiting for a call…"),
    "agent.caller": ("Абонент", "Caller"),
    "agent.language": ("Мова", "Language"),
    "agent.queue": ("Черга", "Queue"),
    "agent.topic": ("Тема", "Topic"),
    "agent.ivr_path": ("Шлях в IVR", "IVR path"),
    "agent.earlier": ("Попередні звернення", "Earlier appeals"),
    "agent.new_appeal": ("Нове звернення", "New appeal"),
    "agent.search_caller": ("Звернення цього номера", "This number's appeals"),
    "agent.stream_lost": ("Зв'язок із сервером втрачено, відновлюю…",
                          "Connection to the server lost, reconnecting…"),
    "live.title": ("Черги зараз", "Queues now"),
    "live.queue": ("Черга", "Queue"),
    "live.waiting": ("Очікують", "Waiting"),
    "live.longest": ("Найдовше очікування", "Longest wait"),
    "live.operators": ("Оператори", "Operators"),
    "live.paused": ("пауза", "paused"),
    "live.seconds": ("с", "s"),
    "live.unavailable": ("Стан черг недоступний", "Queue state unavailable"),
}

# Users, their SIP phones and queues (admin).
_ADMIN_USER_TEXTS: dict[str, tuple[str, str]] = {
    "admin.user": ("Користувач", "User"),
    "admin.edit": ("Змінити", "Edit"),
    "admin.sip_endpoint": ("SIP-телефон", "SIP phone"),
    "admin.no_phone": ("немає", "none"),
    "admin.queues": ("Черги й рівні", "Queues and levels"),
    "admin.queues_hint": (("Рівень стає пенальті учасника черги (менше — дзвонить першим); діє з "
                           "наступного входу оператора в черги."),
                          ("The level becomes the queue member's penalty (lower rings first); it "
                           "applies from the operator's next log-in to the queues.")),
    "admin.not_member": ("—", "—"),
    "admin.queues_saved": ("Черги збережено", "Queues saved"),
    "admin.sip_reset": ("Новий пароль SIP", "New SIP password"),
    "admin.sip_reset_confirm": ("Старий пароль перестане діяти. Продовжити?",
                                "The old password will stop working. Continue?"),
    "admin.sip_apply": ("Застосувати телефони в Asterisk", "Apply the phones to Asterisk"),
    "admin.created": ("Користувача створено: {name}", "User created: {name}"),
    "sip.credentials": ("Облікові дані SIP-телефона", "SIP phone credentials"),
    "sip.shown_once": (("Показано один раз: передайте їх оператору зараз. Пароль не буде "
                        "показано знову; за потреби створіть новий."),
                       ("Shown once: give them to the operator now. The password is not shown "
                        "again; reset it if needed.")),
    "sip.server": ("Сервер", "Server"),
    "sip.port": ("Порт", "Port"),
    "sip.transport": ("Транспорт", "Transport"),
    "sip.username": ("Ім'я (SIP)", "Username (SIP)"),
    "sip.password": ("Пароль (SIP)", "Password (SIP)"),
    "sip.applied": ("Телефони застосовано в Asterisk ({n})", "Phones applied to Asterisk ({n})"),
    "sip.applying": ("Телефони застосовуються в Asterisk у фоновому режимі…",
                     "The phones are being applied to Asterisk in the background…"),
    "sip.apply_failed": (("Увага: Asterisk не прийняв телефони ({error}). Зміни збережено; їх "
                          "буде застосовано наступного разу (кнопка «Застосувати телефони в "
                          "Asterisk»)."),
                         ("Warning: Asterisk did not take the phones ({error}). The changes are "
                          "saved and will be applied next time (\"Apply the phones to "
                          "Asterisk\").")),
    "skill.expert": ("експерт", "expert"),
    "skill.skilled": ("досвідчений", "skilled"),
    "skill.trainee": ("стажер", "trainee"),
    "skill.backup": ("резерв", "backup"),
}


def _merge(extra: dict[str, tuple[str, str]]) -> None:
    clash = set(extra) & set(_TEXTS)
    if clash:
        raise ValueError(f"text keys defined twice: {sorted(clash)}")
    _TEXTS.update(extra)


_merge(SUPERVISION_TEXTS)
_merge(_AGENT_TEXTS)
_merge(_ADMIN_USER_TEXTS)


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
