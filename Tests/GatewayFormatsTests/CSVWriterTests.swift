import Foundation
import GatewayCore
import Testing

@testable import GatewayFormats

/// Writes `rows` to a temporary file and returns its bytes.
private func written(_ rows: [[String]], _ options: CSVWriterOptions = CSVWriterOptions()) throws -> [UInt8] {
    let file = try FormatsTemporaryFile()
    defer { file.remove() }
    let writer = try CSVWriter(path: file.path, options: options)
    for row in rows { try writer.write(row: row) }
    try writer.finish()
    return try file.bytes()
}

/// The text written for `rows`, without BOM, LF line endings.
private func writtenText(_ rows: [[String]], neutralise: Bool = true) throws -> String {
    let options = CSVWriterOptions(writeBOM: false, neutraliseFormulas: neutralise, lineEnding: "\n")
    return String(decoding: try written(rows, options), as: UTF8.self)
}

@Suite("CSV writer")
struct CSVWriterTests {
    @Test("cells are quoted only when they must be")
    func quoting() throws {
        let text = try writtenText([
            ["simple", "a;b", "dit \"oui\"", "deux\nlignes", "retour\rchariot", " espace", "fin ", "a,b"]
        ])
        #expect(
            text == "simple;\"a;b\";\"dit \"\"oui\"\"\";\"deux\nlignes\";\"retour\rchariot\";\" espace\";\"fin \";a,b\n"
        )
    }

    @Test(
        "formula-like cells are neutralised, plain negative numbers are not",
        arguments: [
            ("=SUM(A1)", "'=SUM(A1)"), ("+33612345678", "'+33612345678"), ("@x", "'@x"), ("-x", "'-x"),
            ("-12.5", "-12.5"), ("-3,75", "-3,75"), ("-42", "-42"), ("-", "'-"), ("-12.", "'-12."),
            ("\tcmd", "'\tcmd"), ("\rcmd", "\"'\rcmd\""), ("a=b", "a=b"), ("12", "12"), ("", ""),
            ("=1;2", "\"'=1;2\""),
        ])
    func formulas(cell: String, expected: String) throws {
        #expect(try writtenText([[cell]]) == expected + "\n")
    }

    @Test("neutralisation can be turned off")
    func noNeutralisation() throws {
        #expect(try writtenText([["=SUM(A1)", "+33"]], neutralise: false) == "=SUM(A1);+33\n")
    }

    @Test("UTF-8 output starts with a BOM unless told otherwise, rows end with CRLF")
    func byteOrderMark() throws {
        #expect(try written([["é"]]) == [0xEF, 0xBB, 0xBF, 0xC3, 0xA9, 0x0D, 0x0A])
        #expect(try written([["é"]], CSVWriterOptions(writeBOM: false)) == [0xC3, 0xA9, 0x0D, 0x0A])
        #expect(try written([]) == [0xEF, 0xBB, 0xBF])
    }

    @Test("Windows-1252 output: no BOM, composed text, ? for what it lacks")
    func windows1252() throws {
        let options = CSVWriterOptions(delimiter: UInt8(ascii: ","), encoding: .windows1252)
        let bytes = try written([["Été", "12 €", "e\u{301}", "日本", "Œuvre"]], options)
        #expect(
            bytes == [0xC9, 0x74, 0xE9, 0x2C, 0x31, 0x32, 0x20, 0x80, 0x2C, 0xE9, 0x2C, 0x3F, 0x3F, 0x2C, 0x8C]
                + Array("uvre\r\n".utf8))
    }

    @Test("what is written reads back the same", arguments: [TextEncoding.utf8, .windows1252])
    func roundTrip(encoding: TextEncoding) throws {
        let rows: [[String]] = [
            ["nir", "nom", "commentaire", "montant"],
            ["1850775123456", "Lefèvre", "sur\r\ndeux lignes", "-12,50"],
            ["2850775123456", " Dupont ", "dit \"le grand\"; vraiment", ""],
            ["", "", "", ""],
            ["3", "Œdipe", "a\nb\rc", "1e5"],
        ]
        let file = try FormatsTemporaryFile()
        defer { file.remove() }
        let writer = try CSVWriter(path: file.path, options: CSVWriterOptions(encoding: encoding))
        for row in rows { try writer.write(row: row) }
        try writer.finish()
        #expect(writer.rowCount == rows.count)
        let reader = try CSVReader(
            path: file.path, options: CSVOptions(requiredColumns: ["nir", "montant"], encoding: encoding))
        var read: [[String]] = [reader.header]
        while let record = try reader.next() { read.append(record.fields) }
        #expect(read == rows)
        #expect(reader.delimiter == UInt8(ascii: ";"))
    }

    @Test("a big export is streamed through the buffer and complete")
    func bigExport() throws {
        let file = try FormatsTemporaryFile()
        defer { file.remove() }
        let writer = try CSVWriter(path: file.path, options: CSVWriterOptions(writeBOM: false))
        for index in 0..<50_000 { try writer.write(row: ["\(index)", "ligne numéro \(index)", "x;y"]) }
        let huge = String(repeating: "un \"gros\" texte; ", count: 20_000)
        try writer.write(row: ["50000", huge, "x;y"])
        try writer.finish()
        let reader = try CSVReader(path: file.path, options: CSVOptions(hasHeader: false))
        var count = 0
        while let record = try reader.next() {
            let expected = count == 50_000 ? huge : "ligne numéro \(count)"
            #expect(record.fields == ["\(count)", expected, "x;y"])
            count += 1
        }
        #expect(count == 50_001)
        #expect(reader.bytesConsumed == reader.fileSize)
        #expect(throws: (any Error).self) { try writer.write(row: ["trop tard"]) }
    }

    @Test("writing to an open handle flushes without closing it")
    func handle() throws {
        let file = try FormatsTemporaryFile()
        defer { file.remove() }
        let handle = try #require(FileHandle(forWritingAtPath: file.path))
        let writer = CSVWriter(handle: handle, options: CSVWriterOptions(writeBOM: false, lineEnding: "\n"))
        try writer.write(row: ["a", "b"])
        try writer.finish()
        try handle.write(contentsOf: Data("fin\n".utf8))
        try handle.close()
        #expect(String(decoding: try file.bytes(), as: UTF8.self) == "a;b\nfin\n")
    }
}
