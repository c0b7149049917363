/// Why a raw value is not a valid identifier, worded in French for the partner who must fix it.
///
/// The message never contains a full NIR: personal identifiers only appear masked, in `maskedValue`
/// and in the message alike, so an error can be logged and sent back as it is.
public struct IdentifierError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `.missingCell` for an empty value, `.typeError` for wrong characters or length,
    /// `.constraintError` for a broken rule (key, checksum, range, agreement with other fields).
    public var type: IssueType
    /// A French, actionable message, free of any full personal identifier.
    public var message: String
    /// The offending value: masked when personal (NIR, matricule, France Travail id), plain for codes.
    public var maskedValue: String?

    /// Creates an error; `maskedValue` must already be masked when the value is personal.
    public init(type: IssueType, message: String, maskedValue: String? = nil) {
        self.type = type
        self.message = message
        self.maskedValue = maskedValue
    }

    /// The message, so that interpolating an error in a log stays readable and safe.
    public var description: String { message }

    /// This error as a `ValidationIssue` located in a file.
    public func issue(field: String? = nil, line: Int? = nil, path: String? = nil) -> ValidationIssue {
        ValidationIssue(
            type: type, field: field, line: line, path: path, value: maskedValue, message: message)
    }
}

/// An identifier that can only exist in a valid, normalised form.
///
/// Conforming types encode and decode as their `canonical` string (decoding validates again),
/// so they can be stored and exchanged as plain text.
public protocol ValidatedIdentifier: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Validates and normalises `raw`: surrounding spaces are trimmed and letters upper-cased
    /// (each type documents any further leniency, such as inner separators for the NIR).
    init(validating raw: String) throws(IdentifierError)
    /// The same on UTF-8 bytes, nil instead of an error: for a reader that only needs to know whether a value is
    /// valid (the row screen), without building its text.
    init?(validUTF8 bytes: UnsafeBufferPointer<UInt8>)
    /// The normalised text stored in the database.
    var canonical: String { get }
}

extension ValidatedIdentifier {
    /// Decodes the identifier from a single string, validating it.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        do {
            try self.init(validating: raw)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    /// Encodes the identifier as its `canonical` string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(canonical)
    }

    /// By default, through the text.
    public init?(validUTF8 bytes: UnsafeBufferPointer<UInt8>) {
        guard let value = try? Self(validating: String(decoding: bytes, as: UTF8.self)) else { return nil }
        self = value
    }

    /// Validates `raw`, returning nil instead of an error (for lookups where the reason does not matter).
    public init?(_ raw: String) {
        guard let value = try? Self(validating: raw) else { return nil }
        self = value
    }
}
