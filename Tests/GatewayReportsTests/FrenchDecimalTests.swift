import GatewayReports
import Testing

@Suite("CSV reports with French decimals (--decimal-comma)")
struct FrenchDecimalTests {
    @Test(
        "Decimal numbers and percentages get a comma; codes, dates and text do not",
        arguments: [
            ("12.5", "12,5"), ("12.5 %", "12,5 %"), ("-0.25", "-0,25"), ("100", "100"), ("2026-11-02", "2026-11-02"),
            ("Réf. P07", "Réf. P07"), ("1.2.3", "1.2.3"), ("3/4", "3/4"), ("—", "—"), (".5", ".5"), ("N1103", "N1103"),
        ])
    func cells(cell: String, expected: String) {
        #expect(ReportRows.frenchDecimal(cell) == expected)
    }

    @Test("Every row, never the header")
    func rows() {
        let rows = ReportRows(columns: ["taux.moyen", "n"], rows: [["40.0 %", "2"], ["1.5", "x.y"]]).decimalComma()
        #expect(rows.columns == ["taux.moyen", "n"])
        #expect(rows.rows == [["40,0 %", "2"], ["1,5", "x.y"]])
    }
}
