import Foundation
import GatewayFormats
import GatewayMapping
import GatewayScreen
import Testing

@testable import GatewayPipeline

/// The row screen (`validate` on flat CSV rows, on every core) must give exactly the report of the full path: every
/// sample, and rows spoilt in every way a partner spoils them.
@Suite struct RowScreenTests {
    static let flows = PartnerSamplesTests.flows

    /// The report with and without the screen, on one file.
    static func reports(_ path: String, flow id: String = "ft-inscriptions") throws -> (
        screened: ValidationReport, full: ValidationReport
    ) {
        let flow = try #require(flows[id])
        var pipeline = FilePipeline(flow: flow)
        pipeline.screening = true
        let screened = pipeline.validate(path: path)
        pipeline.screening = false
        return (screened, pipeline.validate(path: path))
    }

    static func expectSame(_ path: String, _ comment: Comment? = nil) throws {
        let (screened, full) = try reports(path)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let left = String(decoding: try encoder.encode(screened), as: UTF8.self)
        let right = String(decoding: try encoder.encode(full), as: UTF8.self)
        #expect(left == right, comment)
        // Blocks of a few lines, cut in three segments: records are handed back across many cuts.
        var pipeline = FilePipeline(flow: try #require(flows["ft-inscriptions"]))
        pipeline.screenBlockSize = 300
        let small = String(decoding: try encoder.encode(pipeline.validate(path: path)), as: UTF8.self)
        #expect(small == right, comment)
        if left != right, let folder = ProcessInfo.processInfo.environment["SCREEN_DIFF_DIR"] {
            let name = (path as NSString).lastPathComponent
            try Data(left.utf8).write(to: URL(fileURLWithPath: folder + "/" + name + ".screened.json"))
            try Data(right.utf8).write(to: URL(fileURLWithPath: folder + "/" + name + ".full.json"))
        }
    }

    @Test func samplesGiveTheSameReport() throws {
        let folders = ["Samples/ft-inscriptions", "Samples/ft-inscriptions/bad"]
        var checked = 0
        for folder in folders {
            let directory = Repo.root.appendingPathComponent(folder)
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            where name.hasSuffix(".csv") {
                try Self.expectSame(directory.appendingPathComponent(name).path, "\(folder)/\(name)")
                checked += 1
            }
        }
        #expect(checked >= 10)
    }

    /// Rows of a valid file, each spoilt one way (deterministically, so a failure replays), in files of every kind.
    @Test(arguments: ["inscriptions", "cessations"])
    func spoiltRowsGiveTheSameReport(kind: String) throws {
        let source = Repo.root.appendingPathComponent("Samples/ft-inscriptions/pe-cg-\(kind)-2026-09.csv")
        let bytes = try [UInt8](Data(contentsOf: source))
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map { Array($0) }
        if lines.last?.isEmpty == true { lines.removeLast() }
        let header = lines.removeFirst()
        let address = kind == "inscriptions" ? 10 : 11
        let spoilers: [(String, (inout [UInt8], Int) -> Void)] = [
            ("identical", { _, _ in }),
            (
                "space before a cell",
                { row, g in Self.edit(&row, cell: g % 12) { [0x20] + $0 } }
            ),
            (
                "space after a cell",
                { row, g in Self.edit(&row, cell: g % 12) { $0 + [0x20] } }
            ),
            ("tab in a cell", { row, g in Self.edit(&row, cell: g % 12) { $0 + [0x09] } }),
            (
                "double space",
                { row, _ in Self.edit(&row, cell: 2) { Array($0.prefix(2)) + [0x20, 0x20] + $0.dropFirst(2) } }
            ),
            (
                "lower case id",
                { row, _ in Self.edit(&row, cell: 1) { $0.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 } } }
            ),
            (
                "dots in the NIR",
                { row, _ in Self.edit(&row, cell: 0) { Array($0.prefix(1)) + [0x2E] + $0.dropFirst(1) } }
            ),
            (
                "wrong NIR key",
                { row, _ in
                    Self.edit(&row, cell: 0) {
                        $0.count == 15 ? $0.dropLast() + [0x30 + ($0.last! - 0x30 + 1) % 10] : $0 + [0x31, 0x32]
                    }
                }
            ),
            (
                "other second NIR",
                { row, _ in
                    Self.edit(&row, cell: 8) { $0.count > 3 ? Array($0.prefix(3)) + [0x39] + $0.dropFirst(4) : $0 }
                }
            ),
            ("empty id", { row, _ in Self.edit(&row, cell: 1) { _ in [] } }),
            ("empty date", { row, _ in Self.edit(&row, cell: 5) { _ in [] } }),
            ("bad date", { row, _ in Self.edit(&row, cell: 5) { _ in Array("31/02/2026".utf8) } }),
            ("ISO date", { row, _ in Self.edit(&row, cell: 4) { _ in Array("1980-01-02".utf8) } }),
            ("birth date off the NIR", { row, _ in Self.edit(&row, cell: 4) { _ in Array("01/01/1901".utf8) } }),
            ("category 0", { row, _ in Self.edit(&row, cell: 6) { _ in [0x30] } }),
            ("category 09", { row, _ in Self.edit(&row, cell: 6) { _ in [0x30, 0x39] } }),
            ("category 01", { row, _ in Self.edit(&row, cell: 6) { _ in [0x30, 0x31] } }),
            ("category letter", { row, _ in Self.edit(&row, cell: 6) { _ in [0x41] } }),
            (
                "bad commune",
                { row, _ in Self.edit(&row, cell: kind == "inscriptions" ? 8 : 9) { _ in Array("6748".utf8) } }
            ),
            ("quoted cell", { row, _ in Self.edit(&row, cell: 2) { [0x22] + $0 + [0x22] } }),
            ("quoted delimiter", { row, _ in Self.edit(&row, cell: 10) { [0x22] + $0 + [0x3B, 0x22] } }),
            ("one cell too many", { row, _ in row += [0x3B, 0x58] }),
            ("one cell too few", { row, _ in if let last = row.lastIndex(of: 0x3B) { row.removeSubrange(last...) } }),
            ("Latin-1 no-break space", { row, _ in Self.edit(&row, cell: 3) { $0 + [0xA0] } }),
            ("Latin-1 symbol inside", { row, _ in Self.edit(&row, cell: 11) { $0 + [0xB0, 0x41] } }),
            ("control character", { row, _ in Self.edit(&row, cell: 2) { $0 + [0x01] } }),
            // Deep inside a long cell, where words of eight bytes are checked at once.
            (
                "double space in the address",
                { row, _ in Self.edit(&row, cell: address) { Self.insert([0x20, 0x20], $0) } }
            ),
            ("no-break space in the address", { row, _ in Self.edit(&row, cell: address) { Self.insert([0xA0], $0) } }),
            (
                "control character in the address",
                { row, _ in Self.edit(&row, cell: address) { Self.insert([0x07], $0) } }
            ),
            ("DEL in the address", { row, _ in Self.edit(&row, cell: address) { Self.insert([0x7F], $0) } }),
            ("lower case deep in the NIR", { row, _ in Self.edit(&row, cell: 0) { Self.insert([0x61], $0) } }),
            // In the last bytes of a cell, read as a word of their own.
            ("lower case last in the id", { row, _ in Self.edit(&row, cell: 1) { Array($0.dropLast()) + [0x61] } }),
            (
                "double space before the last letter of the address",
                { row, _ in Self.edit(&row, cell: address) { Array($0.dropLast()) + [0x20, 0x20] + $0.suffix(1) } }
            ),
            (
                "no-break space before the last letter of the first name",
                { row, _ in Self.edit(&row, cell: 3) { Array($0.dropLast()) + [0xA0] + $0.suffix(1) } }
            ),
            ("control character last but one", { row, _ in Self.edit(&row, cell: 2) { $0 + [0x1F, 0x41] } }),
            // Identifiers are read as they are, trim and upper left to their converter: white space the converter
            // does not drop, or drops where `trim` would not, must still give the full path's report.
            ("vertical tab before the id", { row, _ in Self.edit(&row, cell: 1) { [0x0B] + $0 } }),
            ("form feed after the NIR", { row, _ in Self.edit(&row, cell: 0) { $0 + [0x0C] } }),
            ("no-break space before the id", { row, _ in Self.edit(&row, cell: 1) { [0xA0] + $0 } }),
            ("space inside the id", { row, _ in Self.edit(&row, cell: 1) { Self.insert([0x20], $0) } }),
            ("space inside the NIR", { row, _ in Self.edit(&row, cell: 0) { Self.insert([0x20], $0) } }),
            ("tab inside the NIR", { row, _ in Self.edit(&row, cell: 0) { Self.insert([0x09], $0) } }),
            (
                "both NIRs spaced alike",
                { row, _ in
                    Self.edit(&row, cell: 0) { [0x20] + $0 + [0x20] }
                    Self.edit(&row, cell: kind == "inscriptions" ? 7 : 8) { [0x20] + $0 + [0x20] }
                }
            ),
            (
                "lower case Corsican commune",
                { row, _ in Self.edit(&row, cell: kind == "inscriptions" ? 8 : 9) { _ in Array(" 2a004".utf8) } }
            ),
        ]
        var out = header + [0x0A]
        // Each pass spoils other cells (the variant picks them), so that every column gets its turn.
        for pass in 0..<3 {
            for (number, line) in lines.enumerated() {
                for (_, spoil) in spoilers {
                    var row = line
                    if row.last == 0x0D { row.removeLast() }
                    spoil(&row, pass * 5 + number * 7)
                    out += row + [0x0D, 0x0A]
                }
            }
        }
        // The same file twice over: identical repeats, and conflicts where a spoilt row kept its key.
        out += out.dropFirst(header.count + 1)
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("screen-\(UUID().uuidString)-\(kind)-2026-09.csv").path
        try Data(out).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (screened, full) = try Self.reports(path)
        #expect(full.records > 100)
        #expect(full.rejected > 0 && full.duplicates > 0)
        try Self.expectSame(path)
        _ = screened
    }

    /// Valid rows only, so that whole blocks pass the screen and are checked for repeats on every core: the same
    /// rows again (identical repeats), and with another category (conflicts), many times over.
    @Test func repeatsAndConflictsBetweenValidRowsGiveTheSameReport() throws {
        let source = Repo.root.appendingPathComponent("Samples/ft-inscriptions/pe-cg-inscriptions-2026-09.csv")
        var lines = try [UInt8](Data(contentsOf: source)).split(separator: 0x0A).map { Array($0) }
        let header = lines.removeFirst()
        var out = header + [0x0A]
        for pass in 0..<200 {
            for line in lines {
                var row = line
                if pass % 3 == 2 { Self.edit(&row, cell: 6) { $0 == [0x32] ? [0x33] : [0x32] } }
                out += row + [0x0A]
            }
        }
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("screen-\(UUID().uuidString)-inscriptions-2026-09.csv").path
        try Data(out).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (_, full) = try Self.reports(path)
        #expect(full.rejected > 100 && full.duplicates > 100)
        try Self.expectSame(path)
    }

    /// The screen vouches for the valid rows itself (else the reports above would agree trivially), and leaves
    /// every spoilt one to the full path.
    @Test func screenVouchesForValidRowsOnly() throws {
        let flow = try #require(Self.flows["ft-inscriptions"])
        let path = Repo.root.appendingPathComponent("Samples/ft-inscriptions/pe-cg-inscriptions-2026-09.csv").path
        var options = CSVOptions(requiredColumns: flow.requiredColumns)
        options.delimiter = flow.delimiter
        options.encoding = .latin1
        let reader = try CSVReader(path: path, options: options)
        var columns: [String: Int] = [:]
        for (index, name) in reader.header.enumerated() { columns[name.lowercased()] = index }
        let screen = try #require(
            RowScreen(
                flow: flow, header: reader.header, columns: columns,
                fileNameValues: try flow.fileNameValues(forFile: path)))
        var scratch = screen.makeScratch()
        var vouched = 0
        var rows = 0
        while let row = try reader.nextRaw() {
            rows += 1
            if screen.screen(row, &scratch) != nil { vouched += 1 }
        }
        let report = FilePipeline(flow: flow).validate(path: path)
        #expect(rows > 3 && report.rejected == 0 && vouched == rows)

        let bad = Repo.root.appendingPathComponent("Samples/ft-inscriptions/bad/pe-cg-inscriptions-bad-identifiers.csv")
        let badReader = try CSVReader(path: bad.path, options: options)
        var badVouched = 0
        while let row = try badReader.nextRaw() {
            if screen.screen(row, &scratch) != nil { badVouched += 1 }
        }
        let badReport = FilePipeline(flow: flow).validate(path: bad.path)
        #expect(badReport.rejected > 0 && badVouched == badReport.accepted)
    }

    /// `bytes` inserted at the tenth byte of `cell` (at its end when shorter).
    static func insert(_ bytes: [UInt8], _ cell: [UInt8]) -> [UInt8] {
        Array(cell.prefix(9)) + bytes + cell.dropFirst(9)
    }

    /// Replaces cell `index` of a `;` row.
    static func edit(_ row: inout [UInt8], cell index: Int, _ change: ([UInt8]) -> [UInt8]) {
        var cells = row.split(separator: 0x3B, omittingEmptySubsequences: false).map { Array($0) }
        guard index < cells.count else { return }
        cells[index] = change(cells[index])
        row = Array(cells.joined(separator: [0x3B]))
    }
}
