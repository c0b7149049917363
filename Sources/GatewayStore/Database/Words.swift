import GatewayCore

/// A word of Core's vocabulary, stored as its text: bound as it, read back through it. A stored word this version
/// does not know reads as NULL would (the store writes only the words it knows).
public protocol SQLWord: SQLBindable, SQLDecodable, RawRepresentable where RawValue == String {}

extension SQLWord {
    public var sqlValue: SQLValue { .text(rawValue) }
    public static func decode(_ value: SQLValue) -> Self? { String.decode(value).flatMap(Self.init(rawValue:)) }
}

extension FileOutcome: SQLWord {}
extension RunOutcome: SQLWord {}
extension TransferOutcome: SQLWord {}
extension RunDirection: SQLWord {}
extension AuditSubject: SQLWord {}
