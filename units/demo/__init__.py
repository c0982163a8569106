"""Demo county: 鲁山县 with its 89 units (names from units.csv) and one contact pair per unit."""

from pathlib import Path

from django.core.management.base import CommandError

from units.importers import units_import
from units.models import County, Unit, UnitContact

DATA = Path(__file__).parent
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "建国志强海燕红梅晓东春华丽娟文静国庆玉兰永刚秀英明辉俊杰雪梅伟东桂芳宏伟丹丹"


def person_name(n: int) -> str:
    """An invented but ordinary Chinese name, stable for a given number."""
    surname = SURNAMES[(n * 7) % len(SURNAMES)]
    given = GIVEN[(n * 2) % len(GIVEN)] + GIVEN[(n * 5 + 1) % len(GIVEN)]
    return surname + given


def seed_county(actor=None) -> County:
    county, _ = County.objects.get_or_create(name="鲁山县", defaults={"short_name": "鲁山"})
    result = units_import(data=(DATA / "units.csv").read_bytes(), county=county, actor=actor)
    if not result.ok:
        raise CommandError("\n".join(str(e) for e in result.errors))
    units = list(Unit.objects.filter(county=county).order_by("order"))
    have_contacts = set(UnitContact.objects.filter(unit__county=county).values_list("unit_id", flat=True))
    contacts = []
    for unit in units:
        if unit.pk in have_contacts:
            continue
        contacts += [
            UnitContact(
                unit=unit,
                role=UnitContact.Role.LIAISON,
                name=person_name(unit.order),
                post="科员",
                phone=f"0375-50{unit.order:05d}",
                order=1,
            ),
            UnitContact(
                unit=unit,
                role=UnitContact.Role.LEADER,
                name=person_name(unit.order + 300),
                post="副局长",
                phone=f"139{unit.order:08d}",
                order=2,
            ),
        ]
    UnitContact.objects.bulk_create(contacts)
    return county
