from __future__ import annotations

import tracemalloc
from datetime import date, datetime
from pathlib import Path

import pytest

from leadloop.imports.reading import ReadError, Table, open_table, unique_header
from leadloop.imports.sampling import distinct_values, sample
from leadloop.imports.tests.files import write_csv, write_ods, write_xlsx

PEOPLE = [
    ["First Name", "Last Name", "Email", "Company", "Revenue"],
    ["Jürgen", "Müller", "jm@example.de", "Bäckerei Größe GmbH", "3.000 €"],
    ["François", "Lefèvre", "fl@example.fr", "Crédit Agricole", "1.500 €"],
    ["Zoë", "Ñúñez", "zn@example.es", "Compañía Señor", "€ 2.000,50"],
]


def read(path: Path, sheet: str | None = None) -> tuple[Table, list[tuple[int, list[str]]]]:
    with open_table(path, sheet=sheet) as table:
        return table, list(table.rows)


@pytest.mark.parametrize(
    ("encoding", "shown"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16-le", "utf-16-le"),
        ("utf-16-be", "utf-16-be"),
        ("cp1252", "cp1252"),
        ("latin-1", "cp1252"),
    ],
)
def test_every_encoding_reads_the_same_text(tmp_path: Path, encoding: str, shown: str) -> None:
    rows = PEOPLE if encoding != "latin-1" else [r[:4] for r in PEOPLE]  # latin-1 has no €
    path = write_csv(tmp_path / "leads.csv", rows, encoding=encoding, delimiter=";")
    table, read_rows = read(path)
    assert table.encoding == shown
    assert table.delimiter == ";"
    assert table.header == rows[0]
    assert [cells for _, cells in read_rows] == rows[1:]
    assert [line for line, _ in read_rows] == [2, 3, 4]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed_even_with_commas_and_quotes_inside_values(
    tmp_path: Path, delimiter: str
) -> None:
    rows = [
        ["Name", "Email", "Company", "Notes"],
        ["Doe, John", "jd@example.com", 'Acme "The Best" Inc', "likes ; and |"],
        ["Roe, Jane", "jr@example.com", "Beta, Ltd", "1,5"],
    ]
    path = write_csv(tmp_path / "leads.csv", rows, delimiter=delimiter)
    table, read_rows = read(path)
    assert table.delimiter == delimiter
    assert [cells for _, cells in read_rows] == rows[1:]


def test_quoted_newlines_and_the_lines_records_start_on(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(
        'Email,Note\na@example.com,"two\nlines"\n\n,\nb@example.com,"three\n\nlines"\nc@x.io,x\n',
        encoding="utf-8",
    )
    _, rows = read(path)
    assert rows == [
        (2, ["a@example.com", "two\nlines"]),
        (6, ["b@example.com", "three\n\nlines"]),
        (9, ["c@x.io", "x"]),
    ]


def test_old_mac_line_ends_and_a_very_long_field(tmp_path: Path) -> None:
    long_note = "x" * 2_000_000
    path = tmp_path / "leads.csv"
    path.write_text(f"Email,Note\ra@x.io,{long_note}\r")
    _, rows = read(path)
    assert rows == [(2, ["a@x.io", long_note])]


def test_cells_are_stripped_padded_and_cut_to_the_header(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("Email,Name,Company\n  a@x.io , Ann \nb@x.io,Bob,Beta,extra\n,,,\n")
    table, rows = read(path)
    assert rows == [(2, ["a@x.io", "Ann", ""]), (3, ["b@x.io", "Bob", "Beta"])]
    assert table.stats.rows == 2
    assert table.stats.overflow_rows == 1
    assert table.stats.first_overflow_line == 3


def test_header_names_are_made_unique_and_readable() -> None:
    assert unique_header(["Email", "email", "", "Email", " Name "]) == [
        "Email",
        "email (2)",
        "Column 3",
        "Email (3)",
        "Name",
    ]


def test_excel_sep_line_names_the_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("sep=;\nEmail;Name\na@x.io;Ann, B.\n")
    table, rows = read(path)
    assert table.delimiter == ";"
    assert table.header == ["Email", "Name"]
    assert rows == [(3, ["a@x.io", "Ann, B."])]


def test_title_lines_above_the_header_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(
        "Trade show leads\nExported 14.03.2024\n\nEmail,Name,Company\na@x.io,Ann,Acme\n"
    )
    table, rows = read(path)
    assert table.header == ["Email", "Name", "Company"]
    assert table.header_line == 4
    assert rows == [(5, ["a@x.io", "Ann", "Acme"])]


def test_a_single_column_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("Email\na@x.io\nb@x.io\n")
    table, rows = read(path)
    assert table.header == ["Email"]
    assert rows == [(2, ["a@x.io"]), (3, ["b@x.io"])]


def test_a_utf8_file_with_one_windows_row_past_the_sample_keeps_its_umlauts(
    tmp_path: Path,
) -> None:
    path = tmp_path / "leads.csv"
    ascii_rows = "".join(f"user{i}@example.com,Plain Name {i}\n" for i in range(20_000))
    path.write_bytes(
        b"Email,Name\n" + ascii_rows.encode() + "z@x.io,Jürgen Müller\n".encode("cp1252")
    )
    assert path.stat().st_size > 256 * 1024
    table, rows = read(path)
    assert table.encoding == "utf-8"
    assert rows[-1] == (20_002, ["z@x.io", "Jürgen Müller"])


def test_xlsx_with_date_cells_numbers_and_two_sheets(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "leads.xlsx",
        {
            "Leads": [
                ["Email", "Created", "Met on", "Employees", "Revenue", "Active", "Phone"],
                ["a@x.io", datetime(2024, 3, 14, 10, 22), date(2024, 3, 1), 250, 1.5, True, None],
                [None, None, None, None, None, None, None],
                ["b@x.io", None, None, 12.0, 0.1 + 0.2, False, "+49 30 1234567"],
            ],
            "Other": [["Email"], ["c@x.io"]],
        },
    )
    table, rows = read(path)
    assert (table.format, table.sheet, table.sheets) == ("xlsx", "Leads", ["Leads", "Other"])
    assert rows == [
        (2, ["a@x.io", "2024-03-14T10:22:00", "2024-03-01", "250", "1.5", "true", ""]),
        (4, ["b@x.io", "", "", "12", "0.3", "false", "+49 30 1234567"]),
    ]
    table, rows = read(path, sheet="other")
    assert table.sheet == "Other"
    assert rows == [(2, ["c@x.io"])]


def test_spreadsheet_row_numbers_count_from_the_top_of_the_sheet(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "leads.xlsx",
        {"Leads": [[None], [None], [None, "Email", "Name"], [None, "a@x.io", "Ann"]]},
    )
    table, rows = read(path)
    assert table.header_line == 3
    assert rows == [(4, ["a@x.io", "Ann"])]


def test_format_comes_from_the_content_not_the_name(tmp_path: Path) -> None:
    xlsx = write_xlsx(tmp_path / "leads.csv", {"Leads": [["Email"], ["a@x.io"]]})
    assert read(xlsx)[0].format == "xlsx"
    ods = write_ods(tmp_path / "leads.dat", [["Email", "Name"], ["a@x.io", "Ann"]])
    table, rows = read(ods)
    assert table.format == "ods"
    assert rows == [(2, ["a@x.io", "Ann"])]
    text = write_csv(tmp_path / "leads.xlsx", [["Email"], ["a@x.io"]])
    assert read(text)[0].format == "csv"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\r\n\r\n  \r\n", "empty"),
        (b"\xef\xbb\xbf", "empty"),
        (b"Email,Name\r\n", "no rows"),
        (b"Email,Name\r\n,\r\n\r\n", "no rows"),
        (b"ann@example.com,Ann\r\nbob@example.com,Bob\r\n", "looks like data"),
        (b"12,2024-03-14,3.5\r\n1,2,3\r\n", "looks like data"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not text"),
        (bytes(range(1, 32)) * 100, "not text"),
        (b"PK\x03\x04not really a zip", "damaged"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024, "damaged or encrypted"),
    ],
)
def test_unusable_files_are_refused_before_any_row(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    with pytest.raises(ReadError, match=message), open_table(path):
        pass


def test_a_missing_file_is_a_read_error(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="cannot be opened"), open_table(tmp_path / "gone.csv"):
        pass


def test_a_sample_can_come_from_an_open_table(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "leads.csv", [["Email", "Name"], ["a@x.io", ""], ["b@x.io", "B"]])
    with open_table(path) as table:
        found = sample(table)
    assert found.values("Name") == ["B"]
    assert (found.format, found.encoding, found.delimiter, found.rows) == ("csv", "utf-8", ",", 2)


def test_a_zip_that_is_no_spreadsheet_is_refused(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "leads.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("leads.csv", "Email\na@x.io\n")
    with pytest.raises(ReadError, match="zip archive, not a spreadsheet"), open_table(path):
        pass


def test_a_missing_sheet_names_the_sheets_there_are(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "leads.xlsx", {"Leads": [["Email"], ["a@x.io"]], "Q2": [["x"]]})
    with (
        pytest.raises(ReadError, match=r"no sheet 'Contacts'\. Its sheets are: 'Leads', 'Q2'"),
        open_table(path, sheet="Contacts"),
    ):
        pass


def test_an_empty_sheet_is_refused(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "leads.xlsx", {"Empty": [], "Leads": [["Email"], ["a@x.io"]]})
    with pytest.raises(ReadError, match="sheet 'Empty' is empty"), open_table(path):
        pass


def test_an_unclosed_quote_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text('Email,Note\na@x.io,"never closed\n' + "more text\n" * 1500)
    with pytest.raises(ReadError, match="Line 2: a quoted field runs over"):
        read(path)


def test_sample_skips_empty_cells_and_counts_values(tmp_path: Path) -> None:
    rows = [["Email", "Stage", "Phone"], ["", "", ""]] + [
        [f"p{i}@x.io", "Open" if i % 2 else "Won", "+49 30 123" if i == 3000 else ""]
        for i in range(5000)
    ]
    path = write_csv(tmp_path / "leads.csv", rows)
    found = sample(path)
    assert found.rows == 2000
    assert found.values("Email", 3) == ["p0@x.io", "p1@x.io", "p2@x.io"]
    assert found.columns["Stage"].counts == {"Won": 1000, "Open": 1000}
    assert found.columns["Phone"].filled == 0  # its only value is past the sample
    assert found.columns["Email"].more
    whole = distinct_values(path, ["Stage", "Phone"])
    assert whole["Stage"].counts == {"Won": 2500, "Open": 2500}
    assert whole["Phone"].counts == {"+49 30 123": 1}


def test_a_large_csv_is_read_in_constant_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("Email;First Name;Last Name;Company;Country;Created\r\n")
        for i in range(200_000):
            handle.write(f"user{i}@example.com;Jürgen;Müller {i};Firma {i % 977};DE;14.03.2024\r\n")
    assert path.stat().st_size > 10 * 1024 * 1024
    tracemalloc.start()
    try:
        count = 0
        with open_table(path) as table:
            for _line, cells in table.rows:
                count += len(cells) > 0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 200_000
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes for a {path.stat().st_size}-byte file"
