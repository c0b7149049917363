/// A value read from a partner file and converted to its canonical kind.
public enum CanonicalValue: Sendable, Hashable {
    case text(String)
    case date(LocalDate)
    case boolean(Bool)
    case integer(Int)
    case decimal(String)
    case nir(NIR)
    case matricule(Matricule)
    case franceTravailID(FranceTravailID)
    case inseeCommune(INSEECommune)
    case postalCode(PostalCode)
    case rome(ROMECode)
    case siret(SIRET)

    /// The canonical text, as stored and exported.
    public var text: String {
        switch self {
        case .text(let value), .decimal(let value): value
        case .date(let value): value.iso
        case .boolean(let value): value ? "1" : "0"
        case .integer(let value): String(value)
        case .nir(let value): value.canonical
        case .matricule(let value): value.canonical
        case .franceTravailID(let value): value.canonical
        case .inseeCommune(let value): value.canonical
        case .postalCode(let value): value.canonical
        case .rome(let value): value.canonical
        case .siret(let value): value.canonical
        }
    }
}

/// Where a value came from in the partner's file: its line and its source path relative to the record.
public struct FieldOrigin: Sendable, Hashable {
    public var line: Int?
    public var path: String

    public init(line: Int?, path: String) {
        self.line = line
        self.path = path
    }
}

/// The canonical fields of one mapped record, with their origins, and its nested collections.
public struct FieldBag: Sendable {
    /// A value and where it came from.
    public struct Entry: Sendable, Hashable {
        public var value: CanonicalValue
        public var origin: FieldOrigin
    }

    /// One dictionary for values and origins: a field costs one hash, on the hot path of every record.
    public private(set) var entries: [String: Entry]
    public var collections: [String: [FieldBag]] = [:]
    /// Line where the record starts.
    public var line: Int?
    /// Path of the record in the file (`InfosFoyerRSA[3]`, `Personne[2]`).
    public var path: String

    public init(line: Int?, path: String, capacity: Int = 0) {
        self.line = line
        self.path = path
        self.entries = Dictionary(minimumCapacity: capacity)
    }

    public mutating func set(_ name: String, _ value: CanonicalValue, origin: FieldOrigin) {
        entries[name] = Entry(value: value, origin: origin)
    }

    /// The values by canonical field name.
    public var values: [String: CanonicalValue] { entries.mapValues(\.value) }

    /// The origins by canonical field name.
    public var origins: [String: FieldOrigin] { entries.mapValues(\.origin) }

    public func contains(_ name: String) -> Bool { entries[name] != nil }

    public subscript(name: String) -> CanonicalValue? { entries[name]?.value }

    public func text(_ name: String) -> String? { entries[name]?.value.text }

    public func date(_ name: String) -> LocalDate? {
        if case .date(let value)? = entries[name]?.value { return value }
        return nil
    }

    public func bool(_ name: String) -> Bool? {
        if case .boolean(let value)? = entries[name]?.value { return value }
        return nil
    }

    public func integer(_ name: String) -> Int? {
        if case .integer(let value)? = entries[name]?.value { return value }
        return nil
    }

    /// An issue located at the origin of `field` (or at the record when the field was absent).
    public func issue(
        _ type: IssueType, field: String, value: String? = nil, message: String, check: PlausibilityCheck? = nil
    ) -> ValidationIssue {
        let origin = entries[field]?.origin
        return ValidationIssue(
            type: type, field: field, line: origin?.line ?? line, path: origin.map { path + "/" + $0.path } ?? path,
            value: value, message: message, check: check)
    }
}
