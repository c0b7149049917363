import Foundation
import GatewayCore
import GatewayPipeline
import GatewayStore
import GatewayTransport
import Logging
import Mustache

/// Something the people who must act hear of by mail. What it carries is what a mail may say: counts, file names,
/// exchange ids, job post references, links into the API; never a person's name, NIR, address or record.
public struct MailEvent: Sendable, Equatable {
    /// The kinds of event, each with its template (`<raw value>.mustache`).
    public enum Kind: String, Sendable, CaseIterable {
        /// An operator's alerts file was dropped: to the operator.
        case alertsSent = "alertes-deposees"
        /// Candidates were sent for a team's open posts: to the team.
        case candidatesSent = "candidats-envoyes"
        /// An exchange failed, or some of its files did: to the data team.
        case exchangeFailed = "echange-en-echec"
        /// A partner's file was refused (unreadable, or against its schema): to the data team.
        case fileRefused = "fichier-refuse"
        /// A rejection notice was sent to a partner: to the data team.
        case noticeSent = "avis-de-rejet-envoye"
        /// A programme's CV-deposit rate is under its target: to the data team.
        case cvDepositUnderTarget = "depot-cv-sous-objectif"
    }

    public var kind: Kind
    /// Whose people get the mail: a partner's id, as in `mail.recipients`.
    public var partner: String
    /// What the mail is about, unique to the event: seen again (a run again, another gateway), it mails nothing.
    public var key: String
    /// The template's values.
    public var values: [String: String]
    /// The template's `lignes` (one per programme under target…).
    public var lines: [String] = []
    /// The API path the mail links to (`/v1/status/journal?exchange=cnaf`), when the settings give the API's address.
    public var link: String?

    public init(kind: Kind, partner: String, key: String, values: [String: String]) {
        self.kind = kind
        self.partner = partner
        self.key = key
        self.values = values
    }
}

/// Turns events into mails (French templates, swift-mustache) and hands them to the server through the store's
/// outbox: an import or a send never waits for the mail server, a mail the server did not take is tried again on
/// the next runs, and two gateways on one store send each mail once.
public struct Notifier: Sendable {
    public let settings: MailSettings
    let templates: [MailEvent.Kind: MustacheTemplate]
    let sender: any MailSender

    /// Loads every event's template from the settings' folder (the mappings' `mail/` when it names none); a template
    /// missing or not valid is a configuration problem, reported at start.
    public init(settings: MailSettings, mappings: String, environment: [String: String]) throws {
        self.settings = settings
        let folder = settings.templates ?? (mappings as NSString).appendingPathComponent("mail")
        var templates: [MailEvent.Kind: MustacheTemplate] = [:]
        var problems: [String] = []
        for kind in MailEvent.Kind.allCases {
            let path = (folder as NSString).appendingPathComponent(kind.rawValue + ".mustache")
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                problems.append("mail : modèle introuvable : \(path)")
                continue
            }
            guard Self.subjectAndBody(text) != nil else {
                problems.append("mail : \(path) : la première ligne dit l'objet (« Objet : … »), puis une ligne vide")
                continue
            }
            do {
                // Plain text: nothing is escaped as HTML.
                templates[kind] = try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + text)
            } catch {
                problems.append("mail : \(path) : modèle invalide (\(error))")
            }
        }
        guard problems.isEmpty else { throw ConfigError(problems: problems) }
        self.templates = templates
        sender = try settings.sender(environment: environment)
    }

    /// The mail of `event`, or nil when nobody is to hear of it (no addresses for its partner).
    public func compose(_ event: MailEvent) -> OutgoingMail? {
        guard let recipients = settings.recipients[event.partner], !recipients.isEmpty,
            let template = templates[event.kind]
        else { return nil }
        var context: [String: Any] = event.values
        context["lignes"] = event.lines
        if let apiURL = settings.apiURL, let link = event.link { context["lien"] = apiURL + link }
        guard let (subject, body) = Self.subjectAndBody(template.render(context)) else { return nil }
        return OutgoingMail(
            eventKey: event.kind.rawValue + ":" + event.key, event: event.kind.rawValue, recipients: recipients,
            subject: subject, body: body)
    }

    /// A rendered template's subject (its first line, after « Objet : ») and body (after the blank line).
    static func subjectAndBody(_ text: String) -> (String, String)? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).drop {
            $0.trimmingCharacters(in: .whitespaces).isEmpty
        }
        guard let first = lines.first, first.hasPrefix("Objet :") else { return nil }
        let subject = first.dropFirst("Objet :".count).trimmingCharacters(in: .whitespaces)
        let body = lines.dropFirst().drop { $0.trimmingCharacters(in: .whitespaces).isEmpty }
        return (subject, body.joined(separator: "\n"))
    }

    func message(_ mail: QueuedMail) -> MailMessage {
        MailMessage(
            from: settings.from, to: mail.recipients, subject: mail.subject, body: mail.body,
            date: Date(), messageID: "\(UUID().uuidString.lowercased())@insertion-gateway")
    }
}

/// What one delivery of the outbox did.
public struct MailDelivery: Sendable, Equatable {
    public var sent = 0
    /// Failed attempts, the mails tried again later.
    public var failed = 0
    /// Mails that failed their last attempt.
    public var abandoned = 0

    public init(sent: Int = 0, failed: Int = 0, abandoned: Int = 0) {
        self.sent = sent
        self.failed = failed
        self.abandoned = abandoned
    }
}

extension ExchangeRunner {
    /// Mails the data team that a file pushed through the API on `flow` was refused (`serve` hands this to the API).
    public func fileRefusedThroughAPI(
        flow: String, partner: String, file: String, outcome: FileOutcome, sha256: String
    ) {
        notify(.fileRefused(pushedOn: flow, partner: partner, file: file, outcome: outcome, sha256: sha256), logger)
    }

    /// The journal's name for the deliveries of the outbox (not an exchange id: those have no parentheses).
    public static let mailJournal = "(courriels)"

    /// Puts the mail of `event` in the outbox. A failure here is logged, never thrown: a mail never stops an
    /// import or a send.
    func notify(_ event: MailEvent, _ log: Logger) {
        guard let notifier, let mail = notifier.compose(event) else { return }
        do {
            if try store.mail.enqueue(mail, at: Date()) {
                log.info("mail queued", metadata: ["event": "\(event.kind.rawValue)"])
            }
        } catch {
            log.error("mail not queued", metadata: ["event": "\(event.kind.rawValue)", "error": "\(error)"])
        }
    }

    /// Hands the due mails of the outbox to the server, each attempt journaled under a run of its own
    /// (`(courriels)`); nothing is journaled when no mail is due. A server that does not answer stops the delivery:
    /// the other mails wait for the next one.
    @discardableResult
    public func deliverMails() -> MailDelivery {
        var delivery = MailDelivery()
        guard let notifier else { return delivery }
        var log = logger
        log[metadataKey: "exchange"] = "\(Self.mailJournal)"
        let instance = owner.description
        var runID: Int64?
        let started = Date()
        var attempts = 0
        do {
            while !stop.isSet {
                let now = Date()
                guard let mail = try store.mail.claimDue(instance: instance, at: now, lease: 300, limit: 1).first
                else { break }
                if runID == nil {
                    try store.exchanges.markInterruptedRuns(isGone: GatewayOwner.isGone)
                    runID = try store.exchanges.startRun(exchange: Self.mailJournal, direction: .out, owner: instance)
                }
                attempts += 1
                var transfer = ExchangeTransfer(
                    runID: runID!, exchange: Self.mailJournal, direction: .out, name: "\(mail.event) #\(mail.id)",
                    outcome: .sent)
                transfer.movedTo = notifier.sender.label
                transfer.attempts = mail.attempts
                let begun = Date()
                var transient = false
                do {
                    try notifier.sender.send(notifier.message(mail))
                    try store.mail.markSent(id: mail.id, instance: instance, at: Date())
                    delivery.sent += 1
                } catch {
                    let message = Self.describe(error)
                    transient = (error as? TransportError)?.isTransient ?? false
                    let retries = notifier.settings.retries
                    let retryAt =
                        mail.attempts < retries.attempts
                        ? now.addingTimeInterval(retries.delay(beforeAttempt: mail.attempts + 1)) : nil
                    try store.mail.markFailed(id: mail.id, instance: instance, error: message, retryAt: retryAt)
                    transfer.outcome = .failed
                    transfer.message = message
                    if retryAt == nil { delivery.abandoned += 1 } else { delivery.failed += 1 }
                    log.error(
                        retryAt == nil ? "mail abandoned" : "mail not sent, tried again later",
                        metadata: ["event": "\(mail.event)", "attempt": "\(mail.attempts)", "error": "\(message)"])
                }
                transfer.durationMS = Int(Date().timeIntervalSince(begun) * 1000)
                try store.exchanges.recordTransfer(transfer)
                if transient { break }
            }
        } catch {
            log.error("mail delivery stopped", metadata: ["error": "\(Self.describe(error))"])
        }
        metrics?.mails(sent: delivery.sent, failed: delivery.failed, abandoned: delivery.abandoned)
        if let runID {
            let outcome: RunOutcome =
                delivery.failed + delivery.abandoned == 0 ? .succeeded : delivery.sent > 0 ? .partial : .failed
            try? store.exchanges.finishRun(
                id: runID, outcome: outcome, attempts: attempts, files: attempts, bytes: 0,
                durationMS: Int(Date().timeIntervalSince(started) * 1000),
                message:
                    "courriels : \(delivery.sent) envoyé(s), \(delivery.failed) à retenter, \(delivery.abandoned) abandonné(s)"
            )
            log.info(
                "mail delivered",
                metadata: [
                    "sent": "\(delivery.sent)", "failed": "\(delivery.failed)", "abandoned": "\(delivery.abandoned)",
                ])
        }
        return delivery
    }
}

extension MailEvent {
    /// To the data team: the exchange failed, or some of its files did.
    static func exchangeFailed(_ summary: ExchangeSummary, runID: Int64) -> MailEvent {
        var event = MailEvent(
            kind: .exchangeFailed, partner: ExchangeRunner.dataTeam, key: String(runID),
            values: [
                "echange": summary.exchange, "resultat": summary.outcome == .failed ? "en échec" : "en partie en échec",
                "fichiers_en_echec": String(summary.failed), "message": String((summary.message ?? "").prefix(300)),
            ])
        event.link = "/v1/status/journal?exchange=\(summary.exchange)"
        return event
    }

    /// To the data team: a partner's file was refused, fetched by an exchange.
    static func fileRefused(exchange: Exchange, file: String, outcome: FileOutcome, sha256: String) -> MailEvent {
        fileRefused(
            key: "\(exchange.id):\(sha256)", how: ["echange": exchange.id],
            partner: exchange.partner ?? exchange.flow, file: file, outcome: outcome)
    }

    /// To the data team: a file a partner pushed through the API was refused.
    static func fileRefused(pushedOn flow: String, partner: String, file: String, outcome: FileOutcome, sha256: String)
        -> MailEvent
    {
        fileRefused(
            key: "api:\(partner):\(sha256)", how: ["flux_api": flow], partner: partner, file: file, outcome: outcome)
    }

    /// The refused file's event; `how` says how it came (the template's `echange` or `flux_api`).
    private static func fileRefused(
        key: String, how: [String: String], partner: String, file: String, outcome: FileOutcome
    ) -> MailEvent {
        var event = MailEvent(
            kind: .fileRefused, partner: ExchangeRunner.dataTeam, key: key,
            values: how.merging(
                [
                    "partenaire": partner, "fichier": file,
                    "motif": outcome == .unreadable ? "illisible" : "non conforme au schéma du partenaire",
                ], uniquingKeysWith: { first, _ in first }))
        event.link = "/v1/status/files"
        return event
    }

    /// To the data team: a rejection notice went to a partner.
    static func noticeSent(exchange: Exchange, written: Outbound.Written, sent: ExchangeTransfer) -> MailEvent {
        var event = MailEvent(
            kind: .noticeSent, partner: ExchangeRunner.dataTeam,
            key: "\(exchange.id):\(written.partner)/\(sent.name):\(sent.sha256 ?? "")",
            values: ["echange": exchange.id, "partenaire": written.partner, "fichier": sent.name])
        event.link = "/v1/partners/\(written.partner)/rejections"
        return event
    }

    /// What an outbound exchange's file, sent now, tells its recipients: the operator its alerts, the team its
    /// candidates, the data team a notice; the reports and the CV check say nothing by themselves.
    static func sent(
        _ kind: OutboundKind, exchange: Exchange, written: Outbound.Written, sent: ExchangeTransfer
    ) -> MailEvent? {
        let eventKind: Kind
        switch kind {
        case .operatorAlerts: eventKind = .alertsSent
        case .candidates: eventKind = .candidatesSent
        case .rejectionNotices: return noticeSent(exchange: exchange, written: written, sent: sent)
        case .reports, .cvDepositCheck: return nil
        }
        var event = MailEvent(
            kind: eventKind, partner: written.partner,
            key: "\(exchange.id):\(written.partner)/\(sent.name):\(sent.sha256 ?? "")",
            values: [
                "echange": exchange.id, "partenaire": written.partner, "fichier": sent.name,
                "nombre": String(written.records),
            ])
        event.link = "/v1/partners/\(written.partner)/outbox"
        return event
    }

    /// To the data team: programmes whose CV-deposit rate is under target, one line each (counts only).
    static func cvDepositUnderTarget(exchange: Exchange, day: LocalDate, shortfalls: [String]) -> MailEvent {
        var event = MailEvent(
            kind: .cvDepositUnderTarget, partner: ExchangeRunner.dataTeam,
            key: "\(exchange.id):\(day.formatted(.iso))",
            values: ["echange": exchange.id, "jour": day.formatted(.french)])
        event.lines = shortfalls
        event.link = "/v1/reports/cv-deposit"
        return event
    }
}
