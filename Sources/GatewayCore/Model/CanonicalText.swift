/// JSON string literals, written without Foundation: the one escaping routine of the project.
public enum JSONText {
    /// `text` as a JSON string literal, quotes included.
    public static func quoted(_ text: String) -> String {
        var output = ""
        append(text, to: &output)
        return output
    }

    /// Appends `text` as a JSON string literal, quotes included.
    public static func append(_ text: String, to output: inout String) {
        output += "\""
        // Most values need no escaping: one scan of the bytes, one append.
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else {
            output += text
            output += "\""
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{0}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}

extension CanonicalFields {
    /// Compact JSON with sorted keys: values as strings, collections as arrays of objects. Equal records give
    /// equal texts, so the store compares states as text.
    public var jsonText: String {
        var output = ""
        output.reserveCapacity(32 * (values.count + 1))
        append(to: &output)
        return output
    }

    /// Appends the compact JSON text, written in place (one string for the whole record).
    func append(to output: inout String) {
        // Values and collections each in name order, merged (a value before a collection of the same name).
        let members = values.sorted { $0.key < $1.key }
        let lists = collections.sorted { $0.key < $1.key }
        var (member, list) = (0, 0)
        output += "{"
        while member < members.count || list < lists.count {
            if member + list > 0 { output += "," }
            if list == lists.count || (member < members.count && !(lists[list].key < members[member].key)) {
                JSONText.append(members[member].key, to: &output)
                output += ":"
                JSONText.append(members[member].value, to: &output)
                member += 1
            } else {
                JSONText.append(lists[list].key, to: &output)
                output += ":["
                for (index, element) in lists[list].value.enumerated() {
                    if index > 0 { output += "," }
                    element.append(to: &output)
                }
                output += "]"
                list += 1
            }
        }
        output += "}"
    }
}

extension CanonicalValue {
    /// A canonical text (as `text` gives it) read back as a value of `kind`.
    public init?(canonical text: String, kind: FieldKind) {
        switch kind {
        case .text, .time: self = .text(text)
        case .decimal: self = .decimal(text)
        case .date:
            guard let date = LocalDate(iso: text) else { return nil }
            self = .date(date)
        case .boolean: self = .boolean(text == "1")
        case .integer:
            guard let number = Int(text) else { return nil }
            self = .integer(number)
        case .nir: guard let value = try? NIR(validating: text) else { return nil }; self = .nir(value)
        case .matricule:
            guard let value = try? Matricule(validating: text) else { return nil }
            self = .matricule(value)
        case .franceTravailID:
            guard let value = try? FranceTravailID(validating: text) else { return nil }
            self = .franceTravailID(value)
        case .inseeCommune:
            guard let value = try? INSEECommune(validating: text) else { return nil }
            self = .inseeCommune(value)
        case .postalCode:
            guard let value = try? PostalCode(validating: text) else { return nil }
            self = .postalCode(value)
        case .rome: guard let value = try? ROMECode(validating: text) else { return nil }; self = .rome(value)
        case .siret: guard let value = try? SIRET(validating: text) else { return nil }; self = .siret(value)
        }
    }
}

extension FieldBag {
    /// A bag of canonical texts read back through the catalogue's kinds (what the store keeps).
    public init(canonical fields: CanonicalFields, entity: EntitySpec) {
        self.init(line: nil, path: "")
        for (name, text) in fields.values {
            guard let spec = entity.field(name), let value = CanonicalValue(canonical: text, kind: spec.kind)
            else { continue }
            set(name, value, origin: FieldOrigin(line: nil, path: name))
        }
        for (name, elements) in fields.collections {
            guard let child = entity.collections[name] else { continue }
            collections[name] = elements.map { FieldBag(canonical: $0, entity: child) }
        }
    }
}

extension PartnerRecord {
    /// The record from its canonical fields, through the same builder as the partners' files.
    public init?(entity: String, canonical fields: CanonicalFields) {
        guard let spec = Catalogue.entity(named: entity),
            case .success(let record) = RecordBuilder.partnerRecord(
                entity: entity, from: FieldBag(canonical: fields, entity: spec))
        else { return nil }
        self = record
    }
}

extension CanonicalFields {
    /// Reads back what `jsonText` wrote (an object of strings and arrays of such objects); nil for anything else.
    /// A small parser over the bytes: the store reads every accompaniment through it.
    public init?(jsonText: String) {
        var text = jsonText
        let parsed = text.withUTF8 { bytes -> CanonicalFields? in
            var parser = CanonicalParser(bytes: bytes)
            guard let fields = parser.object() else { return nil }
            parser.skipSpaces()
            return parser.position == bytes.count ? fields : nil
        }
        guard let parsed else { return nil }
        self = parsed
    }
}

private struct CanonicalParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func skipSpaces() {
        while position < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[position]) { position += 1 }
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        skipSpaces()
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    mutating func object() -> CanonicalFields? {
        guard consume(0x7B) else { return nil }  // {
        var fields = CanonicalFields()
        if consume(0x7D) { return fields }  // }
        repeat {
            guard let key = string(), consume(0x3A) else { return nil }  // :
            skipSpaces()
            guard position < bytes.count else { return nil }
            if bytes[position] == 0x22 {
                guard let value = string() else { return nil }
                fields.values[key] = value
            } else if consume(0x5B) {  // [
                var elements: [CanonicalFields] = []
                if !consume(0x5D) {
                    repeat {
                        guard let element = object() else { return nil }
                        elements.append(element)
                    } while consume(0x2C)
                    guard consume(0x5D) else { return nil }
                }
                fields.collections[key] = elements
            } else {
                return nil
            }
        } while consume(0x2C)  // ,
        return consume(0x7D) ? fields : nil
    }

    mutating func string() -> String? {
        guard consume(0x22) else { return nil }
        let start = position
        // Fast path: no escape before the closing quote.
        while position < bytes.count, bytes[position] != 0x22, bytes[position] != 0x5C { position += 1 }
        guard position < bytes.count else { return nil }
        if bytes[position] == 0x22 {
            defer { position += 1 }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        }
        var out = Array(bytes[start..<position])
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case 0x22: return String(decoding: out, as: UTF8.self)
            case 0x5C:
                guard position < bytes.count else { return nil }
                let escaped = bytes[position]
                position += 1
                switch escaped {
                case 0x6E: out.append(0x0A)
                case 0x72: out.append(0x0D)
                case 0x74: out.append(0x09)
                case 0x75:  // \uXXXX (only control characters are written this way)
                    guard position + 4 <= bytes.count,
                        let code = UInt32(
                            String(
                                decoding: UnsafeBufferPointer(rebasing: bytes[position..<position + 4]), as: UTF8.self),
                            radix: 16), let scalar = Unicode.Scalar(code)
                    else { return nil }
                    position += 4
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: out.append(escaped)
                }
            default: out.append(byte)
            }
        }
        return nil
    }
}
