"""Every rule row's quote occurs, verbatim after whitespace removal, inside its own document of the source text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from zoning import settings
from zoning.errors import SchemeError
from zoning.rules import citations

SOURCE = Path(settings.data_dir) / "hengnan" / "source" / "hengnan_2020_documents.txt"
ROWS = citations.citation_rows("hengnan")


def _raw_source_without_whitespace() -> str:
    # independent of citations.normalise: strip by character class
    return "".join(ch for ch in SOURCE.read_text(encoding="utf-8") if not ch.isspace())


@pytest.mark.parametrize(("table", "row_id", "row"), ROWS, ids=[f"{t}:{i}" for t, i, _ in ROWS])
def test_quote_resolves_in_its_document(table, row_id, row):
    assert row["document"] and row["clause"] and row["quote"]
    quote = "".join(ch for ch in row["quote"] if not ch.isspace())
    assert quote in _raw_source_without_whitespace()
    assert citations.citation_problem(row["document"], row["quote"], "hengnan") is None


def test_every_table_and_document_is_covered():
    tables = {t for t, _, _ in ROWS}
    assert tables == {"documents", "epidemic", "medical_insurance", "health_grades", "health_units",
                      "health_groups", "enterprise", "logistics"}
    assert sum(t == "documents" for t, _, _ in ROWS) == 5


def test_quote_from_another_document_is_rejected():
    # the enterprise validity sentence exists in the source, but in 清政发[2020]1号, not in the logistics plan
    problem = citations.citation_problem("清政办发[2020]6号", "本办法执行期限为文件发布之日起至今年6月30日止", "hengnan")
    assert problem == "quote found in the source text but outside 清政办发[2020]6号"


def test_invented_quote_and_unknown_document_are_rejected():
    assert citations.citation_problem("清政发[2020]1号", "房租全年免收", "hengnan") == "quote not found in the source text"
    assert "unknown document" in citations.citation_problem("清政发[2099]9号", "房租", "hengnan")


def test_whitespace_is_ignored_both_ways():
    # the source breaks "李  军" and the table cells of 附件3 with spaces, tabs and newlines
    assert citations.normalise("李  军\t（2020年2月20日）\n\u3000") == "李军（2020年2月20日）"
    assert citations.citation_problem("两线作战调度会讲话(2020-02-20)", "李 军 （2020年2月20日）", "hengnan") is None


def test_check_citations_counts_all_rows():
    assert citations.check_citations("hengnan") == len(ROWS)


@pytest.fixture
def broken_county(tmp_path, monkeypatch):
    """A copy of Hengnan's scheme, source and rules with one falsified quote."""
    src = Path(settings.data_dir) / "hengnan"
    dst = tmp_path / "hengnan"
    shutil.copytree(src / "rules", dst / "rules")
    shutil.copytree(src / "source", dst / "source")
    shutil.copy(src / "scheme.toml", dst / "scheme.toml")
    path = dst / "rules" / "medical_insurance.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("58.44%", "68.44%"), encoding="utf-8")
    monkeypatch.setattr(settings, "data_dir", tmp_path)
    return "hengnan"  # the readers cache by path, so the copy is read afresh


def test_check_citations_names_the_bad_row(broken_county):
    with pytest.raises(SchemeError, match=r"medical_insurance:M01: quote not found"):
        citations.check_citations(broken_county)


def test_missing_citation_column_is_an_error(broken_county):
    path = Path(settings.data_dir) / "hengnan" / "rules" / "logistics.csv"
    text = path.read_text(encoding="utf-8").replace(",quote,", ",snippet,", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SchemeError, match="missing citation column"):
        citations.load_table("logistics", broken_county)
