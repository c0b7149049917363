/// JSON string literals, written without Foundation: the one escaping routine of the project.
public enum JSONText {
    /// `text` as a JSON string literal, quotes included.
    public static func quoted(_ text: String) -> String {
        // Most values need no escaping: one scan of the bytes, one concatenation.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) { return "\"" + text + "\"" }
        var output = "\""
        output.reserveCapacity(text.utf8.count + 2)
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
        return output + "\""
    }
}

extension CanonicalFields {
    /// Compact JSON with sorted keys: values as strings, collections as arrays of objects. Equal records give
    /// equal texts, so the store compares states as text.
    public var jsonText: String {
        var members: [(String, String)] = values.map { ($0.key, JSONText.quoted($0.value)) }
        for (name, elements) in collections {
            members.append((name, "[" + elements.map(\.jsonText).joined(separator: ",") + "]"))
        }
        members.sort { $0.0 < $1.0 }
        return "{" + members.map { JSONText.quoted($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
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
