import Foundation
import GatewayCore
import Testing

@testable import GatewayFormats

/// Reads every record of `bytes`.
private func readAll(_ bytes: [UInt8], _ options: CSVOptions = CSVOptions()) throws -> (CSVReader, [CSVRecord]) {
    let reader = try CSVReader(bytes: bytes, options: options)
    var records: [CSVRecord] = []
    while let record = try reader.next() { records.append(record) }
    return (reader, records)
}

private func readAll(_ text: String, _ options: CSVOptions = CSVOptions()) throws -> (CSVReader, [CSVRecord]) {
    try readAll(Array(text.utf8), options)
}

/// A file in the temporary directory, removed by `remove()`.
struct FormatsTemporaryFile {
    let path: String

    init(bytes: [UInt8] = [], suffix: String = ".csv") throws {
        path =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("gateway-formats-\(UUID().uuidString)\(suffix)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    func bytes() throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

@Suite("CSV reader")
struct CSVReaderTests {
    @Test("a UTF-8 BOM is skipped and header names are trimmed")
    func byteOrderMark() throws {
        let (reader, records) = try readAll([0xEF, 0xBB, 0xBF] + Array(" NIR ;Nom\n1;Dupont\n".utf8))
        #expect(reader.header == ["NIR", "Nom"])
        #expect(reader.columnIndex("nir") == 0)
        #expect(reader.columnIndex(" nom") == 1)
        #expect(reader.columnIndex("prenom") == nil)
        #expect(records.map(\.fields) == [["1", "Dupont"]])
        #expect(records[0].line == 2)
    }

    @Test("the separator is chosen by matching the required columns", arguments: [";", ",", "\t"])
    func delimiterFromHeader(separator: String) throws {
        let text =
            ["nir", "identifiantpe", "nom, prénom"].joined(separator: separator) + "\n"
            + ["1", "2", "3"].joined(separator: separator) + "\n"
        let quoted = text.replacingOccurrences(of: "nom, prénom", with: "\"nom, prénom\"")
        let options = CSVOptions(requiredColumns: ["NIR", "identifiantPE"])
        let (reader, records) = try readAll(quoted, options)
        #expect(reader.delimiter == UInt8(ascii: Unicode.Scalar(separator)!))
        #expect(reader.header == ["nir", "identifiantpe", "nom, prénom"])
        #expect(records.first?.fields == ["1", "2", "3"])
    }

    @Test("without required columns the separator giving the most columns wins")
    func delimiterByColumnCount() throws {
        #expect(try readAll("a,b;c,d\n").0.delimiter == UInt8(ascii: ","))
        #expect(try readAll("a\tb\tc\n").0.delimiter == UInt8(ascii: "\t"))
        #expect(try readAll("a;b,c\n").0.delimiter == UInt8(ascii: ";"))
        #expect(try readAll("seule\n1\n").0.delimiter == UInt8(ascii: ";"))
    }

    @Test("missing required columns are all named at opening, before any row")
    func missingColumns() throws {
        var rows = "nom;prenom\n"
        for index in 0..<1000 { rows += "n\(index);p\(index)\n" }
        let options = CSVOptions(requiredColumns: ["nir", "nom", "identifiantpe"])
        let error = #expect(throws: FormatError.self) { try CSVReader(bytes: Array(rows.utf8), options: options) }
        #expect(error?.issue.type == .missingLabel)
        #expect(
            error?.issue.message
                == "Colonnes obligatoires absentes de l'en-tête : nir, identifiantpe (séparateur attendu « ; »)")
        #expect(error?.issue.line == 1)
    }

    @Test("a pinned tab separator is named in the missing-column message")
    func missingColumnsWithTab() throws {
        let options = CSVOptions(requiredColumns: ["nir"], delimiter: UInt8(ascii: "\t"))
        let error = #expect(throws: FormatError.self) { try CSVReader(bytes: Array("a;nir\n".utf8), options: options) }
        #expect(error?.issue.message.hasSuffix("nir (séparateur attendu « tabulation »)") == true)
    }

    @Test("an empty file lacks every required column")
    func emptyFile() throws {
        let error = #expect(throws: FormatError.self) {
            try CSVReader(bytes: [], options: CSVOptions(requiredColumns: ["nir", "nom"]))
        }
        #expect(error?.issue.message.contains("nir, nom") == true)
        let (reader, records) = try readAll("")
        #expect(reader.header.isEmpty)
        #expect(records.isEmpty)
    }

    @Test("CRLF, LF and lone CR all end lines", arguments: ["\r\n", "\n", "\r"])
    func lineEndings(ending: String) throws {
        let text = ["a;b", "1;2", "3;4", "5;6"].joined(separator: ending) + ending
        let (_, records) = try readAll(text)
        #expect(records.map(\.fields) == [["1", "2"], ["3", "4"], ["5", "6"]])
        #expect(records.map(\.line) == [2, 3, 4])
        #expect(records.map(\.raw) == ["1;2", "3;4", "5;6"])
    }

    @Test("quoted line breaks keep physical line numbers", arguments: ["\r\n", "\n", "\r"])
    func quotedNewlines(ending: String) throws {
        let text =
            "id;texte;fin" + ending + "1;\"un" + ending + "deux" + ending + "trois\";x" + ending
            + "2;simple;y" + ending
        let (_, records) = try readAll(text)
        #expect(records.count == 2)
        #expect(records[0].fields == ["1", "un\(ending)deux\(ending)trois", "x"])
        #expect(records[0].line == 2)
        #expect(records[0].endLine == 4)
        #expect(records[0].raw == "1;\"un\(ending)deux\(ending)trois\";x")
        #expect(records[1].line == 5)
        #expect(records[1].endLine == 5)
    }

    @Test("doubled quotes, separators inside quotes, text after a closing quote, stray quotes")
    func quoting() throws {
        let text = "a;b;c\n\"dit \"\"bonjour\"\"\";\"x;y\";\"\"\n12\"B;\"12\"B;\"\"\"\"\n"
        let (_, records) = try readAll(text)
        #expect(records[0].fields == ["dit \"bonjour\"", "x;y", ""])
        #expect(records[1].fields == ["12\"B", "12B", "\""])
    }

    @Test("empty cells and trailing separators")
    func emptyCells() throws {
        let (_, records) = try readAll("a;b;c\n;;\n1;;\nx;y;")
        #expect(records.map(\.fields) == [["", "", ""], ["1", "", ""], ["x", "y", ""]])
    }

    @Test("blank lines are skipped but counted")
    func blankLines() throws {
        let (_, records) = try readAll("\n\na;b\n\n1;2\n\r\n\r\r\n3;4")
        #expect(records.map(\.fields) == [["1", "2"], ["3", "4"]])
        #expect(records.map(\.line) == [5, 9])
    }

    @Test("a record with another cell count than the header is returned as it is")
    func raggedRecords() throws {
        let (_, records) = try readAll("a;b;c\n1;2\n1;2;3;4\n")
        #expect(records.map(\.fields.count) == [2, 4])
    }

    @Test("without a header, records start at line 1")
    func noHeader() throws {
        let (reader, records) = try readAll("1,2,3\n4,5,6\n", CSVOptions(hasHeader: false))
        #expect(reader.header.isEmpty)
        #expect(reader.delimiter == UInt8(ascii: ","))
        #expect(records.map(\.line) == [1, 2])
    }

    @Test("an unclosed quote names the line where the quoted cell opened")
    func unterminatedQuote() throws {
        let reader = try CSVReader(
            bytes: Array("a;b\n1;\"deux\nlignes\"\n3;\"ouvert\n4;5\n6;7\n".utf8), options: CSVOptions())
        #expect(try reader.next()?.line == 2)
        let error = #expect(throws: FormatError.self) { try reader.next() }
        #expect(error?.issue.line == 4)
        #expect(error?.issue.type == .formatError)
        #expect(error?.issue.message.contains("guillemet non fermé") == true)
        #expect(throws: FormatError.self) { try reader.next() }
    }

    @Test("a NUL byte means the file is not CSV text")
    func nulByte() throws {
        let reader = try CSVReader(bytes: Array("a;b\n1;2\n3;4\u{0}\n5;6\n".utf8), options: CSVOptions())
        _ = try reader.next()
        let error = #expect(throws: FormatError.self) { try reader.next() }
        #expect(error?.issue.message == "le fichier n'est pas un fichier texte CSV")
        #expect(error?.issue.line == 3)
        #expect(throws: FormatError.self) { try reader.next() }
        #expect(throws: FormatError.self) { try CSVReader(bytes: [0x00, 0x01, 0x02, 0x0A], options: CSVOptions()) }
        // UTF-16 with its byte order mark is text; without it, it is named as UTF-16, not as binary.
        let units = Array("a;b\nc;d\n".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        let marked = try CSVReader(bytes: [0xFF, 0xFE] + units, options: CSVOptions())
        #expect(marked.header == ["a", "b"])
        #expect(try marked.next()?.fields == ["c", "d"])
        let error16 = #expect(throws: FormatError.self) {
            let reader = try CSVReader(bytes: units, options: CSVOptions())
            while try reader.next() != nil {}
        }
        #expect(error16?.issue.message.contains("UTF-16") == true)
    }

    @Test("invalid UTF-8 falls back to Windows-1252 (é as 0xE9, € as 0x80)")
    func windows1252Fallback() throws {
        let bytes = Array("nom;montant\n".utf8) + [0x41, 0x6E, 0x64, 0x72, 0xE9, 0x3B, 0x80, 0x20, 0x35, 0x0A]
        let (reader, records) = try readAll(bytes)
        #expect(records[0].fields == ["André", "€ 5"])
        #expect(records[0].raw == "André;€ 5")
        #expect(reader.detectedEncoding == .windows1252)
        #expect(reader.encodingWarnings.isEmpty)
    }

    @Test("a switch to Windows-1252 after UTF-8 text is reported with its line; later UTF-8 stays UTF-8")
    func mixedEncodings() throws {
        let bytes = Array("nom\nÉlodie\nZoé\n".utf8) + [0x4C, 0xE9, 0x61, 0x0A] + Array("Noël\n".utf8)
        let (reader, records) = try readAll(bytes)
        #expect(records.map { $0.fields[0] } == ["Élodie", "Zoé", "Léa", "Noël"])
        #expect(reader.detectedEncoding == .windows1252)
        #expect(reader.encodingWarnings.map(\.line) == [4, 5])
        #expect(reader.encodingWarnings.allSatisfy { $0.check == "encoding-mismatch" })
    }

    @Test("pinned UTF-8 refuses other bytes with the line, then goes on")
    func pinnedUTF8() throws {
        let bytes = Array("nom;ville\nZoé;Lyon\n\"a\nb\";".utf8) + [0x50, 0xE9, 0x0A] + Array("x;y\n".utf8)
        let reader = try CSVReader(bytes: bytes, options: CSVOptions(encoding: .utf8))
        #expect(try reader.next()?.fields == ["Zoé", "Lyon"])
        let error = #expect(throws: FormatError.self) { try reader.next() }
        #expect(error?.issue.type == .formatError)
        #expect(error?.issue.line == 4)
        #expect(error?.issue.path == "ville")
        #expect(error?.issue.message.contains("UTF-8") == true)
        #expect(try reader.next()?.fields == ["x", "y"])
        #expect(reader.detectedEncoding == .utf8)
    }

    @Test("pinned single-byte encodings", arguments: [TextEncoding.windows1252, .latin1])
    func pinnedSingleByte(encoding: TextEncoding) throws {
        let bytes = Array("a;b\n".utf8) + [0xE9, 0x3B, 0x80, 0x0A]
        let (reader, records) = try readAll(bytes, CSVOptions(encoding: encoding))
        // 0x80 is a C1 control in Latin-1, which no partner writes: it is Windows-1252's €, with an anomaly.
        #expect(records[0].fields == ["é", "€"])
        #expect(reader.detectedEncoding == encoding)
        #expect(reader.encodingWarnings.map(\.line) == (encoding == .latin1 ? [2] : []))
    }

    @Test(
        "a byte Windows-1252 leaves undefined has no certain reading: refused with its line",
        arguments: [TextEncoding.windows1252, .latin1, .auto])
    func undefinedWindows1252Byte(encoding: TextEncoding) throws {
        let bytes = Array("nom;prenom\nA;B\nKIEFFER;M".utf8) + [0x81, 0xE9, 0x0A]
        let error = try #require(throws: FormatError.self) { try readAll(bytes, CSVOptions(encoding: encoding)) }
        #expect(error.issue.type == .formatError)
        #expect(error.issue.line == 3)
        #expect(error.issue.message.contains("0x81"))
    }

    @Test(
        "a UTF-16 file with its byte order mark is read as UTF-16, an anomaly when the flow pins another encoding",
        arguments: [(String.Encoding.utf16LittleEndian, [UInt8]([0xFF, 0xFE])), (.utf16BigEndian, [0xFE, 0xFF])])
    func utf16(encoding: String.Encoding, mark: [UInt8]) throws {
        // Long enough to cross the reader's chunks, with a character outside the BMP (a surrogate pair).
        let text = "nom;prenom\r\n" + String(repeating: "BŒUF;Noël 𝄞\r\n", count: 9_000)
        let bytes = mark + Array(text.data(using: encoding)!)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("utf16-\(UUID().uuidString).csv").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        for pinned in [TextEncoding.auto, .latin1] {
            let reader = try CSVReader(path: path, options: CSVOptions(encoding: pinned))
            var records: [CSVRecord] = []
            while let record = try reader.next() { records.append(record) }
            #expect(reader.header == ["nom", "prenom"])
            #expect(records.count == 9_000)
            #expect(records.allSatisfy { $0.fields == ["BŒUF", "Noël 𝄞"] })
            #expect(reader.encodingWarnings.map(\.check) == (pinned == .auto ? [] : ["encoding-mismatch"]))
        }
    }

    @Test("no C1 control and no « Ã » pair comes out of a single-byte reading", arguments: 0..<200)
    func neverGarbled(seed: Int) throws {
        // Random French-ish text in UTF-8, Latin-1 or Windows-1252, record by record, under every encoding setting.
        var generator = SplitMix64(state: UInt64(seed))
        let words = ["Zoé", "Noël", "Œuvre", "l’été", "BŒUF", "Müller", "€ 5", "ça", "déjà", "Ève"]
        var bytes = Array("texte\n".utf8)
        for _ in 0..<6 {
            let word = words[Int(generator.next() % UInt64(words.count))]
            switch generator.next() % 3 {
            case 0: bytes += Array(word.utf8)
            case 1: bytes += Array(word.data(using: .windowsCP1252)!)
            default: bytes += Array((word.data(using: .isoLatin1) ?? word.data(using: .windowsCP1252)!))
            }
            bytes.append(0x0A)
        }
        for encoding in [TextEncoding.auto, .windows1252, .latin1] {
            let (_, records) = try readAll(bytes, CSVOptions(encoding: encoding))
            for record in records {
                let text = record.fields.joined()
                #expect(!text.unicodeScalars.contains { (0x80...0x9F).contains($0.value) }, "\(text)")
                #expect(!text.contains("Ã"), "\(text)")
                #expect(words.contains(text), "\(text) under \(encoding)")
            }
        }
    }

    @Test(
        "UTF-8 text under a pinned single-byte encoding is read as UTF-8 with an anomaly, never mis-decoded",
        arguments: [
            TextEncoding.windows1252, .latin1,
        ])
    func utf8UnderPinnedSingleByte(encoding: TextEncoding) throws {
        let bytes = Array("nom;prenom\nKIEFFER;Mélanie\n".utf8) + [0x5A, 0x4F, 0xC9, 0x3B, 0x4C, 0xE9, 0x61, 0x0A]
        let (reader, records) = try readAll(bytes, CSVOptions(encoding: encoding))
        #expect(records.map(\.fields) == [["KIEFFER", "Mélanie"], ["ZOÉ", "Léa"]])
        let warning = try #require(reader.encodingWarnings.first)
        #expect(reader.encodingWarnings.count == 1)
        #expect(warning.check == "encoding-mismatch")
        #expect(warning.line == 2)
        #expect(warning.message.contains("UTF-8") && warning.message.contains(encoding.displayName))
    }

    @Test("records straddling the 64 KiB chunk boundary, CRLF split included", arguments: 65_530...65_540)
    func chunkBoundary(crOffset: Int) throws {
        // The first data record is padded so that its CR lands at `crOffset`.
        let header = "id;texte\r\n"
        let prefix = "1;\""
        let padding = crOffset - header.utf8.count - prefix.utf8.count - 1
        let first =
            prefix + String(repeating: "é", count: padding / 2) + String(repeating: "x", count: padding % 2) + "\""
        var text = header + first + "\r\n"
        var expected: [[String]] = [["1", String(first.dropFirst(3).dropLast())]]
        for index in 2...400 {
            let cell = index % 7 == 0 ? "ligne\r\n\"\"suite\"\" \(index)" : String(repeating: "ab;", count: index % 50)
            text += "\(index);\"\(cell)\"\r\n"
            expected.append(["\(index)", cell.replacingOccurrences(of: "\"\"", with: "\"")])
        }
        let file = try FormatsTemporaryFile(bytes: Array(text.utf8))
        defer { file.remove() }
        let reader = try CSVReader(path: file.path, options: CSVOptions(requiredColumns: ["id"]))
        var records: [CSVRecord] = []
        while let record = try reader.next() { records.append(record) }
        #expect(records.map(\.fields) == expected)
        #expect(records[1].line == 3)
        #expect(records.last?.line == records.count + 1 + (records.count - 1) / 7)
        #expect(reader.fileSize == text.utf8.count)
        #expect(reader.bytesConsumed == text.utf8.count)
    }

    @Test("every chunk size cuts the file somewhere else and gives the same records", arguments: [1, 2, 3, 5, 8, 13])
    func tinyChunks(chunkSize: Int) throws {
        let text = "\u{FEFF}nir;\"nom\"\r\n\r\n1;\"a \"\"b\"\"\r\nc\";x\r2;Zoé\n\n3;\"\"\"\"\r\n4;\"\"\r\n5;fin"
        let file = try FormatsTemporaryFile(bytes: Array(text.utf8))
        defer { file.remove() }
        let source = try ByteReader(path: file.path, chunkSize: chunkSize)
        let reader = try CSVReader(source: source, options: CSVOptions(requiredColumns: ["nir", "nom"]))
        var records: [CSVRecord] = []
        while let record = try reader.next() { records.append(record) }
        let (_, expected) = try readAll(text, CSVOptions(requiredColumns: ["nir", "nom"]))
        #expect(records == expected)
        #expect(
            records.map(\.fields) == [
                ["1", "a \"b\"\r\nc", "x"], ["2", "Zoé"], ["3", "\""], ["4", ""], ["5", "fin"],
            ])
        #expect(records.map(\.line) == [3, 5, 7, 8, 9])
        #expect(reader.bytesConsumed == text.utf8.count)
    }

    @Test("a record larger than a chunk and a big file read in constant steps")
    func largeRecordAndFile() throws {
        let big = String(repeating: "0123456789", count: 30_000)
        var text = "a;b\n1;\"\(big)\"\n"
        for index in 0..<20_000 { text += "\(index);valeur \(index)\n" }
        let file = try FormatsTemporaryFile(bytes: Array(text.utf8))
        defer { file.remove() }
        let reader = try CSVReader(path: file.path, options: CSVOptions())
        #expect(try reader.next()?.fields == ["1", big])
        var count = 0
        var lastLine = 0
        while let record = try reader.next() {
            #expect(record.fields == ["\(count)", "valeur \(count)"])
            count += 1
            lastLine = record.line
        }
        #expect(count == 20_000)
        #expect(lastLine == 20_002)
    }

    @Test("a record longer than the window limit is refused instead of filling memory")
    func windowLimit() throws {
        let text = "a;b\n1;2\n3;\"jamais fermé" + String(repeating: "x", count: 500)
        let file = try FormatsTemporaryFile(bytes: Array(text.utf8))
        defer { file.remove() }
        let source = try ByteReader(path: file.path, chunkSize: 16, maximumWindow: 128)
        let reader = try CSVReader(source: source, options: CSVOptions())
        #expect(try reader.next()?.fields == ["1", "2"])
        let error = #expect(throws: FormatError.self) { try reader.next() }
        #expect(error?.issue.message.contains("enregistrement trop long") == true)
        #expect(error?.issue.line == 3)
    }

    @Test("a missing file is reported in French")
    func missingFile() throws {
        let error = #expect(throws: FormatError.self) {
            try CSVReader(path: "/nonexistent/fichier.csv", options: CSVOptions())
        }
        #expect(error?.issue.message == "fichier introuvable")
    }
}

@Suite("Text decoding")
struct TextDecodingTests {
    @Test("encoding labels and raw values")
    func labels() throws {
        #expect(TextEncoding.utf8.rawValue == "utf-8")
        #expect(TextEncoding.windows1252.rawValue == "windows-1252")
        #expect(TextEncoding.latin1.rawValue == "iso-8859-1")
        #expect(TextEncoding(rawValue: "auto") == .auto)
        #expect(TextEncoding(label: "CP1252") == .windows1252)
        #expect(TextEncoding(label: "UTF8") == .utf8)
        #expect(TextEncoding(label: "Latin-1") == .latin1)
        #expect(TextEncoding(label: "ebcdic") == nil)
    }

    @Test("the Windows-1252 table, undefined bytes as U+FFFD")
    func windows1252Table() throws {
        let bytes = (0x80...0x9F).map { UInt8($0) }
        let text = bytes.withUnsafeBufferPointer { TextDecoding.windows1252($0) }
        #expect(text == "€\u{FFFD}‚ƒ„…†‡ˆ‰Š‹Œ\u{FFFD}Ž\u{FFFD}\u{FFFD}‘’“”•–—˜™š›œ\u{FFFD}žŸ")
        let high = (0xA0...0xFF).map { UInt8($0) }
        let latin = high.withUnsafeBufferPointer { TextDecoding.windows1252($0) }
        #expect(latin.unicodeScalars.map(\.value) == Array(0xA0...0xFF).map { UInt32($0) })
    }

    @Test("strict UTF-8 refuses overlong forms, surrogates and truncated sequences")
    func strictUTF8() throws {
        let invalid: [[UInt8]] = [
            [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC3], [0xFF],
        ]
        for bytes in invalid {
            #expect(bytes.withUnsafeBufferPointer { TextDecoding.utf8($0) } == nil)
        }
        let valid = Array("aé€😀 texte assez long pour le chemin rapide".utf8)
        #expect(
            valid.withUnsafeBufferPointer { TextDecoding.utf8($0) } == "aé€😀 texte assez long pour le chemin rapide")
    }

    @Test("the ASCII prefix is where the first byte from 0x80 is, read eight bytes at a time or one by one")
    func asciiPrefix() throws {
        for length in 0...20 {
            for position in 0...length {
                var bytes = Array(repeating: UInt8(ascii: "a"), count: length)
                if position < length { bytes[position] = 0xC3 }
                let prefix = bytes.withUnsafeBufferPointer { TextDecoding.asciiPrefix($0) }
                #expect(prefix == position, "\(length) \(position)")
                #expect(bytes.withUnsafeBufferPointer { TextDecoding.isASCII($0) } == (position == length))
                // Validity from the first non-ASCII byte on is validity of the whole.
                for tail: [UInt8] in [[0xC3, 0xA9], [0xC3], [0xE9, 0x61]] where position < length {
                    var text = bytes
                    text.replaceSubrange(position..., with: tail)
                    text.withUnsafeBufferPointer { buffer in
                        let start = TextDecoding.asciiPrefix(buffer)
                        #expect(TextDecoding.isValidUTF8(buffer, from: start) == TextDecoding.isValidUTF8(buffer))
                        #expect(TextDecoding.isValidUTF8(buffer) == (tail == [0xC3, 0xA9]))
                    }
                }
            }
        }
    }

    @Test("encoding to Windows-1252 and Latin-1 replaces what is missing with ?")
    func encoding() throws {
        var output: [UInt8] = []
        TextDecoding.append("é€Œ日", as: .windows1252, to: &output)
        #expect(output == [0xE9, 0x80, 0x8C, 0x3F])
        output = []
        TextDecoding.append("é€", as: .latin1, to: &output)
        #expect(output == [0xE9, 0x3F])
    }
}

@Suite("Text decoding: bytes 0x80–0x9F")
struct HighControlsTests {
    @Test("the word-at-a-time scan finds what a byte-by-byte scan finds", arguments: 0..<64)
    func sameAsBytes(seed: Int) {
        var generator = SplitMix64(state: UInt64(seed) &* 7_919)
        let alphabet: [UInt8] = [0x41, 0x20, 0xE9, 0xC9, 0xE8, 0x3B, 0x80, 0x92, 0x9F, 0x81, 0xA0, 0x7F]
        for length in [0, 1, 7, 8, 9, 15, 16, 17, 40] {
            for rare in [0, 2] {
                let bytes = (0..<length).map { _ -> UInt8 in
                    let pick = Int(generator.next() % UInt64(alphabet.count))
                    return rare == 0 && pick >= 6 && pick <= 9 ? 0x61 : alphabet[pick]
                }
                var expected = TextDecoding.HighControls.none
                for (offset, byte) in bytes.enumerated() where (0x80...0x9F).contains(byte) {
                    if [0x81, 0x8D, 0x8F, 0x90, 0x9D].contains(byte) {
                        expected = .undefined(byte, offset: offset)
                        break
                    }
                    expected = .windows1252
                }
                let found = bytes.withUnsafeBufferPointer { TextDecoding.highControls($0, from: 0) }
                #expect(found == expected, "\(bytes)")
            }
        }
    }
}
