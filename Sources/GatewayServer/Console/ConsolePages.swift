import Foundation
import GatewayCore
import GatewayMapping
import GatewayPipeline
import GatewayReports
import GatewayStore
import Hummingbird
import NIOCore

/// The console's pages: each reads the store through the API's repositories and acts through the same library
/// functions as the CLI (`Replayer.reprocess`, `.retry`, `.resolve`).
extension GatewayAPI {
    // MARK: Overview

    func overviewPage(_ call: ConsoleCall) async throws -> Response {
        let (repositories, programmes, structures) = (repositories, programmes, structures)
        let today = Self.today()
        let since = today.adding(days: -7).iso
        let data = try await offload { () -> PageData in
            let runs = try repositories.exchanges.journal(since: since, exchange: nil)
            var lastRun: [String: ExchangeRunEntry] = [:]
            for run in runs where run.direction != .replay { lastRun[run.exchange] = run }
            let exchanges = lastRun.keys.sorted().map { id -> [String: Any] in
                let run = lastRun[id]!
                return [
                    "exchange": id, "outcome": Self.runOutcome(run.outcome), "bad": run.outcome == .failed,
                    "at": Self.shownTime(run.finishedAt ?? run.startedAt), "files": run.files,
                    "href": "/console/exchanges?exchange=" + Self.queryValue(id),
                ]
            }
            let files = try repositories.ledger.receivedFiles()
            let refused = files.filter { $0.outcome != .applied }.suffix(10).reversed().map(Self.fileRow)
            let open = try repositories.ledger.quarantineCounts().filter { $0.status == "open" }
            let quarantine = open.map {
                [
                    "partner": $0.partner, "flow": $0.flow, "count": $0.count,
                    "href":
                        "/console/quarantine?status=open&partner=\(Self.queryValue($0.partner))&flow=\(Self.queryValue($0.flow))",
                ] as [String: Any]
            }
            let cases = try repositories.partnerRecords.followedCases()
            let cv = CVDepositReport.compute(cases, programmes: programmes, asOf: today)
            let cvUnder = cv.byStructure.filter { !$0.isComplete }.map(Self.cvRow)
            let findings = RuleChecks.findings(cases, programmes: programmes, structures: structures, asOf: today)
            let critical = findings.filter { $0.severity == .critical }
            return [
                "exchanges": exchanges, "refused": Array(refused), "refusedCount": refused.count,
                "quarantine": quarantine,
                "quarantineTotal": open.reduce(0) { $0 + $1.count }, "cvUnder": cvUnder, "critical": critical.count,
                "criticalAlert": !critical.isEmpty,
                "criticalRows": critical.prefix(10).map(Self.findingRow),
            ]
        }
        return try page(call, "overview", title: "Vue d’ensemble", data.fields)
    }

    // MARK: Files

    func filesPage(_ call: ConsoleCall) async throws -> Response {
        let query = call.query
        let from = try Self.day(query, "from")
        let to = try Self.day(query, "to")
        let outcome = query["outcome"]
        if let outcome, FileOutcome(rawValue: outcome) == nil {
            throw ConsoleError.badRequest("Issue inconnue : \(Self.printable(outcome)).")
        }
        let ledger = repositories.ledger
        let all = try await offload { try ledger.receivedFiles() }
        let matching = all.filter { file in
            (query["partner"].map { file.partner == $0 } ?? true) && (query["flow"].map { file.flow == $0 } ?? true)
                && (outcome.map { file.outcome.rawValue == $0 } ?? true)
                && (from.map { String(file.receivedAt.prefix(10)) >= $0.iso } ?? true)
                && (to.map { String(file.receivedAt.prefix(10)) <= $0.iso } ?? true)
        }
        let shown = matching.suffix(200).reversed().map(Self.fileRow)
        return try page(
            call, "files", title: "Fichiers reçus",
            [
                "files": Array(shown), "count": matching.count, "truncated": matching.count > shown.count,
                "partners": Self.options(all.map(\.partner), selected: query["partner"]),
                "flows": Self.options(all.map(\.flow), selected: query["flow"]),
                "outcomes": Self.options(
                    FileOutcome.allCases.filter { $0 != .alreadyReceived }.map(\.rawValue),
                    selected: outcome),
                "from": from?.iso ?? "", "to": to?.iso ?? "",
            ])
    }

    func filePage(_ call: ConsoleCall) async throws -> Response {
        let id = try number(call)
        let repositories = repositories
        let data = try await offload { () -> PageData? in
            guard let file = try repositories.ledger.receivedFile(id: id) else { return nil }
            let quarantine = try repositories.ledger.quarantineEntries(
                QuarantineQuery(filter: QuarantineFilter(fileID: id), limit: 500))
            let anomalies = try repositories.ledger.recordAnomalies(fileID: id).prefix(500).map { anomaly in
                [
                    "record": anomaly.record.map(String.init) ?? "fichier", "check": anomaly.check,
                    "field": anomaly.issue.field ?? "", "message": anomaly.issue.message,
                ] as [String: Any]
            }
            let attempts = try repositories.ledger.fileAttempts(fileID: id).map { attempt in
                [
                    "attempt": attempt.attempt, "at": Self.shownTime(attempt.at), "actor": attempt.actor,
                    "outcome": Self.fileOutcome(attempt.outcome),
                ] as [String: Any]
            }
            // Replays are the journal's `reprocess` and `retry` runs: only those are read.
            let replayRuns = try ["reprocess", "retry"].flatMap {
                try repositories.exchanges.journal(since: nil, exchange: $0)
            }.sorted { $0.id < $1.id }
            let replays = replayRuns.flatMap { run in
                run.transfers.filter { $0.fileID == id }.map { transfer in
                    [
                        "run": run.id, "exchange": run.exchange, "at": Self.shownTime(transfer.at),
                        "owner": run.owner, "records": transfer.records ?? 0, "accepted": transfer.accepted ?? 0,
                        "quarantined": transfer.quarantined ?? 0,
                    ] as [String: Any]
                }
            }
            return [
                "file": Self.fileRow(file), "issues": file.issues.prefix(50).map(Self.issueRow),
                "quarantine": quarantine.map(Self.quarantineRow), "anomalies": Array(anomalies),
                "attempts": attempts, "replays": replays, "retryable": file.outcome != .applied,
                "hasNotice": !quarantine.isEmpty || file.outcome != .applied,
            ]
        }
        guard let data else { throw ConsoleError.notFound("Fichier n° \(id) inconnu du registre.") }
        return try page(call, "file", title: "Fichier n° \(id)", data.fields)
    }

    func retryFile(_ call: ConsoleCall) async throws -> Response {
        let id = try number(call)
        let (repositories, logger) = (repositories, logger)
        let flows = try currentFlows()
        guard let file = try await offload({ try repositories.ledger.receivedFile(id: id) }) else {
            throw ConsoleError.notFound("Fichier n° \(id) inconnu du registre.")
        }
        guard file.outcome != .applied else {
            throw ReplayError("Le fichier n° \(id) est déjà appliqué : jamais deux fois.")
        }
        let actor = call.actor
        let report = try await offload {
            try repositories.replayer(flows: flows, logger: logger).retry(fileID: id, actor: actor)
        }
        return done(
            call,
            "Nouvelle tentative du fichier n° \(id) : \(Self.fileOutcome(report.outcome)), "
                + "\(report.counts.accepted) accepté(s), \(report.counts.quarantined) en quarantaine.",
            then: "/console/files/\(id)")
    }

    // MARK: Quarantine

    func quarantinePage(_ call: ConsoleCall) async throws -> Response {
        let query = call.query
        let status = query["status"] ?? "open"
        guard ["open", "waiting", "reprocessed", "resolved", "all"].contains(status) else {
            throw ConsoleError.badRequest("Statut inconnu : \(Self.printable(status)).")
        }
        let filter = QuarantineFilter(
            fileID: query["file"].flatMap { Int64($0) }, flow: query["flow"], partner: query["partner"],
            type: query["type"])
        let since = try Self.day(query, "since")
        let ledger = repositories.ledger
        let (entries, counts) = try await offload {
            (
                try ledger.quarantineEntries(
                    QuarantineQuery(filter: filter, status: status == "all" ? nil : status, since: since, limit: 500)),
                try ledger.quarantineCounts()
            )
        }
        // The error types offered are those of the records listed (reading every record's issues for them would
        // read the whole quarantine), and the one chosen.
        let types = entries.flatMap { $0.issues.map { $0.check ?? $0.type } } + (filter.type.map { [$0] } ?? [])
        return try page(
            call, "quarantine", title: "Quarantaine",
            [
                "entries": entries.map(Self.quarantineRow), "count": entries.count, "truncated": entries.count >= 500,
                "partners": Self.options(counts.map(\.partner), selected: filter.partner),
                "flows": Self.options(counts.map(\.flow), selected: filter.flow),
                "types": Self.options(types, selected: filter.type),
                "statuses": ["open", "waiting", "reprocessed", "resolved", "all"].map { value in
                    ["value": value, "label": Self.quarantineStatus(value), "selected": value == status]
                        as [String: Any]
                },
                "since": since?.iso ?? "", "filterPartner": filter.partner ?? "", "filterFlow": filter.flow ?? "",
                "filterType": filter.type ?? "", "filterFile": filter.fileID.map(String.init) ?? "",
                "bulk": (status == "open" || status == "waiting") && !entries.isEmpty, "status": status,
            ])
    }

    func recordPage(_ call: ConsoleCall, revealed: Bool) async throws -> Response {
        let id = try number(call)
        let ledger = repositories.ledger
        let found = try await offload { () -> (QuarantineEntry, QuarantinedRecord)? in
            guard
                let entry = try ledger.quarantineEntries(QuarantineQuery(filter: QuarantineFilter(record: id)))
                    .first, let record = try ledger.quarantinedRecord(id: id)
            else { return nil }
            return (entry, record)
        }
        guard let (entry, record) = found else {
            throw ConsoleError.notFound("Enregistrement n° \(id) inconnu de la quarantaine.")
        }
        var row = Self.quarantineRow(entry)
        row["issues"] = entry.issues.map(Self.issueRow)
        // A CSV record column by column, each value masked unless revealed; the header is the file's, not a person's.
        let columns = record.header.flatMap { RawMasking.columns(header: $0, record: record.raw) } ?? []
        let flagged = Set(entry.issues.compactMap(\.path).map { String($0.split(separator: "/").last ?? "") })
        return try page(
            call, "record", title: "Quarantaine n° \(id)",
            [
                "entry": row, "header": record.header as Any,
                "raw": revealed ? record.raw : RawMasking.mask(record.raw), "revealed": revealed,
                "columns": columns.map { column in
                    [
                        "name": column.name, "value": revealed ? column.value : RawMasking.value(column.value),
                        "flagged": flagged.contains(column.name),
                    ] as [String: Any]
                },
                "actionable": entry.status == "open" || entry.status == "waiting",
            ])
    }

    func revealRecord(_ call: ConsoleCall) async throws -> Response {
        let id = try number(call)
        guard let purpose = call.form["purpose"] else {
            throw ConsoleError.badRequest("Dire pourquoi l'enregistrement brut est affiché (motif requis).")
        }
        // The page is made first (an unknown record is not found), then the access audited.
        let page = try await recordPage(call, revealed: true)
        await consoleAudit(
            actor: call.actor, action: "reveal-raw", subjectKind: .quarantine, subject: "record:\(id)",
            purpose: Self.maskedPurpose(purpose), status: 200)
        return page
    }

    func reprocessRecord(_ call: ConsoleCall) async throws -> Response {
        let id = try number(call)
        let report = try await reprocess(QuarantineFilter(record: id), call)
        let message =
            report.applied > 0
            ? "Enregistrement n° \(id) repris et appliqué (journal n° \(report.runID))."
            : "Enregistrement n° \(id) repris, toujours refusé : "
                + (report.errors.first?.message ?? "voir ses erreurs") + " (journal n° \(report.runID))."
        return done(call, message, then: "/console/quarantine/\(id)")
    }

    func reprocessFilter(_ call: ConsoleCall) async throws -> Response {
        let form = call.form
        let filter = QuarantineFilter(
            fileID: form["file"].flatMap { Int64($0) }, flow: form["flow"], partner: form["partner"],
            type: form["type"], waitingOnly: form["status"] == "waiting")
        let report = try await reprocess(filter, call)
        return done(
            call,
            "Reprise (\(filter)) : \(report.records) enregistrement(s), \(report.applied) appliqué(s), "
                + "\(report.quarantined) toujours en quarantaine, \(report.waiting) en attente (journal n° \(report.runID)).",
            then: "/console/quarantine")
    }

    /// `Replayer.reprocess` with the mappings as they are on disk now (a mapping fixed since the server started
    /// is used).
    func reprocess(_ filter: QuarantineFilter, _ call: ConsoleCall) async throws -> ReplayReport {
        let flows = try currentFlows()
        let (repositories, logger, actor) = (repositories, logger, call.actor)
        return try await offload {
            try repositories.replayer(flows: flows, logger: logger).reprocess(filter, actor: actor)
        }
    }

    func resolveRecord(_ call: ConsoleCall) async throws -> Response {
        let id = try number(call)
        guard let reason = call.form["reason"] else {
            throw ConsoleError.badRequest("Une raison est requise pour clore un enregistrement à la main.")
        }
        let (repositories, logger, actor) = (repositories, logger, call.actor)
        try await offload {
            try repositories.replayer(flows: [:], logger: logger).resolve(id: id, reason: reason, actor: actor)
        }
        return done(call, "Enregistrement n° \(id) clos à la main.", then: "/console/quarantine/\(id)")
    }

    // MARK: Exchanges

    func exchangesPage(_ call: ConsoleCall) async throws -> Response {
        let exchange = call.query["exchange"]
        let exchanges = repositories.exchanges
        let runs = try await offload {
            Array(try exchanges.journal(since: nil, exchange: exchange).suffix(100).reversed())
        }
        let rows = runs.map { run -> [String: Any] in
            [
                "id": run.id, "exchange": run.exchange, "direction": run.direction.rawValue, "owner": run.owner,
                "started": Self.shownTime(run.startedAt), "outcome": Self.runOutcome(run.outcome),
                "bad": run.outcome == .failed || run.outcome == .interrupted, "files": run.files,
                "message": run.message ?? "", "hasTransfers": !run.transfers.isEmpty,
                "transfers": run.transfers.map { transfer in
                    [
                        "name": transfer.name, "outcome": transfer.outcome.description,
                        "fileHref": transfer.fileID.map { "/console/files/\($0)" } as Any,
                        "records": transfer.records.map(String.init) ?? "", "message": transfer.message ?? "",
                    ] as [String: Any]
                },
            ]
        }
        // The exchanges of the scheduler of this process (`serve`), each with its last outcome.
        let scheduler = schedulerHealth?()
        let scheduled = (scheduler?.exchanges ?? []).map { state -> [String: Any] in
            [
                "id": state.id, "outcome": state.outcome.flatMap(RunOutcome.init(rawValue:)).map(Self.runOutcome) ?? "",
                "bad": state.outcome == RunOutcome.failed.rawValue || state.outcome == RunOutcome.partial.rawValue,
                "finished": state.finishedAt.map(Self.shownTime) ?? "",
                "running": scheduler?.running.contains(state.id) ?? false,
                "href": "/console/exchanges?exchange=" + Self.queryValue(state.id),
            ]
        }
        return try page(
            call, "exchanges", title: "Échanges",
            [
                "runs": rows, "exchange": exchange ?? "", "count": rows.count, "scheduled": scheduled,
                "canRun": runExchangeNow != nil,
            ])
    }

    func runExchange(_ call: ConsoleCall) async throws -> Response {
        guard let id = call.context.parameters.get("exchange"), let runExchangeNow else {
            throw ConsoleError.notFound("Aucun calendrier d'échanges dans ce processus (commande serve).")
        }
        let answer = runExchangeNow(id)
        await consoleAudit(
            actor: call.actor, action: "run-exchange", subjectKind: .route, subject: "exchange:\(Self.printable(id))",
            purpose: "échange relancé à la main", status: answer == .started ? 303 : 409)
        switch answer {
        case .started:
            return done(
                call, "Échange « \(id) » lancé : son issue apparaîtra au journal ci-dessous.",
                then: "/console/exchanges?exchange=" + Self.queryValue(id))
        case .alreadyRunning:
            throw ConsoleError(status: .conflict, message: "L'échange « \(id) » est déjà en cours.")
        case .unknown:
            throw ConsoleError.notFound("Échange inconnu : \(Self.printable(id)).")
        }
    }

    // MARK: API keys

    /// The partners' keys (prefix, partner, scopes: never a key), and the key just made, shown this once.
    func keysPage(_ call: ConsoleCall, created: (key: String, record: APIKeyRecord)?) async throws -> Response {
        let access = repositories.access
        let keys = try await offload { try access.apiKeys() }
        return try page(
            call, "keys", title: "Clés d’API des partenaires",
            [
                "keys": keys.reversed().map { key in
                    [
                        "id": key.keyID, "partner": key.partner,
                        "scopes": key.scopes.map(\.description).joined(separator: " "), "label": key.label ?? "",
                        "created": Self.shownTime(key.createdAt), "revoked": key.revokedAt.map(Self.shownTime) ?? "",
                        "active": key.revokedAt == nil,
                    ] as [String: Any]
                },
                "created": created.map { ["key": $0.key, "id": $0.record.keyID, "partner": $0.record.partner] }
                    as Any,
                "flows": flows.keys.sorted().map { id in
                    ["id": id, "direction": Self.isOutbound(flows[id]!) ? "out" : "in"]
                },
            ])
    }

    func addKey(_ call: ConsoleCall) async throws -> Response {
        guard let partner = call.form["partner"], let scopes = call.form["scopes"] else {
            throw ConsoleError.badRequest("Partenaire et portées sont requis.")
        }
        let (flows, access, actor, label) = (flows, repositories.access, call.actor, call.form["label"])
        let created: (key: String, record: APIKeyRecord)
        do {
            created = try await offload {
                try APIKeys.create(
                    partner: partner, scopes: scopes.split(whereSeparator: \.isWhitespace).map(String.init),
                    label: label, flows: flows, actor: actor, access: access)
            }
        } catch let problem as APIKeys.Problem {
            throw ConsoleError.badRequest(problem.description)
        }
        return try await keysPage(call, created: created)
    }

    func revokeKey(_ call: ConsoleCall) async throws -> Response {
        guard let keyID = call.context.parameters.get("key") else { throw ConsoleError.notFound("Clé inconnue.") }
        let (access, actor) = (repositories.access, call.actor)
        guard try await offload({ try APIKeys.revoke(keyID: keyID, actor: actor, access: access) }) else {
            throw ConsoleError.notFound("Aucune clé active « \(Self.printable(keyID)) ».")
        }
        return done(call, "Clé \(keyID) révoquée.", then: "/console/keys")
    }

    // MARK: Audit

    func auditPage(_ call: ConsoleCall) async throws -> Response {
        let access = repositories.access
        let actor = call.query["actor"]
        let action = call.query["action"]
        // The log is read oldest first: from a day (30 days back unless said), then the newest shown.
        let since = try Self.day(call.query, "since") ?? Self.today().adding(days: -30)
        let entries = try await offload { try access.auditLog(since: since.iso, partner: nil, limit: 1_000_000) }
        let shown = entries.reversed().filter { entry in
            (actor.map { entry.actor.contains($0) } ?? true) && (action.map { entry.action == $0 } ?? true)
        }.prefix(300)
        return try page(
            call, "audit", title: "Journal d'audit",
            [
                "entries": shown.map { entry in
                    [
                        "at": Self.shownTime(entry.at), "actor": entry.actor, "partner": entry.partner ?? "",
                        "action": entry.action, "subject": "\(entry.subjectKind.rawValue) \(entry.subject)",
                        "purpose": entry.purpose, "status": entry.status.map(String.init) ?? "",
                    ] as [String: Any]
                },
                "actor": actor ?? "", "action": action ?? "", "since": since.iso,
                "actions": Self.options(entries.map(\.action), selected: action),
            ])
    }

    // MARK: People

    func peoplePage(_ call: ConsoleCall) async throws -> Response {
        guard let wanted = call.query["q"] else {
            return try page(call, "people", title: "Personnes", ["searched": false, "people": [Any]()])
        }
        let people = repositories.people
        let found = try await offload {
            try people.findPeople(wanted).prefix(50).compactMap { try people.person($0) }
        }
        // A search by a full identifier reads personal data: audited, the identifier masked.
        let shownQuery = Masking.looksLikeNIR(wanted) ? Masking.nir(wanted) : Masking.identifier(wanted)
        await consoleAudit(
            actor: call.actor, action: "search-person", subjectKind: .person, subject: shownQuery,
            purpose: "recherche d'une personne (\(found.count) trouvée(s))", status: 200)
        return try page(
            call, "people", title: "Personnes",
            [
                "searched": true, "query": shownQuery, "people": found.map(Self.personRow), "count": found.count,
            ])
    }

    func personPage(_ call: ConsoleCall) async throws -> Response {
        let id = try number(call)
        let people = repositories.people
        guard
            let (person, changes) = try await offload({ () -> (PersonView, [PersonStatusChange])? in
                guard let person = try people.person(id) else { return nil }
                return (person, try people.statusChanges(personID: id))
            })
        else {
            throw ConsoleError.notFound("Personne n° \(id) inconnue.")
        }
        await consoleAudit(
            actor: call.actor, action: "read-person", subjectKind: .person, subject: "person:\(id)",
            purpose: "fiche d'une personne", status: 200)
        var row = Self.personRow(person)
        row["facts"] = person.facts.map { fact in
            [
                "partner": fact.partner, "flow": fact.flow, "file": fact.file,
                "fileHref": "/console/files/\(fact.fileID)",
                "kind": fact.kind, "matchedBy": fact.matchedBy ?? "",
                "detail": fact.detail.keys.sorted().map { key in
                    ["key": key, "value": Self.maskedDetail(kind: fact.kind, key, fact.detail[key] ?? "")]
                },
            ] as [String: Any]
        }
        row["hasChanges"] = !changes.isEmpty
        row["changes"] = changes.map { item in
            [
                "kind": item.change.kind, "date": item.change.effectiveDate ?? "", "before": item.change.before ?? "",
                "after": item.change.after ?? "", "motive": item.change.motive ?? "",
                "role": item.change.personRole ?? "",
                "file": item.file, "fileHref": "/console/files/\(item.fileID)",
            ]
        }
        row["hasAnomalies"] = !person.anomalies.isEmpty
        row["anomalies"] = person.anomalies.map { anomaly in
            [
                "check": anomaly.check, "file": anomaly.file, "fileHref": "/console/files/\(anomaly.fileID)",
                "message": anomaly.issue.message,
            ]
        }
        return try page(call, "person", title: "Personne n° \(id)", ["person": row])
    }

    func exportPerson(_ call: ConsoleCall) async throws -> Response {
        let id = try number(call)
        guard let purpose = call.form["purpose"] else {
            throw ConsoleError.badRequest("Dire pourquoi la personne est exportée (motif requis).")
        }
        let people = repositories.people
        guard let data = try await offload({ try people.personExport(id) }) else {
            throw ConsoleError.notFound("Personne n° \(id) inconnue.")
        }
        await consoleAudit(
            actor: call.actor, action: "people-export", subjectKind: .person, subject: "person:\(id)",
            purpose: Self.maskedPurpose(purpose), status: 200)
        return Response(
            status: .ok,
            headers: [
                .contentType: "application/json", .cacheControl: "no-store",
                .contentDisposition: "attachment; filename=\"personne-\(id).json\"",
            ], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    // MARK: Reports

    func reportsPage(_ call: ConsoleCall) async throws -> Response {
        let asOf = try Self.day(call.query, "as-of") ?? Self.today()
        let from = try Self.day(call.query, "from") ?? Self.dashboardStart(asOf)
        guard from <= asOf else { throw ConsoleError.badRequest("La période doit commencer avant sa fin.") }
        let (repositories, programmes, structures) = (repositories, programmes, structures)
        let data = try await offload { () -> PageData in
            let cases = try repositories.partnerRecords.followedCases()
            let indicators = Indicators.compute(
                cases, programmes: programmes, structures: structures, from: from, to: asOf)
            let cv = CVDepositReport.compute(cases, programmes: programmes, asOf: asOf)
            let findings = RuleChecks.findings(cases, programmes: programmes, structures: structures, asOf: asOf)
            let severities = Finding.Severity.allCases.reversed().map { severity in
                [
                    "label": SeverityCount.label(severity.rawValue),
                    "count": findings.filter { $0.severity == severity }.count,
                ] as [String: Any]
            }
            return [
                "asOf": asOf.iso, "from": from.iso, "cvStructures": cv.byStructure.map(Self.cvRow),
                "indicators": Self.table(ReportRows.indicators(indicators).decimalComma()),
                "per": Self.table(ReportRows.per(indicators).decimalComma()),
                "cvReferents": cv.byReferent.map(Self.cvRow), "severities": severities,
                "findings": findings.sorted { $0.severity > $1.severity }.prefix(200).map(Self.findingRow),
                "findingCount": findings.count,
            ]
        }
        await consoleAudit(
            actor: call.actor, action: "read-report", subjectKind: .report, subject: "console", purpose: "rapports",
            status: 200)
        return try page(call, "reports", title: "Rapports", data.fields)
    }

    func dashboardPage(_ call: ConsoleCall) async throws -> Response {
        let asOf = try Self.day(call.query, "as-of") ?? Self.today()
        let from = try Self.day(call.query, "from") ?? Self.dashboardStart(asOf)
        guard from <= asOf else { throw ConsoleError.badRequest("La période doit commencer avant sa fin.") }
        let repositories = repositories
        let cases = try await offload { try repositories.partnerRecords.followedCases() }
        let page = dashboard(cases, from: from, to: asOf)
        await consoleAudit(
            actor: call.actor, action: "read-report", subjectKind: .report, subject: "dashboard",
            purpose: "tableau de bord", status: 200)
        return Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
    }

    // MARK: Accounts

    func usersPage(_ call: ConsoleCall) async throws -> Response {
        let staff = repositories.staff
        let accounts = try await offload { try staff.accounts() }
        return try page(
            call, "users", title: "Comptes",
            [
                "accounts": accounts.map { account in
                    [
                        "login": account.login, "name": account.displayName, "role": account.role.label,
                        "created": Self.shownTime(account.createdAt),
                        "disabled": account.disabledAt.map(Self.shownTime) as Any, "active": account.isActive,
                        "self": account.login == call.account.login,
                    ] as [String: Any]
                },
                "roles": StaffRole.allCases.map { ["value": $0.rawValue, "label": $0.label] },
            ])
    }

    func addUser(_ call: ConsoleCall) async throws -> Response {
        let form = call.form
        guard let login = form["login"]?.lowercased(), let name = form["name"],
            let role = form["role"].flatMap(StaffRole.init(rawValue:))
        else { throw ConsoleError.badRequest("Identifiant, nom et rôle sont requis.") }
        let password = form.values["password"] ?? ""
        let (staff, access, actor) = (repositories.staff, repositories.access, call.actor)
        do {
            try await offload {
                try StaffAccounts.add(
                    login: login, displayName: name, role: role, password: password, actor: actor, staff: staff,
                    access: access)
            }
        } catch let error as StaffAccountError {
            throw ConsoleError.badRequest(error.description)
        }
        return done(call, "Compte « \(login) » créé (\(role.label)).", then: "/console/users")
    }

    func disableUser(_ call: ConsoleCall) async throws -> Response {
        guard let login = call.context.parameters.get("login"), SQLStaffRepository.isValidLogin(login) else {
            throw ConsoleError.notFound("Compte inconnu.")
        }
        guard login != call.account.login else {
            throw ConsoleError.badRequest("Un administrateur ne désactive pas son propre compte.")
        }
        let (staff, access, actor) = (repositories.staff, repositories.access, call.actor)
        guard try await offload({ try StaffAccounts.disable(login: login, actor: actor, staff: staff, access: access) })
        else { throw ConsoleError.notFound("Aucun compte actif « \(login) ».") }
        return done(call, "Compte « \(login) » désactivé.", then: "/console/users")
    }
}

// MARK: Rows

/// A page's data, built on the store's thread and handed once to the request's task: never shared, so sent as it is.
struct PageData: @unchecked Sendable, ExpressibleByDictionaryLiteral {
    var fields: [String: Any]

    init(dictionaryLiteral elements: (String, Any)...) {
        fields = Dictionary(elements, uniquingKeysWith: { _, last in last })
    }
}

extension GatewayAPI {
    static func fileRow(_ file: ReceivedFile) -> [String: Any] {
        [
            "id": file.id, "href": "/console/files/\(file.id)", "partner": file.partner, "flow": file.flow,
            "name": file.name, "received": shownTime(file.receivedAt), "outcome": fileOutcome(file.outcome),
            "bad": file.outcome != .applied, "records": file.records, "accepted": file.accepted,
            "duplicates": file.duplicates, "quarantined": file.quarantined, "anomalies": file.anomalies,
            "waiting": file.waiting, "attempts": file.attempts, "size": file.size,
            "sha": String(file.sha256.prefix(12)), "reference": file.referenceDate ?? "",
            "quarantineHref": "/console/quarantine?status=all&file=\(file.id)",
        ]
    }

    static func quarantineRow(_ entry: QuarantineEntry) -> [String: Any] {
        [
            "id": entry.id, "href": "/console/quarantine/\(entry.id)", "fileID": entry.fileID,
            "fileHref": "/console/files/\(entry.fileID)", "partner": entry.partner, "flow": entry.flow,
            "file": entry.file, "record": entry.record, "line": entry.line.map(String.init) ?? "",
            "key": entry.key ?? "", "status": quarantineStatus(entry.status), "open": entry.status == "open",
            "first": entry.issues.first.map { ($0.field.map { "\($0) : " } ?? "") + $0.message } ?? "",
            "more": entry.issues.count > 1 ? String(entry.issues.count - 1) : "",
            "resolution": entry.status == "resolved" ? entry.resolution ?? "" : "",
            "received": entry.receivedAt.map(shownTime) ?? "",
        ]
    }

    static func issueRow(_ issue: ReportedIssue) -> [String: Any] {
        [
            "type": issue.check ?? issue.type, "field": issue.field ?? "", "line": issue.line.map(String.init) ?? "",
            "path": issue.path ?? "", "value": issue.value ?? "", "message": issue.message,
        ]
    }

    static func issueRow(_ issue: ValidationIssue) -> [String: Any] {
        ["type": issue.check ?? issue.type.rawValue, "field": issue.field ?? "", "message": issue.message]
    }

    static func cvRow(_ line: CVDepositReport.Line) -> [String: Any] {
        [
            "fiche": line.fiche.rawValue, "structure": line.operatorCode ?? "", "referent": line.referent ?? "",
            "jobReady": line.jobReady, "deposited": line.deposited, "elsewhere": line.depositedElsewhere,
            "rate": ReportRows.frenchDecimal(ReportRows.percent(line.rate.map { $0 * 100 })),
            "target": String(format: "%.0f %%", line.requiredPercent), "complete": line.isComplete,
            "missing": line.missing.count,
        ]
    }

    static func findingRow(_ finding: Finding) -> [String: Any] {
        [
            "severity": SeverityCount.label(finding.severity.rawValue), "level": finding.severity.rawValue,
            "rule": finding.rule.rawValue, "structure": finding.operatorCode, "referent": finding.referent ?? "",
            "person": finding.personKey ?? "", "message": finding.message,
            // A masked NIR leads to the people it may stand for.
            "personHref": (finding.personKey?.hasPrefix("NIR ") ?? false)
                ? "/console/people?q=" + queryValue(finding.personKey ?? "") : "",
        ]
    }

    static func personRow(_ person: PersonView) -> [String: Any] {
        [
            "id": person.personID, "href": "/console/people/\(person.personID)",
            "name": Masking.name(person.firstName) + " " + Masking.name(person.surname),
            "nir": person.maskedNIR ?? "inconnu",
            "birth": person.birthDate.map { String($0.prefix(4)) } ?? "?", "facts": person.facts.count,
        ]
    }

    /// A fact's value on a person's page, masked as the catalogue says of its field (`Masking.fieldValue`); the
    /// person's own fields (`person.*`) are left out by the store, and CNAF identifiers come masked.
    static func maskedDetail(kind: String, _ key: String, _ value: String) -> String {
        Masking.fieldValue(value, personal: Catalogue.entity(named: kind)?.field(key)?.personal ?? false)
    }

    /// A report's rows as a table: its column names (`_` read as spaces) and its cells.
    static func table(_ rows: ReportRows) -> [String: Any] {
        [
            "columns": rows.columns.map { $0.replacingOccurrences(of: "_", with: " ") },
            "rows": rows.rows.map { ["cells": $0] }, "hasRows": !rows.rows.isEmpty,
        ]
    }

    static func options(_ values: [String], selected: String?) -> [[String: Any]] {
        Set(values).sorted().map { ["value": $0, "selected": $0 == selected] }
    }

    /// `2026-12-06T06:08:00Z` as `06/12/2026 07:08` (Paris).
    static func shownTime(_ iso: String) -> String {
        guard let seconds = TimeStamp.seconds(iso8601: iso) else { return iso }
        let day = ParisTime.date(at: seconds)
        let offset = ParisTime.utcOffset(at: seconds)
        let local = (seconds + offset) % 86_400
        return String(
            format: "%02d/%02d/%04d %02d:%02d", day.day, day.month, day.year, local / 3600, local % 3600 / 60)
    }

    static func fileOutcome(_ outcome: FileOutcome) -> String {
        switch outcome {
        case .applied: "appliqué"
        case .alreadyReceived: "déjà reçu"
        case .rejected: "refusé"
        case .unreadable: "illisible"
        }
    }

    static func runOutcome(_ outcome: RunOutcome) -> String {
        switch outcome {
        case .running: "en cours"
        case .succeeded: "réussi"
        case .partial: "partiel"
        case .failed: "échoué"
        case .interrupted: "interrompu"
        case .skipped: "sauté"
        }
    }

    static func quarantineStatus(_ status: String) -> String {
        switch status {
        case "open": "ouvert"
        case "waiting": "en attente"
        case "reprocessed": "repris"
        case "resolved": "clos à la main"
        case "all": "tous"
        default: status
        }
    }

    static func queryValue(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.")))
            ?? ""
    }

    static func day(_ fields: FormFields, _ name: String) throws -> LocalDate? {
        guard let text = fields[name] else { return nil }
        guard let day = LocalDate(iso: text) else {
            throw ConsoleError.badRequest("\(name) : une date AAAA-MM-JJ est attendue.")
        }
        return day
    }
}
