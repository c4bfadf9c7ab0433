"""Deterministic plans of demo people and employers: pure data, no database.

Person `i` of seed `s` is drawn from its own `random.Random(f"{s}:{i}")`, so a person does not depend on
how many others are generated, and re-running with the same seed plans exactly the same people.
Person 0 is the showcase citizen (the `citizen` demo login); persons 1-3 guarantee that even a small
demo has someone insured since before 1998, a pensioner, a deceased person and a three-province career.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from stdnum.cn import uscc

from core.identity import Sex, check_character
from demo.figures import DESTINATIONS, PROVINCE_CODES, PROVINCE_PROFILE
from insurance.calculators.retirement import FemaleCategory, retirement_plan_calculate
from insurance.employer_codes import CHARACTERS
from insurance.models import PersonStatus, RelationshipStatus, Scheme
from insurance.periods import month_index, period_add_months, period_from_index, period_of
from insurance.services.relationships import Enrolment, needs_temporary_account

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
# Frequent surnames are drawn more often: weight falls with rank.
SURNAME_WEIGHTS = tuple(1 / (rank + 4) for rank in range(len(SURNAMES)))
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林峰建国志文博海东亮晨阳"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英燕玲桂丹萍红梅琳雪颖倩婷慧莉洁佳欣怡悦琪晶兰月璐瑶"
GIVEN_ANY = "子一天思雨嘉晓新家春秋安心乐欣然诗梦若云"
EMPLOYER_WORDS = "华信达恒泰安盛宏远通创联鑫源中天瑞丰博金利和正新昌隆嘉"
EMPLOYER_TRADES = (
    "科技有限公司",
    "建筑工程有限公司",
    "商贸有限公司",
    "物流有限公司",
    "制造有限公司",
    "餐饮管理有限公司",
    "医药有限公司",
    "电子有限公司",
    "纺织有限公司",
    "物业服务有限公司",
)
PROVINCE_SHORT = {
    "11": "北京",
    "12": "天津",
    "13": "河北",
    "14": "山西",
    "15": "内蒙古",
    "21": "辽宁",
    "22": "吉林",
    "23": "黑龙江",
    "31": "上海",
    "32": "江苏",
    "33": "浙江",
    "34": "安徽",
    "35": "福建",
    "36": "江西",
    "37": "山东",
    "41": "河南",
    "42": "湖北",
    "43": "湖南",
    "44": "广东",
    "45": "广西",
    "46": "海南",
    "50": "重庆",
    "51": "四川",
    "52": "贵州",
    "53": "云南",
    "54": "西藏",
    "61": "陕西",
    "62": "甘肃",
    "63": "青海",
    "64": "宁夏",
    "65": "新疆",
}
MOBILE_PREFIXES = ("130", "131", "135", "136", "137", "138", "139", "150", "151", "158", "177", "186", "189")
# Workers without an employer pay as flexible workers (灵活就业).
FLEXIBLE_SHARE = 0.15
SEQUENCES_PER_ADDRESS = 499  # ID sequence digits 001-998, odd for men and even for women
EARLIEST_PERIOD = 199001  # nobody's demo history starts earlier


@dataclass(frozen=True, slots=True)
class EmployerPlan:
    code: str
    name: str
    province: str


@dataclass(frozen=True, slots=True)
class Stint:
    """An unbroken run of months paid into one province: one insurance relationship per scheme, opened in
    the first month, with the employer (or none, for a flexible worker)."""

    province: str
    first: int  # YYYYMM
    last: int  # YYYYMM, inclusive
    employer: str | None  # unified social credit code; None for a flexible worker
    schemes: tuple[str, ...]
    temporary_account: bool  # of the employee pension, as enrolment decides it
    # The month payment is suspended from, the one after the last month paid, when the person moved on or
    # stopped paying; None while paying up to retirement, death or today.
    suspended_from: int | None
    status: str  # the relationships' status today
    closed_period: int | None


@dataclass(frozen=True, slots=True)
class PersonPlan:
    index: int
    id_number: str
    name: str
    sex: str
    birth_date: datetime.date
    hukou_province: str
    residence_province: str | None
    phone: str
    status: str
    retired: bool  # retired by today, or before dying
    date_of_death: datetime.date | None
    wage_factor: float  # the person's declared base relative to the province's average wage
    stints: tuple[Stint, ...]

    def months(self) -> int:
        """How many contribution records the plan makes (one per scheme and month)."""
        return sum(
            (month_index(stint.last) - month_index(stint.first) + 1) * len(stint.schemes)
            for stint in self.stints
        )


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(tuple(weights), weights=tuple(weights.values()))[0]


def _population_weights() -> dict[str, int]:
    return {code: share for code, (share, _) in PROVINCE_PROFILE.items()}


def employer_plans(*, seed: int, count: int) -> list[EmployerPlan]:
    """`count` employers (at least two per province, the rest by population), with valid codes."""
    rng = random.Random(f"{seed}:employers")
    provinces = [*PROVINCE_CODES, *PROVINCE_CODES]
    weights = _population_weights()
    provinces += [_weighted(rng, weights) for _ in range(max(0, count - len(provinces)))]
    plans, codes = [], set()
    for province in provinces:
        while True:
            # 9 = registered by the market regulator, 1 = company; then the division code and an
            # organisation code; the 18th character is the GB 32100 check character.
            division = f"{province}{rng.randint(1, 20):02d}{rng.randint(1, 30):02d}"
            first_17 = f"91{division}{''.join(rng.choices(CHARACTERS, k=9))}"
            code = first_17 + uscc.calc_check_digit(first_17)
            if code not in codes:
                break
        codes.add(code)
        words = "".join(rng.sample(EMPLOYER_WORDS, 2))
        plans.append(
            EmployerPlan(code, f"{PROVINCE_SHORT[province]}{words}{rng.choice(EMPLOYER_TRADES)}", province)
        )
    return plans


def _id_number(index: int, province: str, birth_date: datetime.date, sex: str) -> str:
    """Unique for every index: the index picks the address code's last four digits and the sequence."""
    block, sequence = divmod(index, SEQUENCES_PER_ADDRESS)
    address = f"{province}{1 + block // 99:02d}{1 + block % 99:02d}"
    first_17 = f"{address}{birth_date:%Y%m%d}{2 * sequence + (1 if sex == Sex.MALE else 2):03d}"
    return first_17 + check_character(first_17)


def _name(rng: random.Random, sex: str) -> str:
    given = GIVEN_MALE if sex == Sex.MALE else GIVEN_FEMALE
    surname = rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
    if rng.random() < 0.35:
        return surname + rng.choice(given)
    return surname + rng.choice(given + GIVEN_ANY) + rng.choice(given)


def _retirement_month(rng: random.Random, sex: str, birth_date: datetime.date) -> int:
    category = None if sex == Sex.MALE else rng.choice((FemaleCategory.WORKER, FemaleCategory.CADRE))
    plan = retirement_plan_calculate(birth_month=period_of(birth_date), sex=sex, female_category=category)
    return plan.retirement_month


@dataclass(frozen=True, slots=True)
class _Shape:
    """What kind of career person `index` has; the first indices are fixed so that every demo has one of
    each kind."""

    birth_year: tuple[int, int]
    provinces: int
    since_before_1998: bool
    dies: bool
    all_schemes: bool = False


_FIXED_SHAPES = {
    0: _Shape(birth_year=(1974, 1974), provinces=2, since_before_1998=True, dies=False, all_schemes=True),
    1: _Shape(birth_year=(1958, 1961), provinces=1, since_before_1998=True, dies=False),
    2: _Shape(birth_year=(1956, 1960), provinces=2, since_before_1998=False, dies=True),
    3: _Shape(birth_year=(1970, 1972), provinces=3, since_before_1998=True, dies=False),
}


def _random_shape(rng: random.Random) -> _Shape:
    draw = rng.random()
    provinces = 1 if draw < 0.72 else 2 if draw < 0.94 else 3
    return _Shape(
        birth_year=(1955, 2004),
        provinces=provinces,
        since_before_1998=rng.random() < 0.05,
        dies=rng.random() < 0.006,
    )


def _split(rng: random.Random, first: int, last: int, parts: int) -> list[tuple[int, int]]:
    """Split months first..last into `parts` runs, with a gap of 0-6 months at each move."""
    start, end = month_index(first), month_index(last)
    parts = max(1, min(parts, (end - start + 1) // 24))
    cuts = sorted(rng.sample(range(start + 12, end - 11), parts - 1)) if parts > 1 else []
    runs, begin = [], start
    for cut in cuts:
        runs.append((begin, cut - 1))
        begin = min(cut + rng.randint(0, 6), end)
    runs.append((begin, end))
    return [(period_from_index(a), period_from_index(b)) for a, b in runs if a <= b]


def person_plan(
    *, seed: int, index: int, years: int, today: datetime.date, employers: dict[str, list[str]]
) -> PersonPlan:
    """Person `index`: identity, name, and a career of up to `years` years ending at their last working
    month (today, retirement or death), or since before 1998 for some."""
    rng = random.Random(f"{seed}:{index}")
    shape = _FIXED_SHAPES.get(index) or _random_shape(rng)
    sex = Sex.MALE if (index == 0 or rng.random() < 0.52) and index != 2 else Sex.FEMALE
    birth_date = datetime.date(rng.randint(*shape.birth_year), rng.randint(1, 12), rng.randint(1, 28))
    id_province = "44" if index == 0 else _weighted(rng, _population_weights())
    id_number = _id_number(index, id_province, birth_date, sex)
    last_month = period_add_months(period_of(today), -1)

    date_of_death = None
    if shape.dies and birth_date.year <= today.year - 46:
        earliest = max(
            birth_date + datetime.timedelta(days=365 * 45), today - datetime.timedelta(days=365 * 6)
        )
        date_of_death = earliest + datetime.timedelta(
            days=rng.randint(0, max(0, (today - earliest).days - 30))
        )
    retirement = _retirement_month(rng, sex, birth_date)
    end = min(last_month, period_add_months(retirement, -1))
    if date_of_death is not None:
        end = min(end, period_of(date_of_death))
    paid_up_to = end  # where the career ends unless the person stops paying before
    stopped_early = rng.random() < 0.05 and end == last_month
    if stopped_early:
        end = period_add_months(end, -rng.randint(3, 30))
    work_start = period_add_months(
        period_of(birth_date),
        12 * rng.randint(18, 20 if shape.since_before_1998 else 24) + rng.randint(0, 11),
    )
    # A career since before 1998 runs to the end (at most 33 years); every other one covers `years`.
    long_start = max(work_start, EARLIEST_PERIOD, period_add_months(end, -12 * 33))
    if shape.since_before_1998 and long_start < 199801:
        start = long_start
    else:
        start = max(work_start, period_add_months(end, -12 * years + 1))

    hukou = id_province
    provinces = [hukou if rng.random() < 0.8 else _weighted(rng, _population_weights())]
    while len(provinces) < shape.provinces:
        destination = "11" if index == 0 else _weighted(rng, DESTINATIONS)
        if destination not in provinces:
            provinces.append(destination)
    runs = _split(rng, start, end, len(provinces)) if start <= end else []
    # Some settle where they work and move their hukou there.
    if runs and provinces[len(runs) - 1] != hukou and rng.random() < 0.1:
        hukou = provinces[len(runs) - 1]

    retired = retirement <= last_month and (date_of_death is None or retirement <= period_of(date_of_death))
    status = (
        PersonStatus.DECEASED if date_of_death else PersonStatus.RETIRED if retired else PersonStatus.ACTIVE
    )
    stints = []
    for number, ((first, last), province) in enumerate(zip(runs, provinces, strict=False)):
        is_current = number == len(runs) - 1
        # Retirement closes the relationship paid last; a death closes every one still open.
        suspended_from = None if is_current and last == paid_up_to else period_add_months(last, 1)
        if is_current and retired:
            relationship_status, closed = RelationshipStatus.CLOSED, last
        elif date_of_death is not None:
            relationship_status, closed = RelationshipStatus.CLOSED, period_of(date_of_death)
        elif suspended_from is None:
            relationship_status, closed = RelationshipStatus.PAYING, None
        else:
            relationship_status, closed = RelationshipStatus.SUSPENDED, suspended_from
        pool = employers.get(province, [])
        employer = None if not pool or rng.random() < FLEXIBLE_SHARE else rng.choice(pool)
        if shape.all_schemes and is_current:
            employer = pool[0] if pool else None
        stints.append(
            Stint(
                province=province,
                first=first,
                last=last,
                employer=employer,
                schemes=(
                    (
                        Scheme.EMPLOYEE_PENSION,
                        Scheme.EMPLOYEE_MEDICAL,
                        Scheme.UNEMPLOYMENT,
                        Scheme.WORK_INJURY,
                    )
                    if shape.all_schemes and is_current and employer
                    else (Scheme.EMPLOYEE_PENSION,)
                ),
                # Decided by enrolment's own rule (DOMAIN.md §3), so that the plan says what it will do.
                temporary_account=needs_temporary_account(
                    sex=sex.value,
                    birth_date=birth_date,
                    hukou_province_id=hukou,
                    insured_elsewhere=number > 0,
                    enrolment=Enrolment(
                        person_id=0, scheme=Scheme.EMPLOYEE_PENSION, province_id=province, start_period=first
                    ),
                ),
                suspended_from=suspended_from,
                status=relationship_status,
                closed_period=closed,
            )
        )
    residence = stints[-1].province if stints else hukou
    return PersonPlan(
        index=index,
        id_number=id_number,
        name=_name(rng, sex),
        sex=sex.value,
        birth_date=birth_date,
        hukou_province=hukou,
        residence_province=residence if rng.random() < 0.9 else None,
        phone=f"{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 99999999):08d}",
        status=status,
        retired=retired,
        date_of_death=date_of_death,
        wage_factor=min(4.0, max(0.35, rng.lognormvariate(0.0, 0.45))),
        stints=tuple(stints),
    )
