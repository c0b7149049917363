import Foundation

/// A mail to the people who must act, as the gateway composed it: counts, file names and links, never a record's
/// content.
public struct OutgoingMail: Sendable, Equatable {
    /// What the mail is about (`file-refused:cnaf:<sha256>`): an event mails once, however often it is seen.
    public var eventKey: String
    /// The kind of event (`file-refused`), for the journal and the counts.
    public var event: String
    public var recipients: [String]
    public var subject: String
    public var body: String

    public init(eventKey: String, event: String, recipients: [String], subject: String, body: String) {
        self.eventKey = eventKey
        self.event = event
        self.recipients = recipients
        self.subject = subject
        self.body = body
    }
}

/// A mail of the outbox, with where its delivery stands.
public struct QueuedMail: Sendable, Equatable, Codable {
    public enum State: String, Sendable, Codable {
        case pending, sending, sent, abandoned
    }

    public var id: Int64
    public var eventKey: String
    public var event: String
    public var recipients: [String]
    public var subject: String
    public var body: String
    public var createdAt: String
    public var state: State
    public var attempts: Int
    public var nextAttemptAt: String
    public var sentAt: String?
    public var lastError: String?
}

/// The mails waiting for their server, shared by every gateway instance on the store: a mail is enqueued once per
/// event, claimed by one instance for a lease while it is handed to the server, then marked sent; a failed attempt
/// waits for its next time, and a mail that failed every attempt is abandoned (and stays listed).
public protocol MailRepository: Sendable {
    /// True when the mail is new; the same event enqueued again does nothing.
    @discardableResult func enqueue(_ mail: OutgoingMail, at now: Date) throws -> Bool
    /// The mails due at `now` (at most `limit`), now held by `instance` for `lease` seconds.
    func claimDue(instance: String, at now: Date, lease: TimeInterval, limit: Int) throws -> [QueuedMail]
    func markSent(id: Int64, instance: String, at now: Date) throws
    /// A failed attempt: tried again at `retryAt`, or abandoned when nil.
    func markFailed(id: Int64, instance: String, error: String, retryAt: Date?) throws
    /// The mails, newest first; only those in `states` when given.
    func mails(states: Set<QueuedMail.State>?, limit: Int) throws -> [QueuedMail]
    /// How many mails are in each state.
    func counts() throws -> [QueuedMail.State: Int]
}

/// The outbox in SQL, over the store's database.
public struct SQLMailRepository: MailRepository {
    let database: any StoreDatabase

    public init(database: any StoreDatabase) {
        self.database = database
    }

    public func enqueue(_ mail: OutgoingMail, at now: Date) throws -> Bool {
        try database.write { db in
            try db.execute(
                """
                INSERT INTO mail_outbox (event_key, event, recipients, subject, body, created_at, next_attempt_at)
                VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_key) DO NOTHING
                """,
                [
                    mail.eventKey, mail.event, mail.recipients.joined(separator: "\n"), mail.subject, mail.body,
                    Journal.stamp(now), Journal.stamp(now),
                ]) > 0
        }
    }

    public func claimDue(instance: String, at now: Date, lease: TimeInterval, limit: Int) throws -> [QueuedMail] {
        // As the shared work items: one writer on SQLite, the picked rows locked and skipped by the others on
        // PostgreSQL. A mail left `sending` by an instance that died is due again once its lease ran out.
        let stamp = Journal.stamp(now)
        return try database.write { db in
            try db.fetchAll(
                """
                UPDATE mail_outbox SET state = 'sending', claimed_by = ?, claimed_until = ?, attempts = attempts + 1
                WHERE id IN (SELECT id FROM mail_outbox
                    WHERE (state = 'pending' AND next_attempt_at <= ?) OR (state = 'sending' AND claimed_until < ?)
                    ORDER BY id LIMIT ?\(db.dialect.skipLocked))
                RETURNING *
                """, [instance, Journal.stamp(now.addingTimeInterval(lease)), stamp, stamp, limit]
            ).map(Self.mail).sorted { $0.id < $1.id }
        }
    }

    public func markSent(id: Int64, instance: String, at now: Date) throws {
        try database.write { db in
            try db.execute(
                """
                UPDATE mail_outbox SET state = 'sent', sent_at = ?, claimed_by = NULL, claimed_until = NULL,
                    last_error = NULL
                WHERE id = ? AND state = 'sending' AND claimed_by = ?
                """, [Journal.stamp(now), id, instance])
        }
    }

    public func markFailed(id: Int64, instance: String, error: String, retryAt: Date?) throws {
        try database.write { db in
            try db.execute(
                """
                UPDATE mail_outbox SET state = ?, next_attempt_at = COALESCE(?, next_attempt_at), last_error = ?,
                    claimed_by = NULL, claimed_until = NULL
                WHERE id = ? AND state = 'sending' AND claimed_by = ?
                """,
                [
                    retryAt == nil ? QueuedMail.State.abandoned.rawValue : QueuedMail.State.pending.rawValue,
                    retryAt.map(Journal.stamp), String(error.prefix(500)), id, instance,
                ])
        }
    }

    public func mails(states: Set<QueuedMail.State>?, limit: Int) throws -> [QueuedMail] {
        try database.read { db in
            var sql = "SELECT * FROM mail_outbox"
            var arguments: SQLArguments = []
            if let states, !states.isEmpty {
                sql += " WHERE state IN (" + states.map { _ in "?" }.joined(separator: ", ") + ")"
                for state in states.map(\.rawValue).sorted() { arguments.append(state) }
            }
            arguments.append(limit)
            return try db.fetchAll(sql + " ORDER BY id DESC LIMIT ?", arguments).map(Self.mail)
        }
    }

    public func counts() throws -> [QueuedMail.State: Int] {
        try database.read { db in
            var counts: [QueuedMail.State: Int] = [:]
            for row in try db.fetchAll("SELECT state, COUNT(*) AS n FROM mail_outbox GROUP BY state") {
                let state: String = row["state"]
                if let known = QueuedMail.State(rawValue: state) { counts[known] = row["n"] }
            }
            return counts
        }
    }

    static func mail(_ row: SQLRow) -> QueuedMail {
        let recipients: String = row["recipients"]
        let state: String = row["state"]
        return QueuedMail(
            id: row["id"], eventKey: row["event_key"], event: row["event"],
            recipients: recipients.split(separator: "\n").map(String.init), subject: row["subject"],
            body: row["body"], createdAt: row["created_at"], state: QueuedMail.State(rawValue: state) ?? .pending,
            attempts: row["attempts"], nextAttemptAt: row["next_attempt_at"], sentAt: row["sent_at"],
            lastError: row["last_error"])
    }
}
