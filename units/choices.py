"""Reference data every county starts with (the list itself is data and may grow)."""

# (code, name, is_township) — the API exposes the code as a unit's ``kind``.
DEFAULT_UNIT_KINDS = [
    ("county_department", "县直单位", False),
    ("party_department", "县委部门", False),
    ("judicial", "政法单位", False),
    ("vertical", "垂直管理单位", False),
    ("township", "乡镇", True),
    ("street", "街道", True),
    ("other", "其他", False),
]
