import Foundation
import GatewayCore
import GatewayFormats

extension LocalDate {
    /// The date written in `pattern`.
    public func formatted(_ pattern: Pattern) -> String {
        let day = (self.day < 10 ? "0" : "") + String(self.day)
        let month = (self.month < 10 ? "0" : "") + String(self.month)
        let year = String(repeating: "0", count: max(0, 4 - String(self.year).count)) + String(self.year)
        switch pattern {
        case .iso: return iso
        case .french: return day + "/" + month + "/" + year
        case .compact: return year + month + day
        case .frenchDashes: return day + "-" + month + "-" + year
        }
    }
}

/// Writes canonical records in a partner's format through its mapping file, read in reverse: each mapped field
/// goes back to its column, key or element, in the partner's date format and codes. Streaming: each record is
/// written as it comes; nothing is held but the current record.
///
/// Only the fields the mapping names are written: a partner's mapping is the list of what it may receive.
public final class MappingEmitter {
    public let flow: FlowMapping
    private let fields: [FieldMapping]
    private let rowCollection: CollectionMapping?
    /// The CSV header (lower-cased to look cells up) and the output encoding, worked out once, not per record.
    private let columnKeys: [String]
    private let encoding: TextEncoding
    private var csv: CSVWriter?
    private var handle: FileHandle?
    private var buffer = Data()
    private var count = 0
    public private(set) var recordsWritten = 0
    private var finished = false

    /// Opens `path` for writing (replacing it) in the flow's format and encoding.
    /// `fileFields` are the file-level fields (flux-header names) for an XML header and trailer; `declaredCount`
    /// is written where the mapping reads the count from.
    public init(flow: FlowMapping, path: String, fileFields: [String: String] = [:], declaredCount: Int? = nil) throws {
        self.flow = flow
        self.fields = flow.record.fields
        self.rowCollection = flow.record.collections.first(where: \.isRowGroup)
        let encoding = flow.encoding.flatMap { TextEncoding(label: $0) } ?? .utf8
        self.encoding = encoding
        self.columnKeys = Self.columns(flow).map { $0.lowercased() }
        switch flow.format {
        case .csv:
            var options = CSVWriterOptions(
                delimiter: flow.delimiter ?? UInt8(ascii: ";"), encoding: encoding == .auto ? .utf8 : encoding)
            options.writeBOM = options.encoding == .utf8
            let writer = try CSVWriter(path: path, options: options)
            try writer.write(row: Self.columns(flow))
            csv = writer
        case .json, .xml:
            guard FileManager.default.createFile(atPath: path, contents: nil),
                let opened = FileHandle(forWritingAtPath: path)
            else { throw FormatError(message: "Impossible d'écrire \(path).") }
            handle = opened
            if flow.format == .json {
                append(flow.jsonArrayKey.map { "{" + JSONText.quoted($0) + ":[" } ?? "[")
            } else {
                let root = Self.rootElement(flow)
                let declared = encoding == .latin1 ? "ISO-8859-1" : encoding == .windows1252 ? "windows-1252" : "UTF-8"
                append("<?xml version=\"1.0\" encoding=\"\(declared)\"?>\n<\(root)>\n")
                if let header = flow.file {
                    var values = fileFields
                    values["declaredCount"] = declaredCount.map(String.init) ?? values["declaredCount"]
                    let trailerStep = header.fields.first { $0.spec.name == "declaredCount" }?.source.steps.first?.name
                    var head: [(String, XMLTree)] = []
                    var tail: [(String, XMLTree)] = []
                    for field in header.fields {
                        guard let value = values[field.spec.name] else { continue }
                        let text = Self.text(value, for: field)
                        if field.source.steps.first?.name == trailerStep {
                            Self.insert(&tail, steps: field.source.steps, value: .text(text))
                        } else {
                            Self.insert(&head, steps: field.source.steps, value: .text(text))
                        }
                    }
                    append(XMLTree.element(head).rendered() + (head.isEmpty ? "" : "\n"))
                    trailer = tail.isEmpty ? nil : XMLTree.element(tail).rendered() + "\n"
                }
            }
        }
    }

    private var trailer: String?

    /// The CSV header: the columns of the record's fields and of its row collection, in mapping order.
    static func columns(_ flow: FlowMapping) -> [String] {
        var seen = Set<String>()
        var names = flow.groupBy
        names += flow.record.fields.map { $0.source.description }
        names += flow.record.collections.filter(\.isRowGroup).flatMap { $0.record.fields.map(\.source.description) }
        return names.filter { seen.insert($0.lowercased()).inserted }
    }

    /// Writes one record.
    public func write(_ record: CanonicalFields) throws {
        recordsWritten += 1
        switch flow.format {
        case .csv: try writeCSV(record)
        case .json: try writeJSON(record)
        case .xml: try writeXML(record)
        }
    }

    /// Flushes and closes the file.
    public func finish() throws {
        guard !finished else { return }
        finished = true
        switch flow.format {
        case .csv: try csv?.finish()
        case .json:
            append(flow.jsonArrayKey == nil ? "\n]\n" : "\n]}\n")
            try flush(force: true)
            try handle?.close()
        case .xml:
            if let trailer { append(trailer) }
            append("</\(Self.rootElement(flow))>\n")
            try flush(force: true)
            try handle?.close()
        }
    }

    // MARK: values

    /// The partner's text for a canonical value: codes reversed, dates in the mapping's first format, booleans
    /// as the mapping's usual words.
    static func text(_ value: String, for field: FieldMapping) -> String {
        if let codes = field.codes {
            // The source code that gives this canonical value; the shortest, then the first in order, when several do.
            let sources = codes.filter { $0.value == value }.map(\.key).sorted { ($0.count, $0) < ($1.count, $1) }
            if let source = sources.first { return source }
        }
        switch field.spec.kind {
        case .date:
            if let date = LocalDate(iso: value), let pattern = field.dateFormats.first {
                return date.formatted(pattern)
            }
        case .boolean:
            let truth = value == "1"
            let words = truth ? field.trueValues : field.falseValues
            for preferred in truth ? ["1", "O", "OUI", "TRUE"] : ["0", "N", "NON", "FALSE"]
            where words.contains(preferred) {
                return preferred == "TRUE" || preferred == "FALSE" ? preferred.lowercased() : preferred
            }
            return words.sorted().first ?? value
        default: break
        }
        return value
    }

    private func cells(_ record: CanonicalFields, _ mappings: [FieldMapping], into row: inout [String: String]) {
        for field in mappings {
            guard let value = record[field.spec.name] else { continue }
            row[field.source.description.lowercased()] = Self.text(value, for: field)
        }
    }

    private func writeCSV(_ record: CanonicalFields) throws {
        var base: [String: String] = [:]
        cells(record, fields, into: &base)
        var rows: [[String: String]] = []
        if let collection = rowCollection, let elements = record.collections[collection.name], !elements.isEmpty {
            for element in elements {
                var row = base
                cells(element, collection.record.fields, into: &row)
                rows.append(row)
            }
        } else {
            rows.append(base)
        }
        for row in rows { try csv?.write(row: columnKeys.map { row[$0] ?? "" }) }
    }

    // MARK: JSON

    private enum JSONTree {
        case value(String, FieldKind)
        case list([String])
        case object([String: JSONTree])
        case array([JSONTree])

        func rendered() -> String {
            switch self {
            case .value(let text, let kind):
                switch kind {
                case .integer where Int(text) != nil: return text
                case .boolean: return text == "1" || text == "true" || text == "O" || text == "OUI" ? "true" : "false"
                default: return JSONText.quoted(text)
                }
            case .list(let items):
                return "[" + items.map(JSONText.quoted).joined(separator: ",") + "]"
            case .array(let items): return "[" + items.map { $0.rendered() }.joined(separator: ",") + "]"
            case .object(let members):
                return "{"
                    + members.keys.sorted().map {
                        JSONText.quoted($0) + ":" + members[$0]!.rendered()
                    }
                    .joined(separator: ",") + "}"
            }
        }
    }

    private static func insert(_ tree: inout [String: JSONTree], path: [String], value: JSONTree) {
        guard let first = path.first else { return }
        if path.count == 1 {
            tree[first] = value
            return
        }
        var child: [String: JSONTree] = [:]
        if case .object(let existing)? = tree[first] { child = existing }
        insert(&child, path: Array(path.dropFirst()), value: value)
        tree[first] = .object(child)
    }

    private func jsonObject(_ record: CanonicalFields, _ mapping: RecordMapping) -> [String: JSONTree] {
        var tree: [String: JSONTree] = [:]
        for field in mapping.fields {
            guard let value = record[field.spec.name] else { continue }
            let path = field.source.steps.map(\.name)
            if field.occurrence == .all {
                let items = value.split(separator: " ").map(String.init)
                Self.insert(&tree, path: path, value: .list(items))
            } else if field.codes != nil || field.spec.kind == .date
                || (field.spec.kind == .boolean && !field.trueValues.contains("TRUE"))
            {
                Self.insert(&tree, path: path, value: .value(Self.text(value, for: field), .text))
            } else {
                Self.insert(&tree, path: path, value: .value(value, field.spec.kind))
            }
        }
        for collection in mapping.collections {
            guard let elements = record.collections[collection.name], !elements.isEmpty else { continue }
            let items = elements.map { JSONTree.object(jsonObject($0, collection.record)) }
            Self.insert(&tree, path: collection.source.steps.map(\.name), value: .array(items))
        }
        return tree
    }

    private func writeJSON(_ record: CanonicalFields) throws {
        append((recordsWritten > 1 ? ",\n" : "\n") + JSONTree.object(jsonObject(record, flow.record)).rendered())
        try flush(force: false)
    }

    // MARK: XML

    static func rootElement(_ flow: FlowMapping) -> String { flow.xmlRoot ?? "Racine" }

    static func xmlEscaped(_ text: String) -> String {
        var out = ""
        for char in text {
            switch char {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(char)
            }
        }
        return out
    }

    private indirect enum XMLTree {
        case text(String)
        case element([(String, XMLTree)])

        func rendered() -> String {
            switch self {
            case .text(let value): return MappingEmitter.xmlEscaped(value)
            case .element(let children): return children.map { "<\($0.0)>" + $0.1.rendered() + "</\($0.0)>" }.joined()
            }
        }
    }

    private static func insert(_ children: inout [(String, XMLTree)], steps: [PathStep], value: XMLTree) {
        guard let step = steps.first else { return }
        if steps.count == 1 {
            children.append((step.name, value))
            return
        }
        let index = children.firstIndex { name, tree in
            guard name == step.name, case .element(let inner) = tree else { return false }
            guard let filter = step.filter else { return true }
            return inner.contains { $0.0 == filter.child && $0.1.rendered() == xmlEscaped(filter.value) }
        }
        var inner: [(String, XMLTree)] = []
        if let index, case .element(let existing) = children[index].1 { inner = existing }
        if index == nil, let filter = step.filter { inner.append((filter.child, .text(filter.value))) }
        insert(&inner, steps: Array(steps.dropFirst()), value: value)
        if let index { children[index].1 = .element(inner) } else { children.append((step.name, .element(inner))) }
    }

    private func xmlChildren(_ record: CanonicalFields, _ mapping: RecordMapping) -> [(String, XMLTree)] {
        var children: [(String, XMLTree)] = []
        for field in mapping.fields {
            guard let value = record[field.spec.name] else { continue }
            let text = Self.text(value, for: field)
            if field.occurrence == .all {
                for item in text.split(separator: " ") {
                    Self.insert(&children, steps: field.source.steps, value: .text(String(item)))
                }
            } else {
                Self.insert(&children, steps: field.source.steps, value: .text(text))
            }
        }
        for collection in mapping.collections {
            for element in record.collections[collection.name] ?? [] {
                Self.insert(
                    &children, steps: collection.source.steps,
                    value: .element(xmlChildren(element, collection.record)))
            }
        }
        return children
    }

    private func writeXML(_ record: CanonicalFields) throws {
        let name = flow.recordElement ?? "record"
        append("<\(name)>" + XMLTree.element(xmlChildren(record, flow.record)).rendered() + "</\(name)>\n")
        try flush(force: false)
    }

    // MARK: output

    private func append(_ text: String) {
        if flow.format == .xml && (encoding == .latin1 || encoding == .windows1252) {
            buffer.append(
                text.data(using: encoding == .latin1 ? .isoLatin1 : .windowsCP1252, allowLossyConversion: true)
                    ?? Data())
        } else {
            buffer.append(contentsOf: Array(text.utf8))
        }
    }

    private func flush(force: Bool) throws {
        guard force || buffer.count >= 64 * 1024 else { return }
        try handle?.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
