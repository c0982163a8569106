import datetime as dt
import io

import pytest
from openpyxl import Workbook

from luhsan_portal.spreadsheets import SpreadsheetError, parse_date, read_tables, split_list


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-12", dt.date(2024, 1, 12)),
        ("2024/1/12", dt.date(2024, 1, 12)),
        ("2024.1.12", dt.date(2024, 1, 12)),
        ("2024年1月12日", dt.date(2024, 1, 12)),
        ("２０２４年１月１２日", dt.date(2024, 1, 12)),
        ("20240112", dt.date(2024, 1, 12)),
        ("2024年6月", dt.date(2024, 6, 30)),
        ("2024年12月底", dt.date(2024, 12, 31)),
        (45303, dt.date(2024, 1, 12)),
        (dt.datetime(2024, 1, 12, 0, 0), dt.date(2024, 1, 12)),
        ("", None),
    ],
)
def test_parse_date_accepts_the_formats_offices_write(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["2024-02-30", "下个月", "2024年13月", "12/01"])
def test_parse_date_refuses_malformed_dates_in_chinese(text):
    with pytest.raises(ValueError, match="日期"):
        parse_date(text)


def test_split_list_handles_every_separator():
    assert split_list("司法局、财政局，公安局,法院；检察院;信访局\n县政府办") == [
        "司法局",
        "财政局",
        "公安局",
        "法院",
        "检察院",
        "信访局",
        "县政府办",
    ]


def test_header_found_below_a_title_row_in_xlsx():
    wb = Workbook()
    ws = wb.active
    ws.append(["附件1：鲁山县责任单位名册"])
    ws.append([" 单位\n名称 ", "简称", "类型*"])
    ws.append(["鲁山县司法局", "司法局", "县直单位"])
    buf = io.BytesIO()
    wb.save(buf)
    tables = read_tables(buf.getvalue(), layouts=[{"单位名称", "类型"}])
    assert tables[0].rows[0].number == 3
    assert tables[0].rows[0].text("单位名称") == "鲁山县司法局"


def test_gbk_csv_is_read():
    data = "单位名称,简称,类型\n鲁山县司法局,司法局,县直单位\n".encode("gbk")
    tables = read_tables(data, layouts=[{"单位名称", "类型"}])
    assert tables[0].rows[0].text("简称") == "司法局"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "文件为空"),
        (b"%PDF-1.7 ...", "PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", ".xls"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "无法识别的文件类型"),
        (b"PK\x03\x04 not really a zip", "不是有效的 Excel"),
        ("姓名,电话\n张三,123\n".encode(), "找不到表头"),
        ("单位名称,简称,类型\n".encode(), "没有数据行"),
    ],
)
def test_unreadable_files_raise_a_chinese_message(data, message):
    with pytest.raises(SpreadsheetError, match=message):
        read_tables(data, layouts=[{"单位名称", "类型"}])


def test_a_50000_row_file_is_refused_before_it_is_parsed(settings):
    settings.IMPORT_MAX_ROWS = 20000
    lines = ["指标编号,牵头单位"] + [f"{i},司法局" for i in range(50000)]
    with pytest.raises(SpreadsheetError, match="超过 20000 行"):
        read_tables("\n".join(lines).encode(), layouts=[{"指标编号", "牵头单位"}])


def test_oversized_file_is_refused(settings):
    settings.IMPORT_MAX_BYTES = 1000
    with pytest.raises(SpreadsheetError, match="文件超过"):
        read_tables(b"x" * 2000, layouts=[{"a"}])
