import Foundation
import GatewayCore
import GatewayFormats
import GatewayMapping

/// What a file looks like from its first bytes, before a reader is chosen: empty, not text, or XML, JSON or CSV
/// text (in UTF-8, a single-byte encoding or UTF-16 with its byte order mark). Its messages say what the file is,
/// so that an empty file is called empty and random bytes are not called bad XML.
struct FileLook {
    var format: FileFormat
    /// The head of the file as text (UTF-16 decoded), for the header of a CSV file.
    var head: String

    /// Looks at the first 4 KiB of `path`; throws a `FormatError` that says what the file is when it is empty or
    /// not text.
    static func of(_ path: String) throws(FormatError) -> FileLook {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw FormatError(.formatError, message: "Fichier illisible ou absent.")
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: 4096)) ?? Data()
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            bytes.removeFirst(3)
        } else if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            let little = bytes[0] == 0xFF
            var units: [UInt16] = []
            var index = 2
            while index + 1 < bytes.count {
                units.append(
                    little
                        ? UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8
                        : UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]))
                index += 2
            }
            bytes = Array(String(decoding: units, as: UTF16.self).utf8)
        }
        let blank: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        guard let first = bytes.first(where: { !blank.contains($0) }) else {
            throw FormatError(
                .formatError, line: 1, message: "Le fichier est vide : il ne contient aucun enregistrement.")
        }
        // Text may hold a stray control character in a cell (the record says so); a NUL, or control characters
        // making more than 2 % of the head, mean bytes that are not text.
        let controls = bytes.filter { $0 < 0x20 && !blank.contains($0) && $0 != 0x0C && $0 != 0x0B }
        if controls.contains(0) || controls.count * 50 > bytes.count {
            if TextDecoding.looksLikeUTF16WithoutMark(bytes) {
                throw FormatError(
                    .formatError, line: 1,
                    message:
                        "Le fichier semble encodé en UTF-16 sans marque d'ordre d'octets : l'enregistrer en UTF-8 (ou en UTF-16 avec sa marque)."
                )
            }
            throw FormatError(
                .formatError, line: 1,
                message:
                    "Le fichier n'est pas un fichier texte (octets de contrôle ou binaires dès le début) : ni XML, ni CSV, ni JSON."
            )
        }
        let format: FileFormat
        switch first {
        case UInt8(ascii: "<"): format = .xml
        case UInt8(ascii: "["), UInt8(ascii: "{"): format = .json
        default: format = .csv
        }
        return FileLook(format: format, head: String(decoding: bytes, as: UTF8.self))
    }

    /// Whether the file is XML with none of `layouts`' record elements in a head that holds a few elements.
    func isOtherXML(than layouts: [FlowMapping]) -> Bool {
        guard format == .xml else { return false }
        let elements = layouts.filter { $0.format == .xml }.compactMap(\.recordElement)
        guard !elements.isEmpty, head.components(separatedBy: "<").count > 4 else { return false }
        return !elements.contains { head.contains("<" + $0 + ">") || head.contains("<" + $0 + " ") }
    }

    /// The flows among `flows` that would take a file that looks like this one: same format and, for CSV, every
    /// required column in the first line; for XML, the record element in the head.
    func takers(among flows: [FlowMapping]) -> [String] {
        let firstLine = head.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return flows.flatMap { [$0] + $0.variants }.filter { layout in
            // Inbound flows only: an emitter's layout takes nothing in.
            guard layout.format == format, Catalogue.outboundEntities[layout.record.entity.name] == nil else {
                return false
            }
            switch format {
            case .csv:
                let separator = layout.delimiter.map { Character(Unicode.Scalar($0)) } ?? ";"
                let columns = Set(
                    firstLine.split(separator: separator).map {
                        $0.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\""))).lowercased()
                    })
                let required = layout.requiredColumns.map { $0.lowercased() }
                return !required.isEmpty && required.allSatisfy(columns.contains)
            case .xml: return layout.recordElement.map { head.contains("<" + $0) } ?? false
            case .json:
                // The keys of its required fields in the first record.
                let keys = layout.record.fields.filter(\.required).compactMap { $0.source.steps.first?.name }
                return !keys.isEmpty && keys.allSatisfy { head.contains("\"" + $0 + "\"") }
            }
        }.map(\.id).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
    }
}
