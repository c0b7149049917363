import Foundation
import GatewayCore
import Testing

@testable import GatewayFormats

private typealias JSONRecord = (value: JSONValue, line: Int, raw: String)

private func readRecords(_ text: String, arrayKey: String? = nil) throws -> (JSONRecordReader, [JSONRecord]) {
    let reader = try JSONRecordReader(bytes: Array(text.utf8), arrayKey: arrayKey)
    var records: [JSONRecord] = []
    while let record = try reader.next() { records.append(record) }
    return (reader, records)
}

/// The error thrown while reading `text` to its end.
private func readError(_ text: String, arrayKey: String? = nil) -> FormatError? {
    #expect(throws: FormatError.self) { try readRecords(text, arrayKey: arrayKey) }
}

@Suite("JSON records reader")
struct JSONRecordReaderTests {
    @Test("a top-level array of records, with lines and raw text")
    func arrayLayout() throws {
        let text =
            "[\n  {\"nir\": \"1850775123456\", \"age\": 39},\n  {\"nir\": \"2850775123456\",\n   \"age\": 40}\n]\n"
        let (reader, records) = try readRecords(text)
        #expect(reader.layout == .array)
        #expect(records.map(\.line) == [2, 3])
        #expect(records[0].value["nir"]?.stringValue == "1850775123456")
        #expect(records[0].raw == "{\"nir\": \"1850775123456\", \"age\": 39}")
        #expect(records[1].raw == "{\"nir\": \"2850775123456\",\n   \"age\": 40}")
        #expect(reader.bytesConsumed == text.utf8.count)
        #expect(try reader.next() == nil)
    }

    @Test("NDJSON: one record per line, blank lines allowed, a BOM skipped")
    func linesLayout() throws {
        let text = "\u{FEFF}{\"a\":1}\n\n{\"a\":2}\r\n   \n{\"a\":[3]}"
        let (reader, records) = try readRecords(text)
        #expect(reader.layout == .lines)
        #expect(records.map(\.line) == [1, 3, 5])
        #expect(records.map(\.raw) == ["{\"a\":1}", "{\"a\":2}", "{\"a\":[3]}"])
        #expect(records[2].value.value(at: ["a", "0"])?.stringValue == "3")
    }

    @Test("empty files and empty arrays hold no records")
    func empty() throws {
        #expect(try readRecords("").1.isEmpty)
        #expect(try readRecords(" \n ").1.isEmpty)
        #expect(try readRecords("[ ]").1.isEmpty)
        #expect(try readRecords("{\"resultats\": []}", arrayKey: "resultats").1.isEmpty)
    }

    @Test("nested objects, path lookup and string values")
    func nested() throws {
        let text = """
            [{"personne": {"nom": "Lefèvre", "adresse": {"commune": "Grenoble", "cp": "38000"}},
              "montant": 12.50, "actif": true, "fin": null, "droits": [{"code": "RSA"}]}]
            """
        let (_, records) = try readRecords(text)
        let value = try #require(records.first?.value)
        #expect(value.value(at: ["personne", "adresse", "commune"]) == .string("Grenoble"))
        #expect(value["personne"]?["nom"]?.stringValue == "Lefèvre")
        #expect(value.value(at: ["droits", "0", "code"])?.stringValue == "RSA")
        #expect(value["montant"] == .number("12.50"))
        #expect(value["montant"]?.stringValue == "12.50")
        #expect(value["actif"]?.stringValue == "true")
        #expect(value["fin"]?.isNull == true)
        #expect(value["fin"]?.stringValue == nil)
        #expect(value["personne"]?.stringValue == nil)
        #expect(value.value(at: ["personne", "absent"]) == nil)
        #expect(value.value(at: ["montant", "x"]) == nil)
        #expect(value.objectValue?.keys == ["personne", "montant", "actif", "fin", "droits"])
        #expect(value["droits"]?[0]?["code"] == .string("RSA"))
    }

    @Test("numbers keep their literal text")
    func numbers() throws {
        let (_, records) = try readRecords("[0, -0, 12.50, 1e10, -2.5E-3, 123456789012345678901234567890]")
        #expect(
            records.map(\.value)
                == ["0", "-0", "12.50", "1e10", "-2.5E-3", "123456789012345678901234567890"].map { .number($0) })
    }

    @Test(
        "malformed numbers and literals are refused",
        arguments: ["[01]", "[1.]", "[-]", "[.5]", "[1e]", "[tru]", "[nul]", "[+1]"])
    func badValues(text: String) throws {
        #expect(readError(text)?.issue.type == .formatError)
    }

    @Test("string escapes and surrogate pairs")
    func escapes() throws {
        let text = #"[{"s": "q\"b\\s\/b\bf\fn\nr\rt\t\u00e9\u20AC\ud83d\ude00 é😀"}]"#
        let (_, records) = try readRecords(text)
        #expect(records[0].value["s"] == .string("q\"b\\s/b\u{8}f\u{C}n\nr\rt\té€😀 é😀"))
    }

    @Test(
        "invalid strings are refused",
        arguments: [
            #"["\ud83d"]"#, #"["\ude00"]"#, #"["\ud83d\u0041"]"#, #"["\x"]"#, #"["\u12G4"]"#, "[\"a\u{1}b\"]",
            "[\"a\nb\"]", "[\"ouvert",
        ])
    func badStrings(text: String) throws {
        #expect(readError(text) != nil)
    }

    @Test("a string that is not UTF-8 is refused")
    func notUTF8() throws {
        let bytes = Array("[\"caf".utf8) + [0xE9] + Array("\"]".utf8)
        let reader = try JSONRecordReader(bytes: bytes)
        let error = #expect(throws: FormatError.self) { try reader.next() }
        #expect(error?.issue.message.contains("UTF-8") == true)
    }

    @Test("errors carry the physical line and a French message; in an array they are final")
    func arrayErrors() throws {
        let reader = try JSONRecordReader(bytes: Array("[\n{\"a\": 1}\n{\"a\": 2}\n]".utf8))
        #expect(try reader.next()?.line == 2)
        let error = #expect(throws: FormatError.self) { try reader.next() }
        #expect(error?.issue.line == 3)
        #expect(error?.issue.message == "JSON invalide ligne 3 : virgule ou crochet attendu")
        #expect(error?.issue.type == .formatError)
        let again = #expect(throws: FormatError.self) { try reader.next() }
        #expect(again?.issue.line == 3)
    }

    @Test(
        "structural errors",
        arguments: [
            ("[{\"a\" 1}]", "deux-points"), ("[{\"a\":1,}]", "nom de membre"), ("[1,]", "valeur attendue"),
            ("[{\"a\":1 \"b\":2}]", "virgule ou accolade"), ("[{\"a\":1}] x", "après la fin"),
            ("[{\"a\":1}", "crochet fermant"), ("x", "« [ » ou « { »"), ("[{\"a\":1,\"a\":2}]", "en double"),
        ])
    func structure(text: String, fragment: String) throws {
        let error = readError(text)
        #expect(error?.issue.message.contains(fragment) == true, "\(error?.issue.message ?? "no error")")
    }

    @Test("nesting deeper than 64 levels is refused")
    func depthLimit() throws {
        let deep = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(try readRecords("[\(deep)]").1.count == 1)
        let tooDeep = String(repeating: "{\"a\":", count: 65) + "1" + String(repeating: "}", count: 65)
        let error = readError("\(tooDeep)\n")
        #expect(error?.issue.message.contains("imbrication trop profonde") == true)
    }

    @Test("after an NDJSON error the reader goes on at the next line")
    func resynchronisation() throws {
        let text = "{\"a\":1}\n{\"a\":}\n{\"a\":3}\n{\"a\":\n{\"a\":5} {\"a\":6}\n{\"a\":7}"
        let reader = try JSONRecordReader(bytes: Array(text.utf8))
        #expect(try reader.next()?.line == 1)
        let second = #expect(throws: FormatError.self) { try reader.next() }
        #expect(second?.issue.line == 2)
        #expect(try reader.next()?.value["a"] == .number("3"))
        let split = #expect(throws: FormatError.self) { try reader.next() }
        #expect(split?.issue.line == 4)
        #expect(split?.issue.message.contains("un enregistrement par ligne") == true)
        let twoOnALine = #expect(throws: FormatError.self) { try reader.next() }
        #expect(twoOnALine?.issue.line == 5)
        let last = try #require(try reader.next())
        #expect(last.line == 6)
        #expect(last.value["a"] == .number("7"))
        #expect(try reader.next() == nil)
    }

    @Test("an array wrapped in an object under a key")
    func wrappedArray() throws {
        let text = """
            {"filtresPossibles": [{"x": [1, {"y": "]"}]}], "resultats": [
              {"id": "A1", "intitule": "Aide à domicile"},
              {"id": "B2", "intitule": "Maçon"}
            ], "total": 2}
            """
        let (reader, records) = try readRecords(text, arrayKey: "resultats")
        #expect(reader.layout == .wrappedArray(key: "resultats"))
        #expect(records.map { $0.value["id"]?.stringValue } == ["A1", "B2"])
        #expect(records.map(\.line) == [2, 3])
        #expect(try readRecords("[{\"id\": 1}]", arrayKey: "resultats").1.count == 1)
    }

    @Test("a wrapped array that is absent or not an array is refused")
    func wrappedArrayErrors() throws {
        #expect(readError("{\"total\": 0}", arrayKey: "resultats")?.issue.message.contains("absent") == true)
        #expect(readError("{\"resultats\": {}}", arrayKey: "resultats")?.issue.message.contains("tableau") == true)
        #expect(readError("{\"resultats\": [1] \"x\": 2}", arrayKey: "resultats") != nil)
    }

    @Test("records straddling chunk boundaries are read whole from a file")
    func bigFile() throws {
        var text = "[\n"
        var expected: [String] = []
        for index in 0..<3000 {
            let name = "é\\u00e9😀\\\"" + String(repeating: "x", count: index % 97) + "\(index)"
            expected.append("éé😀\"" + String(repeating: "x", count: index % 97) + "\(index)")
            text += (index > 0 ? ",\n" : "") + "{\"n\": \(index), \"nom\": \"\(name)\", \"liste\": [1, 2.5, null]}"
        }
        text += "\n]\n"
        let file = try FormatsTemporaryFile(bytes: Array(text.utf8), suffix: ".json")
        defer { file.remove() }
        let reader = try JSONRecordReader(path: file.path)
        var index = 0
        while let record = try reader.next() {
            #expect(record.value["nom"]?.stringValue == expected[index])
            #expect(record.value["n"]?.stringValue == "\(index)")
            #expect(record.line == index + 2)
            index += 1
        }
        #expect(index == 3000)
        #expect(reader.fileSize == text.utf8.count)
        #expect(reader.bytesConsumed == text.utf8.count)
    }

    @Test("every chunk size cuts the file somewhere else and gives the same records", arguments: [1, 2, 3, 5, 8])
    func tinyChunks(chunkSize: Int) throws {
        let texts = [
            "\u{FEFF}[{\"a\": \"é\\u00e9\\ud83d\\ude00\\\"\", \"b\": [1.5e3, true, null]},\r\n {\"c\": {}}]",
            "{\"a\":1}\r\n\r\n{\"a\": \"x\\ny\"}\n{\"bad\"}\n{\"a\":[]}",
            "{\"avant\": [\"]\"], \"resultats\": [{\"id\": 1}, {\"id\": 2}], \"apres\": {\"x\": 1}}",
        ]
        for text in texts {
            let file = try FormatsTemporaryFile(bytes: Array(text.utf8), suffix: ".json")
            defer { file.remove() }
            let arrayKey = text.contains("resultats") ? "resultats" : nil
            let reader = try JSONRecordReader(
                source: ByteReader(path: file.path, chunkSize: chunkSize), arrayKey: arrayKey)
            let memory = try JSONRecordReader(bytes: Array(text.utf8), arrayKey: arrayKey)
            while true {
                let expected: JSONRecord?
                do {
                    expected = try memory.next()
                } catch let memoryError {
                    let error = #expect(throws: FormatError.self) { try reader.next() }
                    #expect(error?.issue == memoryError.issue)
                    continue
                }
                let record = try reader.next()
                #expect(record?.value == expected?.value)
                #expect(record?.line == expected?.line)
                #expect(record?.raw == expected?.raw)
                if expected == nil { break }
            }
            #expect(reader.bytesConsumed == text.utf8.count)
        }
    }

    @Test("JSON text of a value")
    func jsonText() throws {
        let (_, records) = try readRecords(#"[{"a": [1, true, null], "b": "x\"\n\u0001"}]"#)
        #expect(records[0].value.jsonText == #"{"a":[1,true,null],"b":"x\"\n\u0001"}"#)
        var object = JSONObject([("k", .number("1"))])
        object["k"] = .string("v")
        object["l"] = .null
        object["k"] = nil
        #expect(JSONValue.object(object).jsonText == #"{"l":null}"#)
    }
}
