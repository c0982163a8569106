"""What goes into a package: the evidence files in scope, placed in the indicator tree and split
into volumes (DESIGN.md §3.7). Pure reads; the builder writes."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from evidence.models import Evidence, EvidenceAssignment, EvidenceFile, EvidenceLink
from indicators.models import Indicator
from reports.packages.paths import join, safe_component, unique_in_folder

SCHEMA_VERSION = 1
BONUS_AREA = 0  # in Options.area_ids: the bonus indicators


@dataclass(frozen=True)
class Options:
    campaign_id: int
    area_ids: tuple[int, ...] = ()
    unit_ids: tuple[int, ...] = ()
    include_pending: bool = False
    volume_rule: str = "indicator"  # indicator | area | size
    volume_cap: int | None = None  # bytes, for the "size" rule

    @classmethod
    def from_dict(cls, data: dict) -> "Options":
        return cls(
            campaign_id=int(data["campaign_id"]),
            area_ids=tuple(sorted(int(a) for a in data.get("area_ids") or ())),
            unit_ids=tuple(sorted(int(u) for u in data.get("unit_ids") or ())),
            include_pending=bool(data.get("include_pending")),
            volume_rule=data.get("volume_rule") or ("size" if data.get("volume_cap") else "indicator"),
            volume_cap=int(data["volume_cap"]) if data.get("volume_cap") else None,
        )

    def as_dict(self) -> dict:
        return {
            "campaign_id": self.campaign_id,
            "area_ids": list(self.area_ids),
            "unit_ids": list(self.unit_ids),
            "include_pending": self.include_pending,
            "volume_rule": self.volume_rule,
            "volume_cap": self.volume_cap,
        }


@dataclass(frozen=True, slots=True)
class Blob:
    """A stored file as the package reads it (the fields ``evidence.storage.blob_open`` needs)."""

    sha256: str
    size: int
    kind: str
    blob: str
    crc32: int | None  # None for files stored before StoredFile kept it


@dataclass(frozen=True, slots=True)
class UnitInfo:
    name: str
    short_name: str
    order: int


@dataclass(frozen=True, slots=True)
class Item:
    """An evidence item as the package reads it: plain values, not a model instance — a 20,000-item
    package holds 20,000 of these, and model instances (with their units and reviewers) cost ~8×."""

    pk: int
    title: str
    revision: int
    status: str
    created_at: dt.datetime
    reviewed_at: dt.datetime | None
    reviewed_by: str | None  # the reviewer's display name
    unit: UnitInfo


@dataclass(frozen=True, slots=True)
class FileInfo:
    name: str
    stored: Blob


@dataclass(slots=True)
class Entry:
    """One file in one indicator's folder (a file serving several indicators is an entry in each)."""

    indicator: Indicator
    folder: str
    name: str
    evidence: Item
    file: FileInfo

    @property
    def path(self) -> str:
        return join(self.folder, self.name)

    @property
    def size(self) -> int:
        return self.file.stored.size

    def manifest(self) -> dict:
        reviewed = self.evidence.reviewed_at
        return {
            "path": self.path,
            "sha256": self.file.stored.sha256,
            "size": self.file.stored.size,
            "indicator_code": self.indicator.code,
            "unit": self.evidence.unit.short_name,
            "evidence_id": self.evidence.pk,
            "status": self.evidence.status,
            "approved_at": timezone.localtime(reviewed).isoformat(timespec="seconds") if reviewed else None,
            "approved_by": self.evidence.reviewed_by,
        }


@dataclass
class Volume:
    number: int
    title: str
    indicators: list[Indicator] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(e.size for e in self.entries)


def _folder_for(indicator: Indicator) -> str:
    if indicator.level == Indicator.Level.BONUS:
        return join("附加指标", safe_component(f"{indicator.code} {indicator.title}"))
    item = indicator.parent
    area = item.parent if item else None
    parts = [
        safe_component(f"{area.code}{area.title}") if area else "",
        safe_component(f"{item.code} {item.title}") if item else "",
        safe_component(f"{indicator.code} {indicator.title}"),
    ]
    return join(*parts)


def _scope(options: Options):
    """(campaign, indicators in tree order by id, the evidence-to-assignment rows in scope)."""
    from indicators.models import Campaign

    campaign = Campaign.objects.select_related("framework", "county").get(pk=options.campaign_id)
    indicators = (
        Indicator.objects.filter(framework_id=campaign.framework_id)
        .assessable()
        .select_related("parent__parent", "area")
        .order_by("sort_key")
    )
    if options.area_ids:
        # Area 0 stands for the bonus indicators, which have no level-1 area.
        wanted = Q(area_id__in=[a for a in options.area_ids if a])
        if BONUS_AREA in options.area_ids:
            wanted |= Q(level=Indicator.Level.BONUS)
        indicators = indicators.filter(wanted)
    indicators = {i.pk: i for i in indicators}
    statuses = [Evidence.Status.APPROVED] + ([Evidence.Status.PENDING] if options.include_pending else [])
    serving = EvidenceAssignment.objects.filter(
        assignment__campaign=campaign, assignment__indicator_id__in=list(indicators), evidence__status__in=statuses
    )
    if options.unit_ids:
        serving = serving.filter(evidence__unit_id__in=options.unit_ids)
    return campaign, indicators, serving


def scope_evidence_ids(options: Options):
    """The ids of the evidence items a package with these options would hold (a subquery)."""
    return _scope(options)[2].values("evidence_id")


def _items(campaign, evidence_ids) -> dict[int, Item]:
    from accounts.models import User
    from units.models import Unit

    units = {
        u["id"]: UnitInfo(u["name"], u["short_name"], u["order"])
        for u in Unit.objects.filter(county_id=campaign.county_id).values("id", "name", "short_name", "order")
    }
    rows = list(
        Evidence.objects.filter(pk__in=evidence_ids).values_list(
            "id", "title", "revision", "status", "created_at", "reviewed_at", "reviewed_by_id", "unit_id"
        )
    )
    reviewers = {u.pk: u.display_name for u in User.objects.filter(pk__in={r[6] for r in rows if r[6]})}
    return {
        pk: Item(pk, title, revision, status, created, reviewed, reviewers.get(reviewer), units[unit])
        for pk, title, revision, status, created, reviewed, reviewer, unit in rows
    }


def _files(evidence_ids) -> dict[int, list[FileInfo]]:
    files: dict[int, list[FileInfo]] = {}
    blobs: dict[str, Blob] = {}
    rows = (
        EvidenceFile.objects.filter(evidence_id__in=evidence_ids)
        .order_by("evidence_id", "order", "id")
        .values_list(
            "evidence_id",
            "name",
            "stored__sha256",
            "stored__size",
            "stored__kind",
            "stored__blob",
            "stored__crc32",
        )
    )
    for evidence_id, name, sha256, size, kind, blob, crc32 in rows.iterator(chunk_size=5000):
        stored = blobs.setdefault(sha256, Blob(sha256, size, kind, blob, crc32))
        files.setdefault(evidence_id, []).append(FileInfo(name, stored))
    return files


def collect(options: Options):
    """(campaign, indicators, ordered entries, links) for the options; a handful of queries whatever the size."""
    campaign, indicators, serving = _scope(options)
    pairs = list(serving.values_list("evidence_id", "assignment__indicator_id").distinct())
    evidence_ids = serving.values("evidence_id")
    evidence, files = _items(campaign, evidence_ids), _files(evidence_ids)
    entries: list[Entry] = []
    taken: dict[str, set[str]] = {}
    # Tree order, then unit order, then submission order: the same inputs always give the same paths.
    for evidence_id, indicator_id in sorted(
        pairs, key=lambda p: (indicators[p[1]].sort_key, evidence[p[0]].unit.order, evidence[p[0]].created_at, p[0])
    ):
        item, indicator = evidence[evidence_id], indicators[indicator_id]
        folder = _folder_for(indicator)
        title = safe_component(item.title, limit=200, fallback="材料")
        for file in files.get(evidence_id, []):
            ext = file.stored.kind  # the detected type, not whatever the uploaded name claimed
            base = safe_component(f"{item.unit.short_name}-{title}-v{item.revision}.{ext.lower()}")
            name = unique_in_folder(base, taken.setdefault(folder, set()))
            entries.append(Entry(indicator, folder, name, item, file))
    links = list(
        EvidenceLink.objects.filter(evidence_id__in=evidence_ids)
        .select_related("evidence__unit")
        .order_by("evidence__unit__order", "evidence_id", "order", "id")
    )
    link_indicators = {}
    for evidence_id, indicator_id in pairs:
        link_indicators.setdefault(evidence_id, []).append(indicators[indicator_id])
    return (
        campaign,
        list(indicators.values()),
        entries,
        [(link, link_indicators.get(link.evidence_id, [])) for link in links],
    )


def volumes(options: Options, indicators: list[Indicator], entries: list[Entry]) -> list[Volume]:
    """Split entries into volumes by the chosen rule; indicators without material get no volume."""
    by_indicator: dict[int, list[Entry]] = {}
    for entry in entries:
        by_indicator.setdefault(entry.indicator.pk, []).append(entry)
    result: list[Volume] = []
    if options.volume_rule == "area":
        groups: dict[str, Volume] = {}
        for indicator in indicators:
            if indicator.pk not in by_indicator:
                continue
            key = f"{indicator.area.code}{indicator.area.title}" if indicator.area else "附加指标"
            volume = groups.setdefault(key, Volume(number=len(groups) + 1, title=key))
            volume.indicators.append(indicator)
            volume.entries += by_indicator[indicator.pk]
        return list(groups.values())
    if options.volume_rule == "size":
        cap = options.volume_cap or 2 * 1024**3
        current = None
        for indicator in indicators:
            for entry in by_indicator.get(indicator.pk, []):
                if current is None or (current.entries and current.size + entry.size > cap):
                    current = Volume(number=len(result) + 1, title="")
                    result.append(current)
                if indicator not in current.indicators:
                    current.indicators.append(indicator)
                current.entries.append(entry)
        for volume in result:
            first, last = volume.indicators[0], volume.indicators[-1]
            volume.title = f"指标{first.code}至{last.code}" if first != last else f"指标{first.code} {first.title}"
        return result
    for indicator in indicators:
        if indicator.pk in by_indicator:
            prefix = "附加指标" if indicator.level == Indicator.Level.BONUS else "指标"
            result.append(
                Volume(
                    number=len(result) + 1,
                    title=f"{prefix}{indicator.code} {indicator.title}",
                    indicators=[indicator],
                    entries=by_indicator[indicator.pk],
                )
            )
    return result


def approved_on(entry: Entry) -> str:
    reviewed = entry.evidence.reviewed_at
    return timezone.localtime(reviewed).date().isoformat() if reviewed else "（待审核）"


def today() -> dt.date:
    return timezone.localdate()
