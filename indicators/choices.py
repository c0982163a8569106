"""Reference data of the indicator system."""

# (code, name) of the evaluation methods of DESIGN.md §2.
DEFAULT_EVALUATION_METHODS = [
    ("document_review", "材料审查"),
    ("web_search", "网络检索"),
    ("site_check", "实地核查"),
    ("satisfaction_survey", "满意度测评"),
    ("data_check", "数据核验"),
]
