/// The kind of a validation error, named after Frictionless Data's error types so partners' tools recognise them.
public enum IssueType: String, Sendable, Codable, CaseIterable {
    /// A required value is absent or empty.
    case missingCell = "missing-cell"
    /// A required column is absent from a file's header.
    case missingLabel = "missing-label"
    /// A value cannot be read as its type (date, number, boolean).
    case typeError = "type-error"
    /// A value has its type but breaks a rule (identifier key, code list, length, agreement between fields).
    case constraintError = "constraint-error"
    /// A business key appears twice with different content.
    case uniqueError = "unique-error"
    /// A record's structure is wrong (row with too many or too few cells, an element out of place).
    case structureError = "structure-error"
    /// A file-level count does not agree with the records read.
    case reconciliationError = "reconciliation-error"
    /// The XML schema (XSD) refused part of the file.
    case schemaError = "schema-error"
    /// The file cannot be parsed (malformed, wrong encoding, forbidden construct).
    case formatError = "format-error"
    /// The file is refused for safety (DTD, external entity, entity expansion).
    case securityError = "security-error"
}

/// One problem found in a file or a record, worded for the partner who must fix it.
///
/// `value` is already masked when the field holds personal data: an issue can be logged and sent back.
public struct ValidationIssue: Sendable, Codable, Hashable {
    public var type: IssueType
    /// The canonical field (or source column) concerned, when there is one.
    public var field: String?
    /// Physical line in the file (1-based), when known.
    public var line: Int?
    /// Element path for XML (`InfosFoyerRSA/Personne[2]/Identification/NIR`), column name for CSV.
    public var path: String?
    /// The offending value, masked when personal.
    public var value: String?
    /// A French message a partner can act on.
    public var message: String
    /// The plausibility check that found it (`PlausibilityCheck`), when the issue is one of the gateway's own
    /// checks rather than a breach of the partner's format; nil otherwise.
    public var check: String?

    public init(
        type: IssueType, field: String? = nil, line: Int? = nil, path: String? = nil, value: String? = nil,
        message: String, check: PlausibilityCheck? = nil
    ) {
        self.type = type
        self.field = field
        self.line = line
        self.path = path
        self.value = value
        self.message = message
        self.check = check?.rawValue
    }
}

/// An issue as shown outside the gateway — to the user, in reports, notices and the API, to the partner: its type,
/// field, place, masked value and French message. Stored with quarantined records and refused files.
public struct ReportedIssue: Sendable, Codable, Equatable {
    public var type: String
    public var field: String?
    public var line: Int?
    public var path: String?
    public var value: String?
    public var message: String
    /// The number of the record (1-based, as in the notices and the API) the issue belongs to; nil for the file, and
    /// in a record's own list of issues.
    public var record: Int?
    /// The plausibility check that found it, for an anomaly or a check set to reject; nil for a breach of format.
    public var check: String?

    /// `index` is the record's 0-based position in its file, as the readers count; nil for the file or when the
    /// issue stays with its record.
    public init(_ issue: ValidationIssue, record index: Int? = nil) {
        self.type = issue.type.rawValue
        self.field = issue.field
        self.line = issue.line
        self.path = issue.path
        self.value = issue.value
        self.message = issue.message
        self.record = index.map { $0 + 1 }
        self.check = issue.check
    }
}
