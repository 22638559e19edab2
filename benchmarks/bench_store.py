"""Appeal store benchmark: bulk-load N appeals, then time registration and every search.

    .venv/bin/python benchmarks/bench_store.py --n 1000000          # fresh PostgreSQL db
    .venv/bin/python benchmarks/bench_store.py --n 50000 --sqlite    # a SQLite file

A fresh PostgreSQL database is created through the admin URL (``HOTLINE_TEST_PG_ADMIN_URL``,
default the local test server) and dropped afterwards unless ``--keep``. Loading uses COPY
on PostgreSQL and batched executemany on SQLite. Prints p50/p99 per operation and the
EXPLAIN ANALYZE plan of each search kind.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, func, insert, select, text

from appeal_store import migrate
from appeal_store.db import make_engine, make_session_factory, session_scope
from appeal_store.deadlines import due_date
from appeal_store.models import Appeal, Applicant, NumberCounter, Region, StateBody, Topic
from appeal_store.numbering import next_number
from appeal_store.search import (
    find_repeated,
    find_repeated_statement,
    search_appeals,
    search_statement,
)
from appeal_store.seed import seed_from_routing

UTC = dt.UTC
ADMIN_URL = os.environ.get(
    "HOTLINE_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
WORDS = ["опалення", "батареї", "холодні", "вода", "водопостачання", "пенсія", "субсидія", "виплата", "дорога", "ремонт", "ями", "світло", "електроенергія", "газ", "тариф", "лікарня", "ліки", "черга", "школа", "садочок", "автобус", "маршрут", "поліція", "шахрайство", "земля", "ділянка", "кадастр", "паспорт", "реєстрація", "допомога", "ВПО", "житло", "укриття", "сирена", "відключення", "сміття", "вивіз", "ліфт", "дах", "підвал", "затоплення", "зарплата", "борг", "податок", "банк", "кредит", "картка", "довідка", "військовий", "мобілізація", "ветеран", "інвалідність", "пільга", "компенсація", "відновлення", "зруйноване", "майно"]
STATUSES = ["registered"] * 10 + ["routed"] * 20 + ["delivered"] * 20 + ["answered"] * 20 \
    + ["checked"] * 10 + ["closed"] * 18 + ["draft"] * 2

# Names with a realistic skew: the most common Ukrainian surnames (Мельник, Шевченко, …) are
# each borne by ~0.2 % of people, the first ~50 by ~5 % together; the rest is a long tail
# (here stems × suffixes, ~0.005-0.05 % each). A few first names cover most people
# (Олександр ~8 % of men, Олена ~6 % of women) and patronymics follow the fathers' names.
TOP_SURNAMES = (  # noqa: SIM905 — (surname, approximate bearers per 100,000)
    "Мельник 230 Шевченко 225 Коваленко 215 Бондаренко 200 Бойко 190 Ткаченко 180 "
    "Кравченко 175 Ковальчук 170 Коваль 165 Олійник 160 Шевчук 155 Поліщук 150 Іваненко 140 "
    "Ткачук 140 Савченко 135 Бондар 130 Марченко 125 Руденко 120 Мороз 120 Лисенко 115 "
    "Петренко 115 Клименко 110 Павленко 110 Кравчук 105 Кузьменко 100 Пономаренко 100 "
    "Савчук 95 Василенко 95 Левченко 95 Харченко 90 Сидоренко 90 Карпенко 85 Гаврилюк 85 "
    "Мельничук 85 Литвиненко 80 Романенко 80 Мартинюк 80 Приходько 75 Остапенко 75 "
    "Гончаренко 75 Лук'яненко 70 Онищенко 70 Тимошенко 70 Зінченко 65 Кушнір 65 Костенко 65 "
    "Ярошенко 60 Давиденко 60 Гуменюк 60 Дем'яненко 55"
).split()
STEMS = ["Андрій", "Бабич", "Баран", "Білик", "Бог", "Бондз", "Бур", "Вакул", "Васил", "Верб", "Вовк", "Волош", "Гаврил", "Гайдам", "Гнат", "Гоголь", "Гордій", "Горб", "Грин", "Гриц", "Гук", "Гуц", "Дан", "Дзюб", "Дорош", "Дуд", "Жук", "Забол", "Заєць", "Зах", "Ільк", "Кайд", "Карп", "Кирил", "Клим", "Коз", "Колесн", "Корн", "Кость", "Криж", "Кулик", "Купр", "Лаз", "Левч", "Лесь", "Литв", "Лозов", "Луц", "Ляш", "Мак", "Мар", "Матв", "Мац", "Мис", "Мих", "Міщ", "Моск", "Назар", "Нестер", "Носк", "Оліш", "Ониш", "Опан", "Остап", "Панас", "Пил", "Пилип", "Прокоп", "Проц", "Пуз", "Радч", "Рибач", "Рог", "Рож", "Рудь", "Сав", "Сем", "Сер", "Сидор", "Сирот", "Ситн", "Скрип", "Соб", "Сол", "Стас", "Стець", "Сух", "Тарас", "Тереш", "Тимч", "Тит", "Трох", "Федор", "Фесь", "Хом", "Хом'як", "Худ", "Цап", "Чорн", "Шаб", "Швед", "Шкур", "Шуль", "Юрч", "Яків", "Ярем", "Ясин"]
SUFFIXES = ["енко", "ук", "чук", "юк", "ак", "ич", "ишин", "ів", "ець", "ко", "ченко", "ський", "ан"]
INFIXES = ("", "ен", "ан", "ин", "ов", "иш", "ал")
MALE_NAMES = (  # noqa: SIM905 — (name, patronymic of a son, of a daughter, weight)
    "Олександр Олександрович Олександрівна 80 Сергій Сергійович Сергіївна 60 "
    "Володимир Володимирович Володимирівна 55 Микола Миколайович Миколаївна 50 "
    "Іван Іванович Іванівна 50 Василь Васильович Василівна 45 Віктор Вікторович Вікторівна 40 "
    "Андрій Андрійович Андріївна 40 Юрій Юрійович Юріївна 35 Анатолій Анатолійович Анатоліївна 30 "
    "Петро Петрович Петрівна 30 Михайло Михайлович Михайлівна 30 Дмитро Дмитрович Дмитрівна 30 "
    "Олег Олегович Олегівна 25 Григорій Григорович Григорівна 20 Павло Павлович Павлівна 20 "
    "Степан Степанович Степанівна 18 Ігор Ігорович Ігорівна 18 Богдан Богданович Богданівна 15 "
    "Максим Максимович Максимівна 15 Федір Федорович Федорівна 12 Ярослав Ярославович "
    "Ярославівна 12 Роман Романович Романівна 12 Віталій Віталійович Віталіївна 12 "
    "Валерій Валерійович Валеріївна 10 Євген Євгенович Євгенівна 10 Леонід Леонідович "
    "Леонідівна 10 Артем Артемович Артемівна 8 Тарас Тарасович Тарасівна 8 "
    "Денис Денисович Денисівна 8 Ілля Ілліч Іллівна 6 Кирило Кирилович Кирилівна 6 "
    "Остап Остапович Остапівна 4 Назар Назарович Назарівна 4 Матвій Матвійович Матвіївна 3"
).split()
FEMALE_NAMES = ["Олена", "60", "Наталія", "55", "Тетяна", "50", "Ірина", "45", "Світлана", "40", "Людмила", "40", "Галина", "35", "Оксана", "35", "Валентина", "30", "Ольга", "30", "Марія", "30", "Надія", "25", "Любов", "25", "Ніна", "20", "Юлія", "20", "Анна", "20", "Лариса", "18", "Вікторія", "18", "Катерина", "15", "Алла", "12", "Віра", "12", "Інна", "10", "Зоя", "8", "Раїса", "8", "Ганна", "8", "Лідія", "8", "Анастасія", "8", "Олександра", "6", "Дарина", "5", "Христина", "5", "Софія", "4", "Мар'яна", "4", "Уляна", "3", "Соломія", "2"]


def _pairs(flat: list[str], width: int) -> list[list[str]]:
    return [flat[i:i + width] for i in range(0, len(flat), width)]


def _surnames() -> tuple[list[str], list[float]]:
    names = [n for n, _ in _pairs(TOP_SURNAMES, 2)]
    weights = [float(w) for _, w in _pairs(TOP_SURNAMES, 2)]
    top = set(names)
    tail = sorted({s + i + x for x in SUFFIXES for i in INFIXES for s in STEMS} - top)
    tail_rng = random.Random(348)
    tail_rng.shuffle(tail)
    share = 100_000 - sum(weights)  # the tail holds everyone else, Zipf-like inside it
    zipf = [1 / (r + 2000) for r in range(len(tail))]
    norm = share / sum(zipf)
    return names + tail, weights + [z * norm for z in zipf]


SURNAMES, SURNAME_WEIGHTS = _surnames()
SURNAME_CUM = list(itertools.accumulate(SURNAME_WEIGHTS))
MALE = _pairs(MALE_NAMES, 4)
MALE_CUM = list(itertools.accumulate(float(m[3]) for m in MALE))
FEMALE = _pairs(FEMALE_NAMES, 2)
FEMALE_CUM = list(itertools.accumulate(float(f[1]) for f in FEMALE))


def _female_surname(surname: str) -> str:
    return surname[:-2] + "а" if surname.endswith("ський") else surname


def person(rng: random.Random) -> str:
    """'Прізвище Ім'я По батькові' drawn from the skewed distributions above."""
    surname = rng.choices(SURNAMES, cum_weights=SURNAME_CUM)[0]
    father = rng.choices(MALE, cum_weights=MALE_CUM)[0]
    if rng.random() < 0.45:
        first = rng.choices(MALE, cum_weights=MALE_CUM)[0][0]
        return f"{surname} {first} {father[1]}"
    first = rng.choices(FEMALE, cum_weights=FEMALE_CUM)[0][0]
    return f"{_female_surname(surname)} {first} {father[2]}"


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def phone(rng: random.Random) -> str:
    return f"+380{rng.choice(['50', '63', '66', '67', '68', '73', '93', '95', '97', '99'])}" \
        f"{rng.randrange(10_000_000):07d}"


def substance(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30)))


def generate(n: int, seed: int, bodies: list[int], topics: list[str], regions: list[str]
             ) -> Iterator[tuple[tuple, tuple]]:
    """(applicant row, appeal row) pairs; numbers are sequential per year."""
    rng = random.Random(seed)
    start = dt.datetime(2024, 1, 1, tzinfo=UTC)
    span = 2 * 365 * 86400
    received = sorted(rng.randrange(span) for _ in range(n))
    counters: dict[int, int] = {}
    for i, offset in enumerate(received, start=1):
        at = start + dt.timedelta(seconds=offset)
        status = rng.choice(STATUSES)
        number = None
        if status != "draft":
            counters[at.year] = counters.get(at.year, 0) + 1
            number = f"1545-{at.year}-{counters[at.year]:06d}"
        needs_study = rng.random() < 0.4
        applicant = (i, person(rng), phone(rng), rng.choice(regions), at)
        appeal = (i, number, status, rng.choice(["proposal", "application", "complaint"]),
                  "phone", rng.choice(topics), applicant[3], substance(rng),
                  None if status in ("draft", "registered") else rng.choice(bodies),
                  i, at, None if status == "draft" else at,
                  None if status == "draft" else due_date(at, needs_study), needs_study, at, at, 1)
        yield applicant, appeal


APPLICANT_COLS = ("id", "full_name", "phone", "region_code", "created_at")
APPEAL_COLS = ("id", "number", "status", "type", "channel", "topic_code", "region_code",
               "substance", "body_id", "applicant_id", "received_at", "registered_at", "due_at",
               "needs_study", "created_at", "updated_at", "version")


def load_pg(engine, rows: Iterator[tuple[tuple, tuple]], counters_out: dict[int, int]) -> None:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        appeals: list[tuple] = []
        with cur.copy(f"COPY applicants ({', '.join(APPLICANT_COLS)}) FROM STDIN") as copy:
            for applicant, appeal in rows:
                copy.write_row(applicant)
                appeals.append(appeal)
        with cur.copy(f"COPY appeals ({', '.join(APPEAL_COLS)}, is_repeated, is_collective, "
                      "priority) FROM STDIN") as copy:
            for appeal in appeals:
                copy.write_row((*appeal, False, False, False))
        for table in ("applicants", "appeals"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))")
        _count_numbers(appeals, counters_out)
        raw.commit()
    finally:
        raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE applicants"))
        conn.execute(text("VACUUM ANALYZE appeals"))


def load_sqlite(engine, rows: Iterator[tuple[tuple, tuple]], counters_out: dict[int, int],
                batch: int = 20_000) -> None:
    a_table, p_table = Applicant.__table__, Appeal.__table__
    all_appeals: list[tuple] = []
    buf_a: list[dict] = []
    buf_p: list[dict] = []

    def flush(conn) -> None:
        if buf_a:
            conn.execute(insert(a_table), buf_a)
            conn.execute(insert(p_table), buf_p)
            buf_a.clear()
            buf_p.clear()

    with engine.begin() as conn:
        for applicant, appeal in rows:
            buf_a.append(dict(zip(APPLICANT_COLS, applicant)))
            buf_p.append(dict(zip(APPEAL_COLS, appeal)))
            all_appeals.append(appeal)
            if len(buf_a) >= batch:
                flush(conn)
        flush(conn)
    _count_numbers(all_appeals, counters_out)
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")


def _count_numbers(appeals: list[tuple], out: dict[int, int]) -> None:
    for appeal in appeals:
        if appeal[1]:
            year = int(appeal[1].split("-")[1])
            out[year] = max(out.get(year, 0), int(appeal[1].rsplit("-", 1)[1]))


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def explain(session, stmt) -> str:
    dialect = session.get_bind().dialect
    sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)" if dialect.name == "postgresql" \
        else "EXPLAIN QUERY PLAN"
    rows = session.connection().exec_driver_sql(f"{prefix} {sql}").all()
    lines = ("  " + " | ".join(str(c) for c in r) for r in rows)
    # the applicant ids of a name search are one long constant array: shorten it
    return "\n".join(ln if len(ln) <= 160 else ln[:150] + " …" for ln in lines)


def load(url: str, n: int, seed: int) -> None:
    """Migrate, seed reference data and bulk-load ``n`` appeals with their applicants."""
    migrate.upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with session_scope(factory) as s:
        seed_from_routing(s)
        bodies = list(s.scalars(select(StateBody.id)))
        topics = list(s.scalars(select(Topic.code)))
        regions = list(s.scalars(select(Region.code)))
    t0 = time.perf_counter()
    counters: dict[int, int] = {}
    rows = generate(n, seed, bodies, topics, regions)
    if engine.dialect.name == "postgresql":
        load_pg(engine, rows, counters)
    else:
        load_sqlite(engine, rows, counters)
    with session_scope(factory) as s:
        for year, value in counters.items():
            s.merge(NumberCounter(prefix="1545", year=year, value=value))
    engine.dispose()
    print(f"# {engine.dialect.name}: loaded {n:,} appeals + applicants in "
          f"{time.perf_counter() - t0:.1f} s")


def measure(url: str, runs: int, seed: int) -> None:
    """Time registration and every search kind on a loaded database; print the plans."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as s:
        n = s.scalar(select(func.max(Appeal.id))) or 1
    rng = random.Random(seed + 1)
    with session_scope(factory) as s:
        sample = s.execute(
            select(Appeal.number, Applicant.phone, Applicant.full_name, Appeal.topic_code,
                   Appeal.body_id)
            .join(Applicant, Appeal.applicant_id == Applicant.id)
            .where(Appeal.number.is_not(None), Appeal.body_id.is_not(None))
            .where(Appeal.id.in_([rng.randint(1, n) for _ in range(400)]))
        ).all()
        print(f"# sample rows: {len(sample)}; total appeals:"
              f" {s.scalar(select(func.count()).select_from(Appeal)):,}")

    def register() -> None:
        with session_scope(factory) as s:
            now = dt.datetime.now(UTC)
            who = Applicant(full_name=person(rng), phone=phone(rng))
            s.add(who)
            s.flush()
            s.add(Appeal(number=next_number(s, "1545", now), status="registered",
                         substance=substance(rng), applicant_id=who.id, received_at=now,
                         registered_at=now, due_at=due_date(now, False)))

    pick = lambda: rng.choice(sample)
    day = lambda: dt.datetime(2024, 1, 1, tzinfo=UTC) + dt.timedelta(days=rng.randrange(700))
    def week(d: dt.datetime) -> dict:
        return {"date_from": d, "date_to": d + dt.timedelta(days=7), "status": "answered"}

    def repeated(s) -> None:
        row = pick()
        find_repeated(s, phone=row[1], full_name=row[2], topic_code=row[3])

    searches: dict[str, Callable[[object], dict]] = {
        "by number": lambda s: {"number": pick()[0]},
        "by phone": lambda s: {"phone": pick()[1]},
        "by name: surname": lambda s: {"applicant": pick()[2].split()[0]},
        "by name: one of the 50 commonest surnames": lambda s: {"applicant": rng.choice(
            SURNAMES[:50])},
        "by name: surname prefix (4 letters)": lambda s: {"applicant": pick()[2][:4]},
        "by name: surname + first name": lambda s: {"applicant": " ".join(
            pick()[2].split()[:2])},
        "by name: full name": lambda s: {"applicant": pick()[2]},
        "by name: first name + patronymic": lambda s: {"applicant": " ".join(
            pick()[2].split()[1:])},
        "by text, one word": lambda s: {"text": rng.choice(WORDS)},
        "by text, two words": lambda s: {"text": f"{rng.choice(WORDS)} {rng.choice(WORDS)}"},
        "by date range (7 days) + status": lambda s: week(day()),
        "by body + open statuses": lambda s: {"body_id": pick()[4],
                                              "status": ["routed", "delivered"]},
    }
    results: list[tuple[str, list[float]]] = [("registration (number + insert + commit)",
                                               timed(register, runs))]
    plans: list[tuple[str, str]] = []
    with factory() as s:
        for label, make in searches.items():
            kwargs_list = [make(s) for _ in range(runs)]
            it = iter(kwargs_list)
            results.append((label, timed(lambda it=it: search_appeals(s, **next(it)), runs)))
            plans.append((label, explain(s, search_statement(s, **kwargs_list[0])
                                         .order_by(Appeal.received_at.desc(), Appeal.id.desc())
                                         .limit(50))))
        for name in ("Мельник", "Олена"):  # the commonest surname; a name past NAME_IDS_CAP
            plans.append((f"by name: {name}", explain(s, search_statement(s, applicant=name)
                          .order_by(Appeal.received_at.desc(), Appeal.id.desc()).limit(50))))
        rare = search_statement(s, text="затоплення підвал ліфт дах")
        plans.append(("by text, four words (rare combination)", explain(
            s, rare.order_by(Appeal.received_at.desc(), Appeal.id.desc()).limit(50))))
        results.append(("find_repeated (phone + name + topic)",
                        timed(lambda: repeated(s), runs)))
        row = pick()
        plans.append(("find_repeated", explain(s, find_repeated_statement(
            s, phone=row[1], full_name=row[2], topic_code=row[3]).limit(10))))
    engine.dispose()

    print(f"\n| operation ({runs} runs, N={n:,}) | p50 ms | p95 ms | p99 ms |")
    print("| --- | ---: | ---: | ---: |")
    for label, samples in results:
        print(f"| {label} | {statistics.median(samples):.2f} | {percentile(samples, 95):.2f} "
              f"| {percentile(samples, 99):.2f} |")
    for label, plan in plans:
        print(f"\n## plan: {label}\n{plan}")


def run(url: str, args: argparse.Namespace) -> None:
    if not args.measure_only:
        load(url, args.n, args.seed)
    if not args.load_only:
        measure(url, args.runs, args.seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="appeals to load")
    parser.add_argument("--runs", type=int, default=200, help="timed runs per operation")
    parser.add_argument("--seed", type=int, default=1545)
    parser.add_argument("--sqlite", action="store_true", help="use a temporary SQLite file")
    parser.add_argument("--url", help="an existing database to use instead (empty unless "
                        "--measure-only)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--load-only", action="store_true", help="load, do not measure")
    parser.add_argument("--measure-only", action="store_true",
                        help="measure an already loaded --url database")
    args = parser.parse_args()
    if args.url:
        run(args.url, args)
        return
    if args.sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            run(f"sqlite:///{Path(tmp) / 'bench.db'}", args)
        return
    name = f"hotline_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    print(f"# database {name}")
    try:
        run(f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}", args)
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
