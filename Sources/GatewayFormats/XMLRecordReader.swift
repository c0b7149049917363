import CLibXML2
import Foundation
import GatewayCore

/// An element name compiled once for fast comparison with libxml2's interned names.
public struct XMLName: Sendable, Hashable {
    let bytes: [UInt8]  // NUL-terminated
    public let text: String

    public init(_ text: String) {
        self.text = text
        self.bytes = Array(text.utf8) + [0]
    }

    func matches(_ name: UnsafePointer<xmlChar>?) -> Bool {
        guard let name else { return false }
        return bytes.withUnsafeBufferPointer { buffer in
            strcmp(
                UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self),
                UnsafeRawPointer(name).assumingMemoryBound(to: CChar.self)) == 0
        }
    }
}

/// Line numbers of libxml2 nodes, for the schema pass.
enum XMLLines {
    /// libxml2 keeps element lines on 16 bits; past 65,535 it takes them from the first text child, whose line
    /// is where that text ends: count its newlines back.
    static func line(of node: xmlNodePtr) -> Int {
        let stored = Int(node.pointee.line)
        guard stored == 65535, let first = node.pointee.children, first.pointee.type == XML_TEXT_NODE,
            let content = first.pointee.content
        else { return Int(xmlGetLineNo(node)) }
        var newlines = 0
        var cursor = content
        while cursor.pointee != 0 {
            if cursor.pointee == 10 { newlines += 1 }
            cursor += 1
        }
        return Int(xmlGetLineNo(first)) - newlines
    }
}

/// Streams the records of an XML file one subtree at a time: libxml2's SAX2 push parser builds each record's tree
/// (`XMLRecordParser`); with an XSD, a first streaming pass over libxml2's `xmlTextReader` checks the file against
/// it, as `xmllint --stream --schema` does.
///
/// Safe by construction: no network, no external entity, no DTD loading; a document type declaration is
/// refused outright (CNAF flows never carry one), which also rules out entity-expansion bombs. Parser
/// errors become `FormatError`s with a line number and a French message, never stderr output.
public final class XMLRecordReader {
    public struct Options: Sendable {
        /// The element repeated once per record (`InfosFoyerRSA`).
        public var recordElement: String
        /// An encoding that overrides the declared one (`windows-1252`), or nil to honour the declaration.
        public var encoding: String?
        /// An XSD to check the file against while reading, in a first streaming pass.
        public var schemaPath: String?
        /// Schema errors kept in detail; the rest are counted.
        public var maxSchemaIssues: Int = 10_000
        /// Whether each record's own text is copied as it is read, for `XMLNodeRef.serialisedBytes()` (an import
        /// keeps it); otherwise a record is written out from its tree when asked.
        public var keepsSource = false

        public init(recordElement: String, encoding: String? = nil, schemaPath: String? = nil) {
            self.recordElement = recordElement
            self.encoding = encoding
            self.schemaPath = schemaPath
        }
    }

    public let path: String
    public let options: Options
    private let recordName: XMLName
    /// Schema errors found outside any record.
    public private(set) var fileIssues: [ValidationIssue] = []
    /// Parser warnings: reported, but they do not stop a file.
    public private(set) var warnings: [ValidationIssue] = []
    /// Schema errors beyond `maxSchemaIssues`, counted but not kept.
    public private(set) var droppedSchemaIssues = 0
    /// Bytes of the file consumed so far, for progress.
    public var bytesConsumed: Int { Int(bytesRead.value) }
    private let bytesRead = ByteCounter()
    public let fileSize: Int?
    /// Schema errors of each record, by record index, from the schema pass.
    private var schemaIssuesByRecord: [Int: [ValidationIssue]] = [:]
    /// Whether the file is read through `XMLRepairingSource` (its bytes contradict its declared encoding, or it
    /// is UTF-16), and the byte order of a UTF-16 file.
    private var repairing = false
    private var utf16: ByteReader.UTF16Order?

    public init(path: String, options: Options) throws(FormatError) {
        self.path = path
        self.options = options
        self.recordName = XMLName(options.recordElement)
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw FormatError(.formatError, message: "Fichier illisible ou absent.")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
        self.fileSize = size
        XMLSafety.install()
    }

    /// Reads the document: `section` is called for each top-level element that is not a record (header,
    /// trailer), `record` for each record with its 0-based index and the schema errors that fall in it.
    public func read(
        section: (XMLNodeRef) throws -> Void,
        record: (XMLNodeRef, Int, [ValidationIssue]) throws -> Void
    ) throws {
        try XMLSafety.refuseDoctype(path: path)
        // Bytes that contradict the declared (or pinned) encoding are read as what they certainly are, with an
        // anomaly, or the file is refused naming the line: never decoded into garbled text.
        let survey = XMLEncodingSurvey.scan(path: path)
        if case .repair(let anomaly) = try XMLEncodingPlan.plan(survey, pinned: options.encoding) {
            repairing = true
            switch survey.byteOrderMark {
            case .utf16LittleEndian: utf16 = .littleEndian
            case .utf16BigEndian: utf16 = .bigEndian
            default: break
            }
            if let anomaly { warnings.append(anomaly) }
        }
        if let schemaPath = options.schemaPath {
            try validateAgainstSchema(schemaPath)
        }
        let parser = XMLRecordParser(
            path: path, encoding: repairing ? nil : options.encoding, counter: bytesRead,
            repairing: repairing ? utf16.map { .utf16($0) } ?? .lines : nil, keepsSource: options.keepsSource)
        var index = 0
        try parser.parse { node in
            if node.isNamed(self.recordName) {
                try record(node, index, self.schemaIssuesByRecord.removeValue(forKey: index) ?? [])
                index += 1
            } else {
                try section(node)
            }
        }
        warnings.append(contentsOf: parser.collector.warnings)
        for index in schemaIssuesByRecord.keys.sorted() { fileIssues.append(contentsOf: schemaIssuesByRecord[index]!) }
    }

    private func openReader(collector: ErrorCollector, counter: ByteCounter) throws(FormatError) -> xmlTextReaderPtr {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw FormatError(.formatError, message: "Fichier illisible ou absent.") }
        let context = ReadContext(
            descriptor: descriptor, counter: counter,
            repair: repairing ? XMLRepairingSource(descriptor: descriptor, utf16: utf16) : nil)
        let unmanaged = Unmanaged.passRetained(context)
        let parseOptions = Int32(
            XML_PARSE_NONET.rawValue
                | XML_PARSE_BIG_LINES.rawValue | XML_PARSE_NOCDATA.rawValue)
        let reader = xmlReaderForIO(
            { context, buffer, length in
                guard let context, let buffer else { return -1 }
                let reading = Unmanaged<ReadContext>.fromOpaque(context).takeUnretainedValue()
                let count: Int
                if let repair = reading.repair {
                    count = buffer.withMemoryRebound(to: UInt8.self, capacity: Int(length)) { bytes in
                        repair.read(into: bytes, capacity: Int(length))
                    }
                } else {
                    count = Glibc.read(reading.descriptor, buffer, Int(length))
                }
                if count > 0 { reading.counter.value += Int64(count) }
                return Int32(count)
            },
            { context in
                guard let context else { return 0 }
                let reading = Unmanaged<ReadContext>.fromOpaque(context).takeRetainedValue()
                Glibc.close(reading.descriptor)
                return 0
            }, unmanaged.toOpaque(), path, repairing ? nil : options.encoding, parseOptions)
        guard let reader else {
            unmanaged.release()
            Glibc.close(descriptor)
            throw FormatError(.formatError, message: "Impossible d'ouvrir le fichier XML.")
        }
        xmlTextReaderSetStructuredErrorHandler(
            reader,
            { context, error in
                guard let context, let error else { return }
                Unmanaged<ErrorCollector>.fromOpaque(context).takeUnretainedValue().record(error.pointee)
            }, Unmanaged.passUnretained(collector).toOpaque())
        // Keep the collector alive as long as the reader.
        retainedCollectors.append(collector)
        return reader
    }

    private var retainedCollectors: [AnyObject] = []

    /// A first streaming pass with the XSD, like `xmllint --stream --schema`; its errors are attached to the
    /// records whose lines they fall in.
    private func validateAgainstSchema(_ schemaPath: String) throws {
        let schema = try XMLSchemaCache.schema(at: schemaPath)
        let collector = ErrorCollector()
        collector.schemaLimit = options.maxSchemaIssues
        let reader = try openReader(collector: collector, counter: ByteCounter())
        defer { xmlFreeTextReader(reader) }
        guard xmlTextReaderSetSchema(reader, schema.pointer) == 0 else {
            throw FormatError(.schemaError, message: "Le schéma XSD n'a pas pu être appliqué.")
        }
        // Start line of every top-level element, and the record index it is (-1 for a header or trailer):
        // a schema error belongs to the element whose lines it falls in, up to the next one.
        var boundaries: [(line: Int, record: Int)] = []
        var records = 0
        var status = xmlTextReaderRead(reader)
        while status == 1 {
            let type = xmlTextReaderNodeType(reader)
            if type == Int32(XML_READER_TYPE_DOCUMENT_TYPE.rawValue) {
                throw XMLSafety.doctypeRefusal(path: path)
            }
            if type == Int32(XML_READER_TYPE_ELEMENT.rawValue) && xmlTextReaderDepth(reader) == 1,
                let current = xmlTextReaderCurrentNode(reader)
            {
                let isRecord = recordName.matches(current.pointee.name)
                boundaries.append((XMLLines.line(of: current), isRecord ? records : -1))
                if isRecord { records += 1 }
            }
            status = xmlTextReaderRead(reader)
        }
        if status < 0 || collector.fatal != nil {
            throw collector.formatError(fallbackLine: Int(xmlTextReaderGetParserLineNumber(reader)))
        }
        for issue in collector.schema {
            let line = issue.line ?? 0
            // The last boundary starting at or before the error's line.
            var low = 0
            var high = boundaries.count
            while low < high {
                let middle = (low + high) / 2
                if boundaries[middle].line <= line { low = middle + 1 } else { high = middle }
            }
            if low > 0 && boundaries[low - 1].record >= 0 {
                schemaIssuesByRecord[boundaries[low - 1].record, default: []].append(issue)
            } else {
                fileIssues.append(issue)
            }
        }
        droppedSchemaIssues = collector.schemaDropped
    }

}

final class ByteCounter: @unchecked Sendable {
    var value: Int64 = 0
}

private final class ReadContext {
    let descriptor: Int32
    let counter: ByteCounter
    /// The repaired bytes to read instead of the file's, when its encoding needs repair.
    let repair: XMLRepairingSource?

    init(descriptor: Int32, counter: ByteCounter, repair: XMLRepairingSource?) {
        self.descriptor = descriptor
        self.counter = counter
        self.repair = repair
    }
}

/// Turns libxml2's structured errors into report entries.
final class ErrorCollector {
    var fatal: ValidationIssue?
    var warnings: [ValidationIssue] = []
    var schema: [ValidationIssue] = []
    var schemaLimit = 10_000
    var schemaDropped = 0

    func record(_ error: xmlError) {
        let line = error.line > 0 ? Int(error.line) : nil
        let raw = error.message.map { String(cString: $0) }?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let detail = XMLMessages.maskValues(raw.replacingOccurrences(of: "\n", with: " "))
        if error.domain == Int32(XML_FROM_SCHEMASV.rawValue) {
            guard schema.count < schemaLimit else {
                schemaDropped += 1
                return
            }
            let element = error.node.map { String(cString: $0.assumingMemoryBound(to: xmlNode.self).pointee.name) }
            schema.append(
                ValidationIssue(
                    type: .schemaError, field: element, line: line, path: element,
                    message: "Non conforme au schéma XSD : " + XMLMessages.french(schemaDetail: detail)))
            return
        }
        if error.level == XML_ERR_WARNING {
            warnings.append(
                ValidationIssue(type: .formatError, line: line, message: "Avertissement XML : \(detail)"))
            return
        }
        if fatal == nil {
            fatal = ValidationIssue(
                type: XMLMessages.isSecurity(code: error.code) ? .securityError : .formatError, line: line,
                message: XMLMessages.french(code: error.code, detail: detail, line: line))
        }
    }

    func formatError(fallbackLine: Int) -> FormatError {
        if let fatal { return FormatError(issue: fatal) }
        return FormatError(
            .formatError, line: fallbackLine, message: "Le fichier XML ne peut pas être lu (ligne \(fallbackLine)).")
    }
}

/// French wording of libxml2's errors, with any quoted value masked (it may be personal data).
enum XMLMessages {
    static func maskValues(_ message: String) -> String {
        // Schema messages quote the offending value: "The value '184…' has a length of 16".
        var result = ""
        var inValue = false
        var previous = ""
        for part in message.split(separator: "'", omittingEmptySubsequences: false) {
            if inValue {
                // Names of elements, attributes, facets and types stay; any other quoted text is a value.
                let lowered = previous.lowercased()
                let isName = ["element ", "attribute ", "facet ", "type ", "namespace "].contains {
                    lowered.hasSuffix($0)
                }
                result += isName ? "'" + part + "'" : "'***'"
            } else {
                result += part
                previous = String(part)
            }
            inValue.toggle()
        }
        return result
    }

    static func isSecurity(code: Int32) -> Bool {
        [
            XML_ERR_ENTITY_LOOP.rawValue, XML_ERR_UNDECLARED_ENTITY.rawValue,
            XML_WAR_UNDECLARED_ENTITY.rawValue, XML_ERR_EXT_ENTITY_STANDALONE.rawValue,
            XML_IO_LOAD_ERROR.rawValue, XML_ERR_ENTITY_BOUNDARY.rawValue, XML_ERR_ENTITY_IS_EXTERNAL.rawValue,
            XML_ERR_ENTITY_IS_PARAMETER.rawValue, XML_ERR_ENTITY_PE_INTERNAL.rawValue,
            XML_ERR_ENTITYREF_SEMICOL_MISSING.rawValue, XML_ERR_ENTITY_NOT_FINISHED.rawValue,
            XML_WAR_ENTITY_REDEFINED.rawValue, XML_ERR_NOT_STANDALONE.rawValue,
        ].contains(UInt32(code))
    }

    static func french(code: Int32, detail: String, line: Int?) -> String {
        let place = line.map { " (ligne \($0))" } ?? ""
        let what: String
        switch UInt32(code) {
        case XML_ERR_DOCUMENT_EMPTY.rawValue: what = "le fichier est vide"
        case XML_ERR_TAG_NAME_MISMATCH.rawValue: what = "balise fermante ne correspondant pas à la balise ouvrante"
        case XML_ERR_TAG_NOT_FINISHED.rawValue, XML_ERR_LTSLASH_REQUIRED.rawValue, XML_ERR_GT_REQUIRED.rawValue:
            what = "balise non terminée"
        case XML_ERR_DOCUMENT_END.rawValue: what = "contenu après la fin du document"
        case XML_ERR_INVALID_CHAR.rawValue, XML_ERR_INVALID_ENCODING.rawValue:
            what = "octets invalides pour l'encodage déclaré : déclarer l'encodage réel (windows-1252, ISO-8859-1)"
        case XML_ERR_UNSUPPORTED_ENCODING.rawValue: what = "encodage déclaré non pris en charge"
        case XML_ERR_UNDECLARED_ENTITY.rawValue, XML_WAR_UNDECLARED_ENTITY.rawValue:
            what = "référence à une entité non déclarée"
        case XML_ERR_ENTITY_LOOP.rawValue: what = "expansion d'entités refusée (boucle ou bombe d'entités)"
        case XML_ERR_NAME_REQUIRED.rawValue:
            what = "balise mal formée"
        case XML_ERR_ATTRIBUTE_NOT_STARTED.rawValue, XML_ERR_ATTRIBUTE_WITHOUT_VALUE.rawValue:
            what = "attribut mal formé"
        case XML_ERR_EXTRA_CONTENT.rawValue: what = "contenu après l'élément racine"
        default: what = "XML mal formé"
        }
        return "Fichier XML illisible\(place) : \(what). Détail libxml2 : \(detail)"
    }

    static func french(schemaDetail detail: String) -> String {
        if detail.contains("Missing child element") { return "élément obligatoire absent. \(detail)" }
        if detail.contains("is not expected") { return "élément inattendu à cet endroit. \(detail)" }
        if detail.contains("facet") { return "valeur hors des limites du schéma. \(detail)" }
        if detail.contains("is not a valid value") { return "valeur invalide pour son type. \(detail)" }
        return detail
    }
}

/// A compiled XSD, parsed once per path and shared by the readers.
final class XMLSchemaCache: @unchecked Sendable {
    let pointer: xmlSchemaPtr

    private init(pointer: xmlSchemaPtr) { self.pointer = pointer }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [String: XMLSchemaCache] = [:]

    static func schema(at path: String) throws(FormatError) -> XMLSchemaCache {
        lock.lock()
        defer { lock.unlock() }
        if let cached = cache[path] { return cached }
        // Read the schema ourselves: the entity loader refuses every external load, schemas included.
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FormatError(.schemaError, message: "Schéma XSD introuvable : \(path)")
        }
        let parsed: xmlSchemaPtr? = data.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress?.assumingMemoryBound(to: CChar.self),
                let context = xmlSchemaNewMemParserCtxt(base, Int32(buffer.count))
            else { return nil }
            defer { xmlSchemaFreeParserCtxt(context) }
            xmlSchemaSetParserStructuredErrors(context, { _, _ in }, nil)
            return xmlSchemaParse(context)
        }
        guard let parsed else { throw FormatError(.schemaError, message: "Schéma XSD invalide : \(path)") }
        let schema = XMLSchemaCache(pointer: parsed)
        cache[path] = schema
        return schema
    }
}

/// Process-wide libxml2 settings: no external entity is ever loaded, and nothing is printed to stderr.
enum XMLSafety {
    private static let installed: Void = {
        xmlInitParser()
        XMLWindows1252.register()
        xmlSetExternalEntityLoader { _, _, _ in nil }
        xmlThrDefSetStructuredErrorFunc(nil, { _, _ in })
        xmlThrDefSetGenericErrorFunc(nil, nil)
    }()

    /// CNAF flows never carry a document type declaration: one in the prolog is refused before libxml2 parses
    /// anything of it, so no entity is ever declared, loaded or expanded.
    static func refuseDoctype(path: String) throws(FormatError) {
        guard let line = doctypeLine(path: path) else { return }
        throw FormatError(
            .securityError, line: line,
            message:
                "Le fichier contient une déclaration DOCTYPE (DTD, entités) : elle est refusée pour raison de sécurité."
        )
    }

    static func doctypeRefusal(path: String) -> FormatError {
        FormatError(
            .securityError, line: doctypeLine(path: path),
            message:
                "Le fichier contient une déclaration DOCTYPE (DTD, entités) : elle est refusée pour raison de sécurité."
        )
    }

    /// The line of `<!DOCTYPE` in the prolog (the first 64 KiB), in any ASCII-compatible encoding.
    static func doctypeLine(path: String) -> Int? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: 65_536) else { return nil }
        let needle = Array("<!DOCTYPE".utf8)
        var line = 1
        return data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Int? in
            guard bytes.count >= needle.count else { return nil }
            for index in 0...(bytes.count - needle.count) {
                if bytes[index] == 10 { line += 1 }
                // The root element's start ends the prolog.
                if bytes[index] == UInt8(ascii: "<"), index + 1 < bytes.count,
                    bytes[index + 1] != UInt8(ascii: "?") && bytes[index + 1] != UInt8(ascii: "!")
                {
                    return nil
                }
                if bytes[index] == needle[0] && zip(needle.indices, needle).allSatisfy({ bytes[index + $0] == $1 }) {
                    return line
                }
            }
            return nil
        }
    }

    static func install() {
        _ = installed
        // The per-thread handlers: libxml2 keeps them in thread-local state.
        xmlSetStructuredErrorFunc(nil, { _, _ in })
    }
}
