"""Reads about units that take parameters: name resolution and the unit pages."""

import difflib

from django.utils.translation import gettext as _

from luhsan_portal.spreadsheets import normalize_name
from units.models import County, Unit


class UnitResolver:
    """Resolves the names people write (全称, 简称, 别名, with or without 鲁山县/县) to one unit.

    Built once per import from one query; a class because every row of a file shares the index.
    """

    def __init__(self, county: County, units: list[Unit] | None = None):
        self.county = county
        self.units = units if units is not None else list(Unit.objects.filter(county=county).select_related("kind"))
        self._prefixes = sorted(county.name_prefixes, key=len, reverse=True)
        self._index: dict[str, Unit] = {}
        self._ambiguous: set[str] = set()
        for unit in self.units:
            for key in self._keys(unit):
                existing = self._index.get(key)
                if existing is not None and existing.pk != unit.pk:
                    self._ambiguous.add(key)
                self._index.setdefault(key, unit)

    def _strip(self, key: str) -> str:
        for prefix in self._prefixes:
            if key.startswith(prefix) and len(key) > len(prefix) + 1:
                return key[len(prefix) :]
        return key

    def _keys(self, unit: Unit) -> set[str]:
        names = [unit.name, unit.short_name, *unit.alias_list]
        keys = {normalize_name(n) for n in names if n}
        return keys | {self._strip(k) for k in keys}

    def resolve(self, text: str) -> Unit | None:
        key = normalize_name(text)
        if not key:
            return None
        for candidate in (key, self._strip(key)):
            if candidate in self._index and candidate not in self._ambiguous:
                return self._index[candidate]
        return None

    def suggestions(self, text: str, limit: int = 3) -> list[str]:
        """The closest known unit names, for a message about an unknown one."""
        key = self._strip(normalize_name(text))
        matches = difflib.get_close_matches(key, list(self._index), n=limit * 3, cutoff=0.4)
        names: list[str] = []
        for match in matches:
            name = self._index[match].name
            if name not in names:
                names.append(name)
        return names[:limit]

    def unknown_message(self, text: str) -> str:
        close = self.suggestions(text)
        if close:
            return _("找不到单位“%(name)s”，您是不是要找：%(close)s？") % {"name": text, "close": "、".join(close)}
        return _("找不到单位“%(name)s”，请先在单位名册中添加该单位。") % {"name": text}
