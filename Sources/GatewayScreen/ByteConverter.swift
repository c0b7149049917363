import GatewayCore
import GatewayMapping

/// The byte converters of the row screen: a value converted from its bytes as `ValueConverter.convert` converts its
/// text, for the kinds where that can be done without a `String`.
extension ValueConverter {
    /// `convert` on the UTF-8 bytes of a value (already transformed) for a field whose values can be converted from
    /// their bytes: identifiers, dates and integers with no code list and no length limit. What it needs of the
    /// field is taken out once, so that a row's cells are converted without touching the field mapping's references.
    public struct ByteConverter: Sendable {
        let kind: FieldKind
        /// The field's date formats, in order (at most four: a field with more goes through its text). Held in the
        /// value rather than in a list: a converter holds no reference, so calling it from a list of slots retains
        /// nothing.
        let dateFormats: (LocalDate.Pattern?, LocalDate.Pattern?, LocalDate.Pattern?, LocalDate.Pattern?)
        /// Where the field's allowed values are in the `AllowedValues` the converter was made with, when it has a
        /// list. The converter stays a few bytes: one held in a list is called without being copied out first.
        let allowed: Range<Int32>?

        /// A converter that converts nothing (`convert` gives nil), for fields whose values go through their text.
        public static let none = ByteConverter(kind: .text)

        /// Whether it converts values (it is not `none`).
        public var converts: Bool { kind != .text }

        /// Whether it trims and upper-cases its values itself, as the `trim` and `upper` transforms would: the
        /// identifiers, which all read their value through `RawText.withNormalised` (white space around dropped, ASCII
        /// letters upper-cased, any other character kept as one that no identifier accepts). A value it accepts
        /// from a cell then equals the one it gives from the cell once trimmed and upper-cased. Not with a list of
        /// allowed values, which is compared with the cell before conversion.
        public var normalisesLikeTrimAndUpper: Bool {
            guard allowed == nil else { return false }
            switch kind {
            case .nir, .matricule, .franceTravailID, .inseeCommune, .postalCode, .rome, .siret: return true
            case .date, .integer, .text, .time, .boolean, .decimal: return false
            }
        }

        /// Whether `other` converts every value as this one does.
        func convertsAlike(_ other: ByteConverter) -> Bool {
            kind == other.kind && allowed == other.allowed && dateFormats.0 == other.dateFormats.0
                && dateFormats.1 == other.dateFormats.1 && dateFormats.2 == other.dateFormats.2
                && dateFormats.3 == other.dateFormats.3
        }

        private init(kind: FieldKind) {
            self.kind = kind
            dateFormats = (nil, nil, nil, nil)
            allowed = nil
        }

        /// nil when the field's values must go through their text (code lists, a length limit, kinds read from
        /// text, more than four date formats, allowed values `AllowedValues` cannot hold). Its allowed values, if
        /// any, are added to `allowedValues`, which `convert` is then given.
        public init?(_ field: FieldMapping, allowedValues: inout AllowedValues) {
            guard field.codes == nil, field.spec.maxLength == nil, field.dateFormats.count <= 4 else { return nil }
            switch field.spec.kind {
            case .nir, .matricule, .franceTravailID, .inseeCommune, .postalCode, .rome, .siret, .date, .integer: break
            case .text, .time, .boolean, .decimal: return nil
            }
            if let list = field.spec.allowed {
                guard let allowed = allowedValues.add(list) else { return nil }
                self.allowed = allowed
            } else {
                allowed = nil
            }
            kind = field.spec.kind
            let formats = field.dateFormats.map { Optional($0) } + [nil, nil, nil, nil]
            dateFormats = (formats[0], formats[1], formats[2], formats[3])
        }

        /// The value, or nil when `convert` refuses it (which then says why). `allowedValues` holds the entries of
        /// the `AllowedValues` the converter was made with.
        public func convert(
            _ value: UnsafeBufferPointer<UInt8>, allowedValues: UnsafeBufferPointer<AllowedValues.Entry>
        ) -> CanonicalValue? {
            if let allowed,
                !AllowedValues.contains(
                    value,
                    UnsafeBufferPointer(rebasing: allowedValues[Int(allowed.lowerBound)..<Int(allowed.upperBound)]))
            {
                return nil
            }
            switch kind {
            case .nir: return NIR(validUTF8: value).map(CanonicalValue.nir)
            case .matricule: return Matricule(validUTF8: value).map(CanonicalValue.matricule)
            case .franceTravailID: return FranceTravailID(validUTF8: value).map(CanonicalValue.franceTravailID)
            case .inseeCommune: return INSEECommune(validUTF8: value).map(CanonicalValue.inseeCommune)
            case .postalCode: return PostalCode(validUTF8: value).map(CanonicalValue.postalCode)
            case .rome: return ROMECode(validUTF8: value).map(CanonicalValue.rome)
            case .siret: return SIRET(validUTF8: value).map(CanonicalValue.siret)
            case .date:
                guard let first = dateFormats.0 else { return nil }
                if let date = LocalDate.parse(bytes: value, pattern: first) { return .date(date) }
                for pattern in [dateFormats.1, dateFormats.2, dateFormats.3] {
                    guard let pattern else { break }
                    if let date = LocalDate.parse(bytes: value, pattern: pattern) { return .date(date) }
                }
                return nil
            case .integer:
                // Digits only, as `Int(_:)` reads them; a sign or a long number goes through the text.
                if (1...18).contains(value.count), !value.contains(where: { $0 < 0x30 || $0 > 0x39 }) {
                    return .integer(value.reduce(0) { $0 * 10 + Int($1 - 0x30) })
                }
                return Int(String(decoding: value, as: UTF8.self)).map(CanonicalValue.integer)
            case .text, .time, .boolean, .decimal:
                return nil
            }
        }
    }

    /// The allowed values of several fields in one list, to test a cell's bytes against: each field's list is a
    /// range of it, and holds at most 64 values of at most 8 bytes each (`category`'s 1 to 8).
    public struct AllowedValues: Sendable {
        /// One value: its bytes in one word (the first in the lowest byte) and its length.
        public struct Entry: Sendable, Equatable {
            let word: UInt64
            let count: Int
        }

        public private(set) var entries: [Entry] = []

        public init() {}

        /// Adds `list` and gives where it is, or nil when a value is longer than 8 bytes or the list longer than 64.
        mutating func add(_ list: [String]) -> Range<Int32>? {
            guard list.count <= 64, list.allSatisfy({ $0.utf8.count <= 8 }) else { return nil }
            let start = Int32(entries.count)
            for value in list { entries.append(Entry(word: Self.word(Array(value.utf8)), count: value.utf8.count)) }
            return start..<Int32(entries.count)
        }

        private static func word(_ bytes: some Collection<UInt8>) -> UInt64 {
            var word: UInt64 = 0
            for (index, byte) in bytes.enumerated() { word |= UInt64(byte) << UInt64(8 * index) }
            return word
        }

        /// Whether `value` is one of `list`.
        static func contains(_ value: UnsafeBufferPointer<UInt8>, _ list: UnsafeBufferPointer<Entry>) -> Bool {
            guard value.count <= 8 else { return false }
            let word = Self.word(value)
            return list.contains { $0.word == word && $0.count == value.count }
        }
    }
}
