"""Sample spreadsheets shared by the test suite and the benchmarks (small, but real layouts)."""

CSV_FRAMEWORK = """层级,编号,上级编号,名称,测评要点,测评方式,分值,释义,佐证材料要求
1,一、,,政府职能依法全面履行,,,,,
2,1.,一、,权责清单管理,,,,,
3,1,1.,权责清单动态调整并公开,清单在门户网站公开,材料审查、网络检索,1,例如：调整后同步更新,调整文件；公开网址
3,2,1.,行政许可事项清单管理,实行清单管理,材料审查,1.5,,许可事项清单
1,二、,,行政决策科学民主依法,,,,,
2,2.,二、,重大行政决策程序,,,,,
3,3,2.,重大行政决策目录公开,目录向社会公开,网络检索,2,,决策目录
3,4,2.,合法性审查全覆盖,决策前经合法性审查,材料审查、实地核查,1,,审查意见书
附加,附1,,法治建设获国家级表彰,获得表彰,材料审查,2,,表彰文件
"""

CSV_UNITS = """单位名称,简称,类型,排序,别名
鲁山县司法局,司法局,县直单位,1,县司法局
鲁山县财政局,财政局,县直单位,2,
琴台街道办事处,琴台街道,街道,3,琴台办事处
鲁山县人民政府办公室,县政府办,县直单位,4,政府办
"""

CSV_ASSIGNMENTS = """指标编号,牵头单位,配合单位,完成时限
1,司法局,财政局、琴台街道,2026-03-31
2,县政府办,司法局,2026年6月30日
3,司法局,,2026/9/30
4,财政局,司法局、琴台街道,
附1,县政府办,,2026-12-31
"""


def zip_of(**members: bytes) -> bytes:
    """A ZIP archive of the given members (name -> bytes), deflated."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


def upload(name: str, data: bytes):
    """An uploaded file as a view or service receives it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)
