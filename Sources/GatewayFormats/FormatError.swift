import GatewayCore

/// A file, or a part of it, that a reader cannot read: malformed bytes, a missing header column, a forbidden
/// construct. It carries the report entry (French message, line) so callers never print a raw parser message.
public struct FormatError: Error, Sendable, CustomStringConvertible {
    public var issue: ValidationIssue

    public init(issue: ValidationIssue) { self.issue = issue }

    public init(_ type: IssueType = .formatError, line: Int? = nil, field: String? = nil, message: String) {
        self.issue = ValidationIssue(type: type, field: field, line: line, message: message)
    }

    public var description: String {
        if let line = issue.line { return "ligne \(line) : \(issue.message)" }
        return issue.message
    }
}
