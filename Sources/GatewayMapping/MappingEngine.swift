import GatewayCore
import GatewayFormats

/// Applies a flow mapping to partner records, yielding canonical fields or located, French-worded issues.
public struct MappingEngine: Sendable {
    public let flow: FlowMapping
    /// The source plans of the record mapping and of the file mapping, built once.
    private let recordPlans: RecordPlans
    private let filePlans: RecordPlans?

    public init(flow: FlowMapping) {
        self.flow = flow
        recordPlans = RecordPlans(flow.record)
        filePlans = flow.file.map(RecordPlans.init)
    }

    /// A record mapping's source plan and, by position, those of its collections.
    struct RecordPlans: Sendable {
        let fields: SourcePlan
        let collections: [RecordPlans]
        /// Per collection, the start of its elements' paths (`…/Personne[`).
        let collectionPrefixes: [String]

        init(_ record: RecordMapping) {
            fields = SourcePlan(fields: record.fields)
            collections = record.collections.map { RecordPlans($0.record) }
            collectionPrefixes = record.collections.map { "/" + $0.source.description + "[" }
        }
    }

    /// Maps one record. `path` names the record in the file (`InfosFoyerRSA[3]`, `ligne 12`).
    public func map<Node: SourceNode>(_ node: Node, path: String) -> (FieldBag, [ValidationIssue]) {
        var issues: [ValidationIssue] = []
        let bag = map(node, record: flow.record, plans: recordPlans, path: path, issues: &issues)
        return (bag, issues)
    }

    /// Maps the file-level fields from the file's sections (header, trailer).
    public func mapFile<Node: SourceNode>(_ node: Node, path: String) -> (FieldBag, [ValidationIssue]) {
        var issues: [ValidationIssue] = []
        guard let file = flow.file, let filePlans else { return (FieldBag(line: nil, path: path), []) }
        let bag = map(node, record: file, plans: filePlans, path: path, issues: &issues)
        return (bag, issues)
    }

    func map<Node: SourceNode>(
        _ node: Node, record: RecordMapping, plans: RecordPlans, path: String, issues: inout [ValidationIssue]
    ) -> FieldBag {
        var bag = FieldBag(line: node.sourceLine, path: path, capacity: record.fields.count)
        let chosenNodes = node.resolve(plans.fields)
        // Index loops: `zip` and `enumerated` over `Node` values are not specialised here.
        for position in record.fields.indices {
            let field = record.fields[position]
            var chosen = chosenNodes[position]
            var text = chosen?.leafText
            if field.occurrence == .all {
                // Every occurrence, joined: a list of codes.
                let all = node.nodes(at: field.source.steps[...])
                chosen = all.first
                let texts = all.compactMap(\.leafText).filter { !$0.isEmpty }
                text = texts.isEmpty ? nil : texts.joined(separator: " ")
            }
            let origin = FieldOrigin(line: chosen?.sourceLine ?? node.sourceLine, path: field.source.description)
            if let raw = text { text = ValueConverter.apply(field.transforms, to: raw) }
            if let value = text, !field.nullValues.isEmpty, field.nullValues.contains(value) { text = nil }
            guard let value = text, !value.isEmpty else {
                if field.required {
                    issues.append(
                        ValidationIssue(
                            type: .missingCell, field: field.spec.name, line: origin.line,
                            path: path + "/" + origin.path,
                            message: flow.format == .csv
                                ? "Valeur obligatoire absente dans la colonne « \(field.source) »."
                                : "Élément obligatoire absent ou vide : \(field.source)."))
                }
                continue
            }
            switch ValueConverter.convert(value, field: field) {
            case .success(let converted):
                bag.set(field.spec.name, converted, origin: origin)
            case .failure(let problem):
                issues.append(
                    ValidationIssue(
                        type: problem.type, field: field.spec.name, line: origin.line, path: path + "/" + origin.path,
                        value: problem.maskedValue, message: problem.message))
            }
        }
        for position in record.collections.indices {
            let collection = record.collections[position]
            var elements = node.nodes(at: collection.source.steps[...])
            if collection.isRowGroup {
                // One element per row of the group whose collection columns are not all empty.
                elements = elements.filter { row in
                    collection.record.fields.contains { field in
                        row.firstNode(at: field.source.steps[...])?.leafText?.contains { !$0.isWhitespace } == true
                    }
                }
            }
            if elements.count < collection.min {
                issues.append(
                    ValidationIssue(
                        type: .missingCell, field: collection.name, line: node.sourceLine,
                        path: path + "/" + collection.source.description,
                        message:
                            "Au moins \(collection.min) élément(s) \(collection.source) attendu(s), \(elements.count) trouvé(s)."
                    ))
            }
            if let max = collection.max, elements.count > max {
                issues.append(
                    ValidationIssue(
                        type: .structureError, field: collection.name, line: node.sourceLine,
                        path: path + "/" + collection.source.description,
                        message:
                            "Au plus \(max) élément(s) \(collection.source) attendu(s), \(elements.count) trouvé(s)."))
            }
            var children: [FieldBag] = []
            children.reserveCapacity(elements.count)
            let childPrefix = path + plans.collectionPrefixes[position]
            for offset in elements.indices {
                let element = elements[offset]
                let childPath = childPrefix + String(offset + 1) + "]"
                children.append(
                    map(
                        element, record: collection.record, plans: plans.collections[position], path: childPath,
                        issues: &issues))
            }
            bag.collections[collection.name] = children
        }
        return bag
    }
}

/// Turns raw text into canonical values: transforms, code lists, kinds, limits.
public enum ValueConverter {
    /// A decimal as partners write it, with "." for separator: an optional sign, digits, at most one "." or ","
    /// (« 12,50 », « -3 », « .5 »); nil for anything else (an exponent, « inf », hexadecimal, a second separator).
    static func decimalText(_ value: String) -> String? {
        var sawDigit = false
        var separator: UInt8?
        var first = true
        for byte in value.utf8 {
            defer { first = false }
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): sawDigit = true
            case UInt8(ascii: "+"),
                UInt8(ascii: "-") where first:
                continue
            case UInt8(ascii: "."), UInt8(ascii: ","):
                guard separator == nil else { return nil }
                separator = byte
            default: return nil
            }
        }
        guard sawDigit else { return nil }
        return separator == UInt8(ascii: ",") ? String(value.map { $0 == "," ? "." : $0 }) : value
    }

    /// `transforms` applied in order (`Transform.apply(to:)`).
    static func apply(_ transforms: [Transform], to raw: String) -> String {
        var value = raw
        for transform in transforms { value = transform.apply(to: value) }
        return value
    }

    /// Converts `raw` (already transformed) to the field's canonical kind.
    public static func convert(_ raw: String, field: FieldMapping) -> Result<CanonicalValue, IdentifierError> {
        // The spec is read in place: a copy would retain its strings for every value.
        // Personal fields are masked; so is a NIR found where it does not belong (shifted columns).
        // Only a refused value is shown, so it is masked only then.
        // At most a bounded excerpt of a refused value is kept: a megabyte cell must not become a megabyte issue.
        var shown: String {
            let masked = Masking.fieldValue(raw, personal: field.spec.personal)
            return masked.count > 60 ? masked.prefix(60) + "…" : masked
        }
        var value = raw
        if let codes = field.codes {
            guard let mapped = codes[value] ?? codes[value.uppercased()] else {
                let known = codes.keys.sorted().joined(separator: ", ")
                return .failure(
                    IdentifierError(
                        type: .constraintError,
                        message: "Valeur « \(shown) » inconnue pour \(field.source) : valeurs admises \(known).",
                        maskedValue: shown))
            }
            value = mapped
        }
        if let allowed = field.spec.allowed, !allowed.contains(value) {
            return .failure(
                IdentifierError(
                    type: .constraintError,
                    message:
                        "Valeur « \(shown) » non admise pour \(field.source) : valeurs admises \(allowed.joined(separator: ", ")).",
                    maskedValue: shown))
        }
        if let maxLength = field.spec.maxLength, value.count > maxLength {
            return .failure(
                IdentifierError(
                    type: .constraintError,
                    message:
                        "Valeur trop longue pour \(field.source) : \(value.count) caractères, \(maxLength) au plus.",
                    maskedValue: shown))
        }
        do throws(IdentifierError) {
            switch field.spec.kind {
            case .text: return .success(.text(value))
            case .date:
                for pattern in field.dateFormats {
                    if let date = LocalDate.parse(value, pattern: pattern) { return .success(.date(date)) }
                }
                let expected = field.dateFormats.map(\.french).joined(separator: " ou ")
                return .failure(
                    IdentifierError(
                        type: .typeError,
                        message: "Date invalide « \(shown) » pour \(field.source) : format attendu \(expected).",
                        maskedValue: shown))
            case .time:
                let parts = value.split(separator: ":")
                guard (2...3).contains(parts.count), parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isNumber) }),
                    let hour = Int(parts[0]), hour < 24, let minute = Int(parts[1]), minute < 60
                else {
                    return .failure(
                        IdentifierError(
                            type: .typeError,
                            message: "Heure invalide « \(shown) » pour \(field.source) : format attendu HH:MM:SS.",
                            maskedValue: shown))
                }
                return .success(.text(value))
            case .boolean:
                let upper = value.uppercased()
                if field.trueValues.contains(upper) { return .success(.boolean(true)) }
                if field.falseValues.contains(upper) { return .success(.boolean(false)) }
                return .failure(
                    IdentifierError(
                        type: .typeError,
                        message:
                            "Booléen invalide « \(shown) » pour \(field.source) : attendu \(field.trueValues.sorted().joined(separator: "/")) ou \(field.falseValues.sorted().joined(separator: "/")).",
                        maskedValue: shown))
            case .integer:
                guard let number = Int(value) else {
                    return .failure(
                        IdentifierError(
                            type: .typeError, message: "Nombre entier invalide « \(shown) » pour \(field.source).",
                            maskedValue: shown))
                }
                return .success(.integer(number))
            case .decimal:
                guard let normalised = decimalText(value) else {
                    return .failure(
                        IdentifierError(
                            type: .typeError, message: "Montant invalide « \(shown) » pour \(field.source).",
                            maskedValue: shown))
                }
                return .success(.decimal(normalised))
            case .nir: return .success(.nir(try NIR(validating: value)))
            case .matricule: return .success(.matricule(try Matricule(validating: value)))
            case .franceTravailID: return .success(.franceTravailID(try FranceTravailID(validating: value)))
            case .inseeCommune: return .success(.inseeCommune(try INSEECommune(validating: value)))
            case .postalCode: return .success(.postalCode(try PostalCode(validating: value)))
            case .rome: return .success(.rome(try ROMECode(validating: value)))
            case .siret: return .success(.siret(try SIRET(validating: value)))
            }
        } catch {
            var located = error
            located.message = "\(field.source) : " + error.message
            return .failure(located)
        }
    }
}

extension LocalDate.Pattern {
    /// The pattern as a French partner reads it.
    var french: String {
        switch self {
        case .iso: "AAAA-MM-JJ"
        case .french: "JJ/MM/AAAA"
        case .compact: "AAAAMMJJ"
        case .frenchDashes: "JJ-MM-AAAA"
        }
    }
}

extension MappingEngine {
    /// Maps the file-level fields whose path starts with `name` (a header or trailer section) into `bag`.
    public func mapSection<Node: SourceNode>(_ node: Node, name: String, into bag: FieldBag) -> (
        FieldBag, [ValidationIssue]
    ) {
        guard let file = flow.file else { return (bag, []) }
        let fields = file.fields.compactMap { field -> FieldMapping? in
            guard field.source.steps.first?.name == name else { return nil }
            var source = field.source
            source.steps.removeFirst()
            // A missing value is checked once every section has been read.
            return field.with(source: source, required: false)
        }
        guard !fields.isEmpty else { return (bag, []) }
        var issues: [ValidationIssue] = []
        let section = RecordMapping(entity: file.entity, fields: fields, collections: [])
        let sectionBag = map(node, record: section, plans: RecordPlans(section), path: name, issues: &issues)
        var merged = bag
        for (key, entry) in sectionBag.entries { merged.set(key, entry.value, origin: entry.origin) }
        return (merged, issues)
    }

    /// Issues for required file-level fields that no section provided.
    public func checkRequiredFileFields(_ bag: FieldBag) -> [ValidationIssue] {
        guard let file = flow.file else { return [] }
        return file.fields.filter { $0.required && !bag.contains($0.spec.name) }.map { field in
            ValidationIssue(
                type: .missingCell, field: field.spec.name, path: field.source.description,
                message: "Élément de fichier obligatoire absent : \(field.source).")
        }
    }
}
