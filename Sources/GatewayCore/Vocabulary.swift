/// The words the gateway's parts exchange about files, runs and access, spelled once. Their raw values are what
/// the store, the journal, the API and the JSON reports write: never change one, add a case.

/// What became of a received file, as the ledger records it and the reports say it.
public enum FileOutcome: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    public var description: String { rawValue }

    /// Read and applied in one transaction (some of its records may be quarantined).
    case applied
    /// The ledger already held the same content from the same partner: nothing changed. A report's answer only,
    /// never stored.
    case alreadyReceived = "already-received"
    /// Readable but refused as a whole (a declared count that does not reconcile): kept aside, nothing applied.
    case rejected
    /// Not readable at all (malformed, undecodable, forbidden construct): kept aside, nothing applied.
    case unreadable
}

/// How a run of the journal (a scheduled exchange, a reprocessing, a retry) ended.
public enum RunOutcome: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    public var description: String { rawValue }

    /// Under way, or its gateway died before it finished (then marked `interrupted` at the next start).
    case running
    case succeeded
    /// Some of its files or records went through, others failed or were quarantined.
    case partial
    case failed
    /// Its gateway stopped before it finished.
    case interrupted
    /// Nothing to do: another gateway holds the exchange, or nothing was due.
    case skipped

    /// Its French word, for the CLI's lines.
    public var french: String {
        switch self {
        case .running: "en cours"
        case .succeeded: "réussi"
        case .partial: "en partie"
        case .failed: "en échec"
        case .interrupted: "interrompu"
        case .skipped: "déjà en cours ailleurs"
        }
    }
}

/// What became of one file of a run, as the journal records it: a received file's outcome, or a transfer's.
public enum TransferOutcome: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    public var description: String { rawValue }

    case applied
    case alreadyReceived = "already-received"
    case rejected
    case unreadable
    /// An output written to the partner's side.
    case sent
    /// An output the journal already records as sent: not sent again.
    case alreadySent = "already-sent"
    /// An output whose name the partner's side already holds with the same content: counted as sent.
    case alreadyThere = "already-there"
    /// Quarantined records of the file applied again by `reprocess`.
    case reprocessed
    /// The transfer or the import failed (the file stays where it was, for the next run).
    case failed

    public init(_ file: FileOutcome) {
        switch file {
        case .applied: self = .applied
        case .alreadyReceived: self = .alreadyReceived
        case .rejected: self = .rejected
        case .unreadable: self = .unreadable
        }
    }
}

/// Which way an exchange, and a run of the journal, goes.
public enum RunDirection: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    public var description: String { rawValue }

    /// Files taken from a partner and imported.
    case `in`
    /// Files generated and sent to partners.
    case out
    /// Records or files of the store applied again (`reprocess`, `import --retry`).
    case replay
}

/// What an API key may do: `admin`, `flow:<flow>:in` (push to an inbound flow), `flow:<flow>:out` (pull an outbound
/// flow's files).
public enum APIScope: Sendable, Hashable, Comparable, CustomStringConvertible {
    case admin
    case push(flow: String)
    case pull(flow: String)

    /// Reads a scope as keys store it; nil for anything else.
    public init?(_ text: some StringProtocol) {
        if text == "admin" {
            self = .admin
            return
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "flow", !parts[1].isEmpty else { return nil }
        switch parts[2] {
        case "in": self = .push(flow: String(parts[1]))
        case "out": self = .pull(flow: String(parts[1]))
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .admin: "admin"
        case .push(let flow): "flow:\(flow):in"
        case .pull(let flow): "flow:\(flow):out"
        }
    }

    public static func < (lhs: APIScope, rhs: APIScope) -> Bool { lhs.description < rhs.description }
}

/// What an audit entry names (its `subject_kind`): the kind of thing accessed, never the person's data itself.
public enum AuditSubject: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    public var description: String { rawValue }

    case route, file, quarantine, outbox, report, store, person, key, partner
    case outboxFile = "outbox-file"
}
