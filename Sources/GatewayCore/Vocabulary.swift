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

/// What asking for a scheduled exchange to run now (outside its schedule) gives.
public enum ExchangeStart: Sendable, Equatable {
    /// Started on its own thread; the journal tells how it ends.
    case started
    /// No exchange of the schedule has this id.
    case unknown
    /// It runs already (its schedule, or someone else's request).
    case alreadyRunning
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
public enum TransferOutcome: Sendable, Hashable, Codable, RawRepresentable, CustomStringConvertible {
    /// A received file, imported or refused: the ledger's word for it.
    case received(FileOutcome)
    /// An output written to the partner's side.
    case sent
    /// An output the journal already records as sent: not sent again.
    case alreadySent
    /// An output whose name the partner's side already holds with the same content: counted as sent.
    case alreadyThere
    /// Quarantined records of the file applied again by `reprocess`.
    case reprocessed
    /// The transfer or the import failed (the file stays where it was, for the next run).
    case failed

    /// Every outcome, in the order the journal documents them.
    public static let allCases: [TransferOutcome] =
        FileOutcome.allCases.map(received) + [.sent, .alreadySent, .alreadyThere, .reprocessed, .failed]

    public init?(rawValue: String) {
        if let file = FileOutcome(rawValue: rawValue) {
            self = .received(file)
        } else if let own = Self.allCases.first(where: { $0.rawValue == rawValue }) {
            self = own
        } else {
            return nil
        }
    }

    public var rawValue: String {
        // A switch, not a search: equality of a raw-representable type compares raw values.
        switch self {
        case .received(let file): file.rawValue
        case .sent: "sent"
        case .alreadySent: "already-sent"
        case .alreadyThere: "already-there"
        case .reprocessed: "reprocessed"
        case .failed: "failed"
        }
    }

    public var description: String { rawValue }
}

/// Which way a flow, and an exchange of it, goes.
public enum FlowDirection: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    public var description: String { rawValue }

    /// Files taken from a partner and imported.
    case `in`
    /// Files generated and sent to partners.
    case out
}

/// Which way a run of the journal goes: an exchange's direction, or a replay of what the store already holds.
public enum RunDirection: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    public var description: String { rawValue }

    case `in`
    case out
    /// Records or files of the store applied again (`reprocess`, `import --retry`).
    case replay

    public init(_ flow: FlowDirection) {
        switch flow {
        case .in: self = .in
        case .out: self = .out
        }
    }
}

/// What an API key may do: `admin`, `flow:<flow>:in` (push to an inbound flow), `flow:<flow>:out` (pull an outbound
/// flow's files).
public enum APIScope: Sendable, Hashable, Comparable, Codable, RawRepresentable, CustomStringConvertible {
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

    /// Coded (JSON) as keys store it, through `RawRepresentable` as the other words are.
    public init?(rawValue: String) { self.init(rawValue) }

    public var rawValue: String { description }

    public var description: String {
        switch self {
        case .admin: "admin"
        case .push(let flow): "flow:\(flow):in"
        case .pull(let flow): "flow:\(flow):out"
        }
    }

    /// The flow a `push` or `pull` scope opens, and which way; nil for `admin`.
    public var flow: (id: String, direction: FlowDirection)? {
        switch self {
        case .admin: nil
        case .push(let flow): (flow, .in)
        case .pull(let flow): (flow, .out)
        }
    }

    public static func < (lhs: APIScope, rhs: APIScope) -> Bool { lhs.description < rhs.description }
}

/// What an audit entry names (its `subject_kind`): the kind of thing accessed, never the person's data itself.
public enum AuditSubject: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    public var description: String { rawValue }

    case route, file, quarantine, outbox, report, store, person, key, partner
    /// A staff member's console account.
    case account
    case outboxFile = "outbox-file"
    /// A kind this version does not know (written by a later one): shown as `?`, never a reason to fail.
    case unrecognised = "?"
}
