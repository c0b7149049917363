import Foundation
import GatewayCore
import Testing

@testable import GatewayFormats

// MARK: - Fixtures

/// Paths of the repository's samples and of the shared VRSB0801 schema, found from this file's location.
private enum XMLFixtures {
    /// `/…/main`: this file is `Tests/GatewayFormatsTests/XMLRecordReaderTests.swift`.
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func sample(_ name: String) -> String {
        repositoryRoot.appendingPathComponent("Samples/cnaf").appendingPathComponent(name).path
    }

    static var schemaPath: String {
        repositoryRoot.appendingPathComponent("../shared/formats/cnaf/vrsb0801.xsd").standardizedFileURL.path
    }

    /// The XSD, or a test failure saying where it was expected: schema tests must never pass vacuously.
    static func requireSchema() throws -> String {
        let path = schemaPath
        try #require(
            FileManager.default.isReadableFile(atPath: path),
            "Schéma XSD VRSB0801 introuvable à \(path) : les tests de validation XSD ne peuvent pas s'exécuter.")
        return path
    }

    static let goodSamples = ["caf-67-2026-09.xml", "caf-67-2026-10.xml", "msa-67-2026-09.xml"]
}

/// A temporary directory removed with its content when released.
private final class XMLScratch {
    let directory: String

    init() throws {
        directory = (NSTemporaryDirectory() as NSString).appendingPathComponent(
            "xml-record-reader-tests-" + UUID().uuidString)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    @discardableResult
    func write(_ name: String, bytes: [UInt8]) throws -> String {
        let target = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        return target
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try write(name, bytes: Array(text.utf8))
    }
}

/// What a reader delivered, copied out of the callbacks (the node references die with them).
private struct XMLReadOutcome {
    struct Delivered {
        var index: Int
        var line: Int
        var name: String
        var xml: String
        var issues: [ValidationIssue]
        /// Text of the direct children, by element name (first occurrence).
        var children: [String: String]
    }

    var sections: [Delivered] = []
    var records: [Delivered] = []
    var error: (any Error)?
    var fileIssues: [ValidationIssue] = []
    var warnings: [ValidationIssue] = []
    var bytesAtFirstRecord: Int?
    var fileSize: Int?

    var formatError: FormatError? { error as? FormatError }

    /// Every text a caller could have seen: records, sections, issues, the error.
    var everythingDelivered: String {
        var texts = (sections + records).map(\.xml)
        texts += (sections + records).flatMap { $0.children.values }
        texts += (records.flatMap(\.issues) + fileIssues + warnings).map { "\($0.message) \($0.value ?? "")" }
        if let error { texts.append("\(error)") }
        if let formatError { texts.append(formatError.issue.message + (formatError.issue.value ?? "")) }
        return texts.joined(separator: "\n")
    }
}

private func copyDelivered(_ node: XMLNodeRef, index: Int, issues: [ValidationIssue]) -> XMLReadOutcome.Delivered {
    var children: [String: String] = [:]
    for child in node.children where children[child.name] == nil { children[child.name] = child.text }
    return XMLReadOutcome.Delivered(
        index: index, line: node.line, name: node.name, xml: node.serialised(), issues: issues, children: children)
}

/// Reads `path` to the end (or to its error), recording everything delivered.
private func readXML(
    _ path: String, record: String = "Foyer", encoding: String? = nil, schema: String? = nil, keepsSource: Bool = false
) -> XMLReadOutcome {
    var outcome = XMLReadOutcome()
    do {
        var options = XMLRecordReader.Options(recordElement: record, encoding: encoding, schemaPath: schema)
        options.keepsSource = keepsSource
        let reader = try XMLRecordReader(path: path, options: options)
        outcome.fileSize = reader.fileSize
        defer {
            outcome.fileIssues = reader.fileIssues
            outcome.warnings = reader.warnings
        }
        try reader.read(
            section: { node in
                outcome.sections.append(copyDelivered(node, index: outcome.sections.count, issues: []))
            },
            record: { node, index, issues in
                if outcome.bytesAtFirstRecord == nil { outcome.bytesAtFirstRecord = reader.bytesConsumed }
                outcome.records.append(copyDelivered(node, index: index, issues: issues))
            })
    } catch {
        outcome.error = error
    }
    return outcome
}

/// A small UTF-8 document with the given XML declaration encoding label.
private func xmlDocument(_ body: String, encoding: String = "UTF-8") -> String {
    "<?xml version=\"1.0\" encoding=\"\(encoding)\"?>\n<Racine>\n\(body)</Racine>\n"
}

/// Bytes of `text` with each scalar below U+0100 as one byte, and the given bytes spliced where `marker` stands.
private func singleByteEncoded(_ text: String) -> [UInt8] {
    text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
}

// MARK: - Streaming

@Suite("XMLRecordReader : lecture en flux")
struct XMLRecordReaderStreamingTests {
    @Test func recordsAndSectionsAreDeliveredInDocumentOrderWithIndexAndLine() throws {
        let scratch = try XMLScratch()
        let path = try scratch.write(
            "flux.xml",
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <Racine>
              <Entete>
                <DTREF>2026-09-30</DTREF>
              </Entete>
              <Foyer>
                <ID>1</ID>
              </Foyer>
              <Foyer><ID>2</ID></Foyer>
              <!-- commentaire entre deux foyers -->
              <Foyer>
                <ID>3</ID>
                <Foyer><ID>imbriqué</ID></Foyer>
              </Foyer>
              <Fin>
                <NB>3</NB>
              </Fin>
            </Racine>

            """)
        var log: [String] = []
        let reader = try XMLRecordReader(path: path, options: .init(recordElement: "Foyer"))
        try reader.read(
            section: { node in log.append("section \(node.name) l.\(node.line) \(node.children.map(\.text))") },
            record: { node, index, issues in
                log.append("foyer #\(index) l.\(node.line) ID=\(node.child(XMLName("ID"))?.text ?? "-")")
                #expect(issues.isEmpty)
            })
        #expect(
            log == [
                "section Entete l.3 [\"2026-09-30\"]",
                "foyer #0 l.6 ID=1",
                "foyer #1 l.9 ID=2",
                "foyer #2 l.11 ID=3",
                "section Fin l.15 [\"3\"]",
            ])
        #expect(reader.fileIssues.isEmpty)
        #expect(reader.warnings.isEmpty)
    }

    @Test func recordsArriveBeforeTheRestOfTheFileIsRead() throws {
        let scratch = try XMLScratch()
        var body = ""
        for index in 0..<5_000 {
            body += "  <Foyer>\n    <ID>\(index)</ID>\n    <NOM>NOM\(index)</NOM>\n  </Foyer>\n"
        }
        // A trailing section long enough that the last record is complete well before the broken tag.
        body += "  <Fin>\n" + String(repeating: "    <X>remplissage</X>\n", count: 400) + "  </Fin>\n"
        let brokenLine = 2 + 5_000 * 4 + 402 + 1
        body += "  <Casse>\n  </Cassee>\n"
        let path = try scratch.write("long.xml", xmlDocument(body))
        let outcome = readXML(path)
        // Every record was delivered, one after the other, before the parser met the broken tag.
        #expect(outcome.records.count == 5_000)
        #expect(outcome.records.map(\.index) == Array(0..<5_000))
        #expect(outcome.records.last?.children["ID"] == "4999")
        let error = try #require(outcome.formatError)
        #expect(error.issue.type == .formatError)
        #expect(error.issue.line == brokenLine + 1)
        // The first record came while only the beginning of the file had been read.
        let size = try #require(outcome.fileSize)
        let consumed = try #require(outcome.bytesAtFirstRecord)
        #expect(consumed < size / 4, "octets lus au premier foyer : \(consumed) sur \(size)")
    }

    @Test func eachRecordHoldsOnlyItsOwnSubtree() throws {
        let scratch = try XMLScratch()
        let path = try scratch.write(
            "deux.xml",
            xmlDocument("  <Foyer>\n    <ID>PREMIER</ID>\n  </Foyer>\n  <Foyer>\n    <ID>SECOND</ID>\n  </Foyer>\n"))
        let outcome = readXML(path)
        #expect(outcome.error == nil)
        try #require(outcome.records.count == 2)
        #expect(outcome.records[0].xml.contains("PREMIER") && !outcome.records[0].xml.contains("SECOND"))
        #expect(outcome.records[1].xml.contains("SECOND") && !outcome.records[1].xml.contains("PREMIER"))
    }

    @Test func anErrorThrownByTheCallbackStopsTheReading() throws {
        struct Stop: Error {}
        let scratch = try XMLScratch()
        let path = try scratch.write(
            "trois.xml",
            xmlDocument("  <Foyer><ID>1</ID></Foyer>\n  <Foyer><ID>2</ID></Foyer>\n  <Foyer><ID>3</ID></Foyer>\n"))
        let reader = try XMLRecordReader(path: path, options: .init(recordElement: "Foyer"))
        var seen: [Int] = []
        #expect(throws: Stop.self) {
            try reader.read(
                section: { _ in },
                record: { _, index, _ in
                    seen.append(index)
                    if index == 1 { throw Stop() }
                })
        }
        #expect(seen == [0, 1])
    }

    @Test func lineNumbersStayExactBeyond65535Lines() throws {
        let scratch = try XMLScratch()
        let count = 12_000
        var body = ""
        body.reserveCapacity(count * 90)
        for index in 0..<count {
            body += "  <Foyer>\n    <ID>\(index)</ID>\n    <NOM>N</NOM>\n    <A>1</A>\n    <B>2</B>\n  </Foyer>\n"
        }
        let path = try scratch.write("grand.xml", xmlDocument(body))
        var wrong: [String] = []
        var last: (index: Int, line: Int, idLine: Int, bLine: Int)?
        let reader = try XMLRecordReader(path: path, options: .init(recordElement: "Foyer"))
        try reader.read(
            section: { _ in },
            record: { node, index, _ in
                let expected = 3 + 6 * index
                let idLine = node.child(XMLName("ID"))?.line ?? -1
                let bLine = node.child(XMLName("B"))?.line ?? -1
                if node.line != expected || idLine != expected + 1 || bLine != expected + 4 {
                    if wrong.count < 5 {
                        wrong.append(
                            "foyer #\(index) : ligne \(node.line) (attendu \(expected)), ID \(idLine), B \(bLine)")
                    }
                }
                last = (index, node.line, idLine, bLine)
            })
        let final = try #require(last)
        #expect(final.index == count - 1)
        #expect(final.line == 3 + 6 * (count - 1))
        #expect(final.line > 70_000)
        // The children's lines are checked against the file, not against the record's line.
        #expect(final.idLine == 3 + 6 * (count - 1) + 1)
        #expect(final.bLine == 3 + 6 * (count - 1) + 4)
        #expect(wrong.isEmpty, "\(wrong)")
    }

    @Test func serialisedReturnsTheRecordAsXMLText() throws {
        let scratch = try XMLScratch()
        let bytes = singleByteEncoded(
            xmlDocument(
                "  <Foyer num=\"7\">\n    <NOM>H\u{E9}l\u{E8}ne B\u{8C}UF &amp; fils</NOM>\n    <VIDE/>\n  </Foyer>\n",
                encoding: "windows-1252"))
        let path = try scratch.write("serialise.xml", bytes: bytes)
        // Written out from the tree: indentation between elements is left out (no mixed content in partner
        // schemas); text is kept as it is.
        let written = try #require(readXML(path).records.first)
        #expect(written.xml == "<Foyer num=\"7\"><NOM>Hélène BŒUF &amp; fils</NOM><VIDE/></Foyer>")
        // Kept as read (an import): the record as the file has it, from its start tag to its end tag, in UTF-8,
        // entity references, CDATA and a leaf's white space as written, indentation left out.
        let kept = try scratch.write(
            "garde.xml",
            bytes: singleByteEncoded(
                xmlDocument(
                    "  <Foyer num='7'>\n    <NOM>H\u{E9}l\u{E8}ne B\u{8C}UF &#38; fils</NOM>\n    <VIDE/>\n"
                        + "    <BLANC>  </BLANC>\n    <C><![CDATA[a < b]]></C>\n  </Foyer>\n", encoding: "windows-1252")
            ))
        let outcome = readXML(kept, keepsSource: true)
        #expect(outcome.error == nil)
        let record = try #require(outcome.records.first)
        #expect(
            record.xml
                == "<Foyer num='7'><NOM>Hélène BŒUF &#38; fils</NOM><VIDE/><BLANC>  </BLANC><C><![CDATA[a < b]]></C></Foyer>"
        )
        // The text reads back as the same record.
        let copy = try scratch.write("relu.xml", xmlDocument("  " + record.xml + "\n"))
        let reread = readXML(copy)
        #expect(reread.error == nil)
        #expect(reread.records.first?.children["NOM"] == "Hélène BŒUF & fils")
    }

    /// Each record keeps its own text, copied from libxml2's input at each callback before libxml2 lets go of it:
    /// a long comment, CDATA and the chunks the file is read in change nothing. Were some bytes gone before they
    /// were copied, the record would be written out from its tree: either way its content reads back whole.
    @Test func eachRecordKeepsItsOwnTextAcrossChunksAndLongComments() throws {
        let scratch = try XMLScratch()
        let comment = "<!-- " + String(repeating: "commentaire ", count: 30_000) + "-->"
        var body = ""
        var originals: [String] = []
        for number in 1...400 {
            let inner = number % 97 == 0 ? comment : ""
            let long = number % 13 == 0 ? "<ADR>" + String(repeating: "Rue des Œillets ", count: 40) + "</ADR>" : ""
            let record =
                "<Foyer num=\"\(number)\">\n    <NOM>Zoé \(number)</NOM>\(inner)\(long)\n"
                + "    <CDATA><![CDATA[a < b]]></CDATA>\n  </Foyer>"
            // Kept without indentation (white space right before a tag), the comment as written.
            originals.append(
                "<Foyer num=\"\(number)\"><NOM>Zoé \(number)</NOM>\(inner.isEmpty ? "" : inner + "\n    ")\(long)"
                    + "<CDATA><![CDATA[a < b]]></CDATA></Foyer>")
            body += "  " + record + "\n"
        }
        let path = try scratch.write("long-comment.xml", xmlDocument(body))
        let outcome = readXML(path, keepsSource: true)
        #expect(outcome.error == nil)
        #expect(outcome.records.count == 400)
        for (offset, record) in outcome.records.enumerated() {
            let number = offset + 1
            let long = number % 13 == 0 ? "<ADR>" + String(repeating: "Rue des Œillets ", count: 40) + "</ADR>" : ""
            let written =
                "<Foyer num=\"\(number)\"><NOM>Zoé \(number)</NOM>\(long)<CDATA>a &lt; b</CDATA></Foyer>"
            if number % 97 == 0 || number % 13 == 0 {
                #expect(record.xml == originals[offset] || record.xml == written, "\(number): \(record.xml.prefix(80))")
            } else {
                #expect(record.xml == originals[offset], "\(number): \(record.xml.prefix(80))")
            }
            guard number % 97 == 0 || number % 13 == 0 else { continue }
            let copy = try scratch.write("relu-\(number).xml", xmlDocument("  " + record.xml + "\n"))
            let reread = readXML(copy)
            #expect(reread.error == nil)
            #expect(reread.records.first?.children["NOM"] == "Zoé \(number)")
            #expect(reread.records.first?.children["CDATA"] == "a < b")
        }
    }

    @Test func characterReferencesPredefinedEntitiesAndCDATAAreText() throws {
        let scratch = try XMLScratch()
        let path = try scratch.write(
            "refs.xml",
            xmlDocument(
                "  <Foyer>\n    <NOM>A &amp; B &lt; C &#233;&#x152;</NOM>\n    <X><![CDATA[a<b]]>c</X>\n  </Foyer>\n"))
        let outcome = readXML(path)
        #expect(outcome.error == nil)
        #expect(outcome.records.first?.children["NOM"] == "A & B < C éŒ")
        #expect(outcome.records.first?.children["X"] == "a<bc")
    }

    @Test func missingFileAndEmptyFileAreFormatErrors() throws {
        let scratch = try XMLScratch()
        #expect(throws: FormatError.self) {
            _ = try XMLRecordReader(path: scratch.path("absent.xml"), options: .init(recordElement: "Foyer"))
        }
        let empty = try scratch.write("vide.xml", bytes: [])
        let outcome = readXML(empty)
        let error = try #require(outcome.formatError)
        #expect(error.issue.type == .formatError)
        #expect(outcome.records.isEmpty)
    }
}

// MARK: - Encodings

@Suite("XMLRecordReader : encodages")
struct XMLRecordReaderEncodingTests {
    /// The survey counts the line feeds of an ASCII word at once: the count is exact whatever the other bytes.
    @Test func lineFeedsOfAWordAreCountedExactly() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0x0A, 0x0B, 0x09, 0x00, 0x0D, 0x20, 0x3C, 0x7F, 0x01]
        for _ in 0..<20_000 {
            let bytes = (0..<8).map { _ in alphabet.randomElement(using: &generator)! }
            let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            #expect(XMLEncodingSurvey.lineFeeds(word) == bytes.filter { $0 == 0x0A }.count, "\(bytes)")
        }
    }

    /// A file whose every line is short (several line feeds per word) still names the right line.
    @Test func shortLinesKeepTheLineOfAnOddByte() throws {
        var text = Array("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<a>\n".utf8)
        for _ in 0..<97 { text += Array("<b/>\n\n\n".utf8) }
        text += [0x3C, 0x62, 0x3E, 0x81, 0x3C, 0x2F, 0x62, 0x3E, 0x0A]
        text += Array("</a>\n".utf8)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("short-lines-\(UUID()).xml").path
        try Data(text).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let survey = XMLEncodingSurvey.scan(path: path)
        #expect(survey.undefinedByte?.line == 2 + 97 * 3 + 1)
    }

    static let names = "Hélène François Zoé Noël Loïc GRÜNENWALD Çà"

    @Test(arguments: ["windows-1252", "ISO-8859-1", "UTF-8", "utf-8", "Windows-1252"])
    func declaredEncodingsDecodeToTheSameStrings(label: String) throws {
        let text = xmlDocument("  <Foyer>\n    <NOM>\(Self.names)</NOM>\n  </Foyer>\n", encoding: label)
        let bytes = label.lowercased() == "utf-8" ? Array(text.utf8) : singleByteEncoded(text)
        if label.lowercased() != "utf-8" {
            #expect(bytes.contains(0xE9) && !bytes.contains(0xC3), "octets mono-octet attendus")
        }
        let scratch = try XMLScratch()
        let outcome = readXML(try scratch.write("enc.xml", bytes: bytes))
        #expect(outcome.error == nil)
        #expect(outcome.records.first?.children["NOM"] == Self.names)
    }

    @Test func windows1252SpecificBytesDecodeLikeUTF8() throws {
        let scratch = try XMLScratch()
        // 0xE9 é, 0xE8 è, 0x8C Œ, 0x9C œ, 0x80 €: the last three differ between Windows-1252 and ISO-8859-1.
        let windows = try scratch.write(
            "cp1252.xml",
            bytes: singleByteEncoded(
                xmlDocument(
                    "  <Foyer>\n    <NOM>B\u{8C}UF H\u{E9}l\u{E8}ne c\u{9C}ur 10 \u{80}</NOM>\n  </Foyer>\n",
                    encoding: "windows-1252")))
        let utf8 = try scratch.write(
            "utf8.xml", xmlDocument("  <Foyer>\n    <NOM>BŒUF Hélène cœur 10 €</NOM>\n  </Foyer>\n"))
        let fromWindows = readXML(windows)
        let fromUTF8 = readXML(utf8)
        #expect(fromWindows.error == nil)
        #expect(fromUTF8.error == nil)
        #expect(fromWindows.records.first?.children["NOM"] == "BŒUF Hélène cœur 10 €")
        #expect(fromWindows.records.first?.children["NOM"] == fromUTF8.records.first?.children["NOM"])
    }

    @Test func theGoodSamplesAreReadAsWindows1252() throws {
        let outcome = readXML(XMLFixtures.sample("caf-67-2026-09.xml"), record: "InfosFoyerRSA")
        #expect(outcome.error == nil)
        #expect(outcome.records.count == 12)
        let first = try #require(outcome.records.first)
        #expect(first.xml.contains("<NOM>BŒUF</NOM>"))
        #expect(first.xml.contains("<PRENOM>François</PRENOM>"))
        #expect(outcome.sections.map(\.name) == ["IdentificationFlux", "TransmissionFlux"])
    }

    @Test func anEncodingOptionOverridesTheDeclaration() throws {
        let scratch = try XMLScratch()
        let path = try scratch.write(
            "override.xml",
            bytes: singleByteEncoded(
                xmlDocument("  <Foyer>\n    <NOM>H\u{E9}l\u{E8}ne</NOM>\n  </Foyer>\n", encoding: "UTF-8")))
        let outcome = readXML(path, encoding: "windows-1252")
        #expect(outcome.error == nil)
        #expect(outcome.records.first?.children["NOM"] == "Hélène")
    }

    @Test func bytesThatDoNotMatchTheDeclaredEncodingAreAFormatErrorWithTheirLine() throws {
        let scratch = try XMLScratch()
        // Declared UTF-8, but the name on line 7 is written in Windows-1252 (0xE9 for é).
        let text = xmlDocument(
            "  <Foyer>\n    <NOM>DUPONT</NOM>\n  </Foyer>\n  <Foyer>\n    <NOM>H\u{E9}l\u{E8}ne</NOM>\n  </Foyer>\n")
        let path = try scratch.write("mal-declare.xml", bytes: singleByteEncoded(text))
        let outcome = readXML(path)
        let error = try #require(outcome.formatError, "un fichier mal déclaré doit être refusé")
        #expect(error.issue.type == .formatError)
        #expect(error.issue.line == 7)
        #expect(error.issue.message.hasPrefix("Fichier XML illisible"))
        #expect(error.issue.message.contains("encodage"))
        // Never silently mis-decoded.
        #expect(!outcome.everythingDelivered.contains("\u{FFFD}"))
        #expect(!outcome.records.contains { $0.children["NOM"]?.hasPrefix("H") == true })
    }

    @Test func theUndeclaredEncodingSampleIsRefusedAtLine31() throws {
        let outcome = readXML(XMLFixtures.sample("bad/undeclared-encoding.xml"), record: "InfosFoyerRSA")
        let error = try #require(outcome.formatError)
        #expect(error.issue.type == .formatError)
        #expect(error.issue.line == 31)
        #expect(error.issue.message.hasPrefix("Fichier XML illisible"))
        #expect(error.issue.message.contains("ligne 31"))
        #expect(!outcome.everythingDelivered.contains("\u{FFFD}"))
    }
}

// MARK: - Malformed documents

@Suite("XMLRecordReader : XML mal formé")
struct XMLRecordReaderMalformedTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        var body: String
        var line: Int
        var testDescription: String { label }
    }

    static let cases = [
        Case(label: "balise fermante différente", body: "  <Foyer>\n    <NOM>X</NOMS>\n  </Foyer>\n", line: 4),
        Case(label: "balise non fermée", body: "  <Foyer>\n    <NOM>X\n  </Foyer>\n", line: 5),
        Case(label: "attribut sans guillemets", body: "  <Foyer a=1>\n  </Foyer>\n", line: 3),
        Case(label: "esperluette nue", body: "  <Foyer>\n    <NOM>A & B</NOM>\n  </Foyer>\n", line: 4),
        Case(label: "contenu après la racine", body: "  <Foyer/>\n</Racine>\n<Autre/>\n", line: 5),
    ]

    @Test(arguments: cases)
    func malformedXMLIsAFormatErrorWithItsLineInFrench(_ sample: Case) throws {
        let scratch = try XMLScratch()
        let path = try scratch.write("mal.xml", xmlDocument(sample.body))
        let outcome = readXML(path)
        let error = try #require(outcome.formatError, "\(sample.label) : doit être refusé")
        #expect(error.issue.type == .formatError)
        #expect(error.issue.line == sample.line)
        #expect(error.issue.message.hasPrefix("Fichier XML illisible"), "\(error.issue.message)")
        #expect(error.description.contains("ligne \(sample.line)"))
    }

    @Test func theMalformedSampleIsRefusedAtTheMismatch() throws {
        let outcome = readXML(XMLFixtures.sample("bad/malformed.xml"), record: "InfosFoyerRSA")
        let error = try #require(outcome.formatError)
        #expect(error.issue.type == .formatError)
        #expect(error.issue.line == 155)
        #expect(error.issue.message.hasPrefix("Fichier XML illisible (ligne 155)"))
        #expect(error.issue.message.contains("balise fermante"))
        // Only the household before the broken one can have been delivered.
        #expect(outcome.records.count <= 1)
    }

    @Test func anUnsupportedDeclaredEncodingIsAFormatError() throws {
        let scratch = try XMLScratch()
        let path = try scratch.write("klingon.xml", xmlDocument("  <Foyer/>\n", encoding: "KLINGON-8"))
        let outcome = readXML(path)
        let error = try #require(outcome.formatError)
        #expect(error.issue.type == .formatError)
        #expect(error.issue.message.hasPrefix("Fichier XML illisible"))
    }
}

// MARK: - Security

@Suite("XMLRecordReader : sécurité")
struct XMLRecordReaderSecurityTests {
    enum ExternalLoad: String, CaseIterable, Sendable {
        case generalEntity = "entité externe générale"
        case parameterEntity = "entité paramètre externe"
        case externalDTD = "DTD externe"
        case entityInAttribute = "entité externe dans un attribut"
    }

    @Test(arguments: ExternalLoad.allCases)
    func externalResourcesAreRefusedAndNeverRead(_ variant: ExternalLoad) throws {
        let scratch = try XMLScratch()
        let marker = "SECRET-" + UUID().uuidString
        let secret: String
        let doctype: String
        var element = "<NOM>&fuite;</NOM>"
        switch variant {
        case .generalEntity:
            secret = try scratch.write("secret.txt", marker)
            doctype = "<!DOCTYPE Racine [\n  <!ENTITY xxe SYSTEM \"file://\(secret)\">\n]>"
            element = "<NOM>&xxe;</NOM>"
        case .parameterEntity:
            secret = try scratch.write("secret.dtd", "<!ENTITY fuite \"\(marker)\">\n")
            doctype = "<!DOCTYPE Racine [\n  <!ENTITY % ext SYSTEM \"file://\(secret)\">\n  %ext;\n]>"
        case .externalDTD:
            secret = try scratch.write("secret.dtd", "<!ENTITY fuite \"\(marker)\">\n")
            doctype = "<!DOCTYPE Racine SYSTEM \"file://\(secret)\">"
        case .entityInAttribute:
            secret = try scratch.write("secret.txt", marker)
            doctype = "<!DOCTYPE Racine [\n  <!ENTITY xxe SYSTEM \"file://\(secret)\">\n]>"
            element = "<NOM a=\"&xxe;\">X</NOM>"
        }
        #expect(try String(contentsOfFile: secret, encoding: .utf8).contains(marker))
        let text = """
            <?xml version="1.0" encoding="UTF-8"?>
            \(doctype)
            <Racine>
              <Foyer>
                <NOM>AVANT</NOM>
              </Foyer>
              <Foyer>
                \(element)
              </Foyer>
            </Racine>

            """
        let path = try scratch.write("attaque.xml", text)
        let outcome = readXML(path)
        let error = try #require(outcome.formatError, "\(variant.rawValue) : le fichier doit être refusé")
        #expect(error.issue.type == .securityError, "\(error.issue.message)")
        // French either way: the DOCTYPE refusal, or the parser's entity error met first.
        #expect(
            error.issue.message.contains("sécurité") || error.issue.message.hasPrefix("Fichier XML illisible"),
            "\(error.issue.message)")
        #expect(!outcome.everythingDelivered.contains(marker))
        #expect(!outcome.records.contains { $0.xml.contains("SECRET") })
    }

    @Test func theXXESampleIsRefused() throws {
        let outcome = readXML(XMLFixtures.sample("bad/xxe.xml"), record: "InfosFoyerRSA")
        let error = try #require(outcome.formatError)
        #expect(error.issue.type == .securityError)
        #expect(error.issue.message.contains("DOCTYPE"))
        #expect(outcome.records.isEmpty)
        #expect(!outcome.everythingDelivered.contains("&xxe;"))
    }

    @Test func theDOCTYPERefusalPointsAtTheDOCTYPELine() throws {
        // The DOCTYPE of bad/xxe.xml is on line 2: the partner must be sent there, not where the parser was.
        let outcome = readXML(XMLFixtures.sample("bad/xxe.xml"), record: "InfosFoyerRSA")
        let error = try #require(outcome.formatError)
        #expect(error.issue.type == .securityError)
        #expect(error.issue.line == 2, "ligne signalée : \(String(describing: error.issue.line))")
    }

    @Test func theBillionLaughsSampleIsRefusedWithoutExpansion() throws {
        let outcome = readXML(XMLFixtures.sample("bad/billion-laughs.xml"), record: "InfosFoyerRSA")
        let error = try #require(outcome.formatError)
        #expect(error.issue.type == .securityError)
        #expect(!outcome.everythingDelivered.contains("lollol"))
        #expect(outcome.records.allSatisfy { $0.xml.utf8.count < 100_000 })
    }

    @Test func aGeneratedBillionLaughsIsRefused() throws {
        var declarations = "  <!ENTITY lol \"lol\">\n"
        for level in 1...9 {
            let previous = level == 1 ? "lol" : "lol\(level - 1)"
            declarations +=
                "  <!ENTITY lol\(level) \"" + String(repeating: "&\(previous);", count: 10) + "\">\n"
        }
        let text =
            "<?xml version=\"1.0\"?>\n<!DOCTYPE Racine [\n\(declarations)]>\n<Racine>\n"
            + "  <Foyer>\n    <NOM>&lol9;</NOM>\n  </Foyer>\n</Racine>\n"
        let scratch = try XMLScratch()
        let outcome = readXML(try scratch.write("lol.xml", text))
        let error = try #require(outcome.formatError)
        #expect(error.issue.type == .securityError)
        #expect(outcome.records.isEmpty || !outcome.everythingDelivered.contains("lollol"))
    }

    @Test func aQuadraticBlowupIsRefused() throws {
        let big = String(repeating: "x", count: 50_000)
        let references = String(repeating: "&a;", count: 5_000)
        let text =
            "<?xml version=\"1.0\"?>\n<!DOCTYPE Racine [\n  <!ENTITY a \"\(big)\">\n]>\n<Racine>\n"
            + "  <Foyer>\n    <NOM>\(references)</NOM>\n  </Foyer>\n</Racine>\n"
        let scratch = try XMLScratch()
        let outcome = readXML(try scratch.write("quadratique.xml", text))
        let error = try #require(outcome.formatError)
        #expect(error.issue.type == .securityError)
        #expect(!outcome.everythingDelivered.contains(big))
        #expect(outcome.records.allSatisfy { $0.xml.utf8.count < 100_000 })
    }

    @Test func anUndeclaredEntityIsRefused() throws {
        let scratch = try XMLScratch()
        let outcome = readXML(
            try scratch.write("inconnue.xml", xmlDocument("  <Foyer>\n    <NOM>&inconnue;</NOM>\n  </Foyer>\n")))
        let error = try #require(outcome.formatError)
        #expect([IssueType.securityError, .formatError].contains(error.issue.type))
        #expect(error.issue.line == 4)
    }
}

// MARK: - Standard error

/// Runs `body` with the process's standard error sent to a file, and returns what was written to it.
private func capturingStandardError(in scratch: XMLScratch, _ body: () throws -> Void) throws -> String {
    let capture = scratch.path("stderr.txt")
    let descriptor = open(capture, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    try #require(descriptor >= 0)
    fflush(nil)
    let saved = dup(STDERR_FILENO)
    try #require(saved >= 0)
    dup2(descriptor, STDERR_FILENO)
    close(descriptor)
    var failure: (any Error)?
    do { try body() } catch { failure = error }
    fflush(nil)
    dup2(saved, STDERR_FILENO)
    close(saved)
    if let failure { throw failure }
    return (try? String(contentsOfFile: capture, encoding: .utf8)) ?? "<illisible>"
}

/// Lines that come from libxml2 rather than from other tests running meanwhile in the same process (their
/// loggers may write to stderr while it is redirected): libxml2 names the file or uses its own wording.
private func libxml2Lines(_ captured: String, scratch: XMLScratch) -> [String] {
    let signatures = [
        scratch.directory, "parser error", "parser warning", "validity error", "validity warning", "I/O error",
        "I/O warning", "namespace error", "Entity:", "Schemas", "encoding error", "failed to load", "Bytes: 0x",
        "Opening and ending tag", "xmlParse", "Input is not proper",
    ]
    return captured.split(separator: "\n").map(String.init).filter { line in
        signatures.contains { line.contains($0) } || line.trimmingCharacters(in: .whitespaces) == "^"
    }
}

@Suite("XMLRecordReader : rien sur la sortie d'erreur", .serialized)
struct XMLRecordReaderStandardErrorTests {
    fileprivate static func badDocuments(_ scratch: XMLScratch) throws -> [String] {
        let secret = try scratch.write("secret.txt", "SECRET")
        return [
            try scratch.write("mal.xml", xmlDocument("  <Foyer>\n    <NOM>X</NOMS>\n  </Foyer>\n")),
            try scratch.write(
                "enc.xml", bytes: singleByteEncoded(xmlDocument("  <Foyer><NOM>H\u{E9}l\u{E8}ne</NOM></Foyer>\n"))),
            try scratch.write("klingon.xml", xmlDocument("  <Foyer/>\n", encoding: "KLINGON-8")),
            try scratch.write("entite.xml", xmlDocument("  <Foyer><NOM>&inconnue;</NOM></Foyer>\n")),
            try scratch.write(
                "xxe.xml",
                "<?xml version=\"1.0\"?>\n<!DOCTYPE Racine [<!ENTITY xxe SYSTEM \"file://\(secret)\">]>\n"
                    + "<Racine><Foyer><NOM>&xxe;</NOM></Foyer></Racine>\n"),
            try scratch.write(
                "dtd.xml",
                "<?xml version=\"1.0\"?>\n<!DOCTYPE Racine SYSTEM \"file://\(scratch.path("absente.dtd"))\">\n"
                    + "<Racine><Foyer/></Racine>\n"),
            try scratch.write("vide.xml", bytes: []),
            try scratch.write("tronque.xml", "<?xml version=\"1.0\"?>\n<Racine>\n  <Foyer>\n"),
            XMLFixtures.sample("bad/malformed.xml"),
            XMLFixtures.sample("bad/undeclared-encoding.xml"),
            XMLFixtures.sample("bad/xxe.xml"),
            XMLFixtures.sample("bad/billion-laughs.xml"),
        ]
    }

    @Test func theCaptureSeesWhatIsWrittenToStandardError() throws {
        // Control: the capture and the filter do catch a libxml2-style line written to fd 2.
        let scratch = try XMLScratch()
        let line = "\(scratch.path("x.xml")):3: parser error : Opening and ending tag mismatch\n"
        let captured = try capturingStandardError(in: scratch) {
            _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
        }
        #expect(captured == line)
        #expect(libxml2Lines(captured, scratch: scratch).count == 1)
    }

    @Test func badDocumentsPrintNothingOnStandardError() throws {
        let scratch = try XMLScratch()
        let documents = try Self.badDocuments(scratch)
        var errors = 0
        let captured = try capturingStandardError(in: scratch) {
            for path in documents where readXML(path, record: "Foyer").error != nil { errors += 1 }
        }
        #expect(errors == documents.count)
        let fromLibxml2 = libxml2Lines(captured, scratch: scratch)
        #expect(fromLibxml2.isEmpty, "libxml2 a écrit sur stderr : \(fromLibxml2.prefix(5))")
        // Give back whatever the test harness wrote meanwhile.
        if !captured.isEmpty && fromLibxml2.isEmpty { FileHandle.standardError.write(Data(captured.utf8)) }
    }

    @Test func badDocumentsReadOnAFreshThreadPrintNothingOnStandardError() throws {
        let scratch = try XMLScratch()
        let documents = try Self.badDocuments(scratch)
        let captured = try capturingStandardError(in: scratch) {
            let done = DispatchSemaphore(value: 0)
            let thread = Thread {
                for path in documents { _ = readXML(path) }
                done.signal()
            }
            thread.start()
            done.wait()
        }
        let fromLibxml2 = libxml2Lines(captured, scratch: scratch)
        #expect(fromLibxml2.isEmpty, "libxml2 a écrit sur stderr : \(fromLibxml2.prefix(5))")
        if !captured.isEmpty && fromLibxml2.isEmpty { FileHandle.standardError.write(Data(captured.utf8)) }
    }

    @Test func readersOpenedOnOneThreadAndReadOnAnotherPrintNothing() throws {
        // A pipeline task may open a file on one thread and resume reading it on another.
        final class Readers: @unchecked Sendable {
            var readers: [XMLRecordReader] = []
        }
        let scratch = try XMLScratch()
        let box = Readers()
        for path in try Self.badDocuments(scratch) {
            box.readers.append(try XMLRecordReader(path: path, options: .init(recordElement: "Foyer")))
        }
        let captured = try capturingStandardError(in: scratch) {
            let done = DispatchSemaphore(value: 0)
            let thread = Thread {
                for reader in box.readers { try? reader.read(section: { _ in }, record: { _, _, _ in }) }
                done.signal()
            }
            thread.start()
            done.wait()
        }
        let fromLibxml2 = libxml2Lines(captured, scratch: scratch)
        #expect(fromLibxml2.isEmpty, "libxml2 a écrit sur stderr : \(fromLibxml2.prefix(5))")
        if !captured.isEmpty && fromLibxml2.isEmpty { FileHandle.standardError.write(Data(captured.utf8)) }
    }

    @Test func schemaErrorsPrintNothingOnStandardError() throws {
        let schema = try XMLFixtures.requireSchema()
        let scratch = try XMLScratch()
        var issues: [ValidationIssue] = []
        let captured = try capturingStandardError(in: scratch) {
            let outcome = readXML(
                XMLFixtures.sample("bad/missing-required.xml"), record: "InfosFoyerRSA", schema: schema)
            issues = outcome.records.flatMap(\.issues) + outcome.fileIssues
        }
        #expect(!issues.isEmpty)
        let fromLibxml2 = libxml2Lines(captured, scratch: scratch)
        #expect(fromLibxml2.isEmpty, "libxml2 a écrit sur stderr : \(fromLibxml2.prefix(5))")
        if !captured.isEmpty && fromLibxml2.isEmpty { FileHandle.standardError.write(Data(captured.utf8)) }
    }
}

// MARK: - Schema

@Suite("XMLRecordReader : validation XSD")
struct XMLRecordReaderSchemaTests {
    @Test func aMissingRequiredElementIsAttachedToItsRecordOnly() throws {
        let schema = try XMLFixtures.requireSchema()
        let outcome = readXML(
            XMLFixtures.sample("bad/missing-required.xml"), record: "InfosFoyerRSA", schema: schema)
        #expect(outcome.error == nil)
        try #require(outcome.records.count == 3)
        #expect(outcome.records[0].issues.isEmpty)
        #expect(outcome.records[2].issues.isEmpty)
        let issues = outcome.records[1].issues
        try #require(!issues.isEmpty, "le foyer 2 (sans MATRICULE) doit porter une erreur de schéma")
        for issue in issues {
            #expect(issue.type == .schemaError)
            #expect(issue.message.hasPrefix("Non conforme au schéma XSD"), "\(issue.message)")
            let line = try #require(issue.line)
            #expect((129...231).contains(line), "ligne \(line) hors du foyer 2 (129–231)")
        }
        #expect(issues.contains { $0.message.contains("MATRICULE") && $0.message.contains("obligatoire absent") })
        #expect(outcome.fileIssues.isEmpty, "\(outcome.fileIssues.map(\.message))")
    }

    @Test(arguments: XMLFixtures.goodSamples)
    func goodSamplesConformToTheSchema(_ file: String) throws {
        let schema = try XMLFixtures.requireSchema()
        let outcome = readXML(XMLFixtures.sample(file), record: "InfosFoyerRSA", schema: schema)
        #expect(outcome.error == nil)
        #expect(!outcome.records.isEmpty)
        let issues = outcome.records.flatMap(\.issues) + outcome.fileIssues
        #expect(issues.isEmpty, "\(issues.prefix(3).map(\.message))")
    }

    @Test func anElementMissingAtTheEndOfARecordIsAttachedToThatRecord() throws {
        let schema = try XMLFixtures.requireSchema()
        // MSA household 2 without its PrestationRSA, its last child: libxml2 reports the missing element on
        // the record's closing tag.
        let original = try String(contentsOfFile: XMLFixtures.sample("msa-67-2026-09.xml"), encoding: .isoLatin1)
        var lines = original.components(separatedBy: "\n")
        let start = try #require(lines.indices.first { $0 > 190 && lines[$0].contains("<PrestationRSA>") })
        let end = try #require(lines.indices.first { $0 > start && lines[$0].contains("</PrestationRSA>") })
        lines.removeSubrange(start...end)
        let scratch = try XMLScratch()
        let path = try scratch.write(
            "sans-prestation.xml", bytes: singleByteEncoded(lines.joined(separator: "\n")))
        let outcome = readXML(path, record: "InfosFoyerRSA", schema: schema)
        #expect(outcome.error == nil)
        try #require(outcome.records.count == 3)
        #expect(outcome.records[0].issues.isEmpty)
        #expect(outcome.records[2].issues.isEmpty)
        #expect(
            outcome.records[1].issues.contains { $0.type == .schemaError && $0.message.contains("PrestationRSA") },
            "erreur attribuée au fichier au lieu du foyer 2 : \(outcome.fileIssues.map(\.message))")
        #expect(outcome.fileIssues.isEmpty)
    }

    @Test func maskValuesHidesTheQuotedValueOfAFacetMessage() {
        let masked = XMLMessages.maskValues(
            "Element 'NIR': [facet 'maxLength'] The value '1840567482123456' has a length of 16")
        #expect(!masked.contains("1840567482123456"))
        #expect(!masked.contains("184056748"))
        #expect(masked.contains("'NIR'"))
        #expect(masked.contains("maxLength"))
    }

    @Test(arguments: [
        "Element 'NIR': [facet 'pattern'] The value '2840567482123' is not accepted by the pattern '[0-9]{15}'.",
        "Element 'DTNAI': '1840567482123' is not a valid value of the atomic type 'xs:date'.",
        "Element 'SEXE': '1840567482123' is not a valid value of the local atomic type.",
        "Element 'NIR': [facet 'enumeration'] The value '1840567482123' is not an element of the set {'1', '2'}.",
    ])
    func maskValuesHidesEveryQuotedValue(_ message: String) {
        let masked = XMLMessages.maskValues(message)
        #expect(!masked.contains("40567482123"), "\(masked)")
    }

    struct Tampering: Sendable, CustomTestStringConvertible {
        var original: String
        var replacement: String
        /// What must not appear in any message.
        var secret: String
        var testDescription: String { "\(original) → \(replacement)" }
    }

    @Test(arguments: [
        // A 16-character NIR: maxLength facet.
        Tampering(
            original: "<NIR>1840367482123</NIR>", replacement: "<NIR>1840367482123456</NIR>",
            secret: "1840367482123"),
        // Shifted columns: the NIR where the birth date should be.
        Tampering(
            original: "<DTNAI>1984-03-12</DTNAI>", replacement: "<DTNAI>1840367482123</DTNAI>",
            secret: "1840367482123"),
        // An impossible birth date is personal data too.
        Tampering(
            original: "<DTNAI>1984-03-12</DTNAI>", replacement: "<DTNAI>1984-03-32</DTNAI>", secret: "1984-03-32"),
    ])
    func schemaIssuesNeverQuotePersonalValues(_ tampering: Tampering) throws {
        let schema = try XMLFixtures.requireSchema()
        let original = try String(contentsOfFile: XMLFixtures.sample("caf-67-2026-09.xml"), encoding: .isoLatin1)
        try #require(original.contains(tampering.original))
        let changed = original.replacingOccurrences(of: tampering.original, with: tampering.replacement)
        let scratch = try XMLScratch()
        let path = try scratch.write("modifie.xml", bytes: singleByteEncoded(changed))
        let outcome = readXML(path, record: "InfosFoyerRSA", schema: schema)
        #expect(outcome.error == nil)
        let issues = outcome.records.flatMap(\.issues) + outcome.fileIssues
        try #require(!issues.isEmpty, "la valeur modifiée doit être refusée par le schéma")
        #expect(outcome.records.first?.issues.isEmpty == false)
        for issue in issues {
            #expect(issue.message.hasPrefix("Non conforme au schéma XSD"))
            #expect(!issue.message.contains(tampering.secret), "\(issue.message)")
            #expect(issue.value?.contains(tampering.secret) != true)
        }
    }

    @Test func aMissingSchemaIsASchemaError() throws {
        let scratch = try XMLScratch()
        let path = try scratch.write("doc.xml", xmlDocument("  <Foyer/>\n"))
        let outcome = readXML(path, schema: scratch.path("absent.xsd"))
        let error = try #require(outcome.formatError)
        #expect(error.issue.type == .schemaError)
        #expect(outcome.records.isEmpty)
    }
}
