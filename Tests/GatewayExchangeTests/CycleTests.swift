import Foundation
import GatewayCore
import GatewayExchange
import GatewayMapping
import GatewayStore
import GatewayTelemetry
import Testing

/// The samples' whole cycle (`Samples/gateway.yaml`, as `scripts/run.sh` runs it) with its outputs in a temporary
/// folder: partners' files in, sourcing, the teams' feedback, alerts, notices, reports.
struct SampleCycle {
    let directory: TempDirectory
    let config: GatewayConfig
    let store: GatewayStore
    var runner: ExchangeRunner
    static let day = LocalDate(iso: "2026-11-02")!

    /// `extraYAML`: more of gateway.yaml (a `mail:` section).
    init(extraYAML: String = "") throws {
        directory = try TempDirectory()
        let data = directory.path("data")
        var yaml = try String(contentsOfFile: Repo.sample("gateway.yaml"), encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "location: Samples/", with: "location: \(Repo.root.path)/Samples/")
            .replacingOccurrences(of: "location: data/", with: "location: \(data)/")
            .replacingOccurrences(of: "store: data/gateway.sqlite", with: "store: \(data)/g.sqlite")
            .replacingOccurrences(of: "work: data/spool", with: "work: \(data)/spool")
            .replacingOccurrences(of: "refused: data/refused", with: "refused: \(data)/refused")
            .replacingOccurrences(of: "folder: data/", with: "folder: \(data)/")
        if extraYAML.contains("mail:") {
            // The test's own mail section instead of the samples' (its lines: up to the next top-level key).
            var lines = yaml.components(separatedBy: "\n")
            if let start = lines.firstIndex(of: "mail:") {
                let end =
                    lines[(start + 1)...].firstIndex { !$0.isEmpty && !$0.hasPrefix(" ") && !$0.hasPrefix("#") }
                    ?? lines.endIndex
                lines.removeSubrange(start..<end)
            }
            yaml = lines.joined(separator: "\n")
        }
        yaml += "\n" + extraYAML
        config = try GatewayConfig.parse(yaml: yaml, knownFlows: Set(Repo.flows.keys))
        store = try GatewayStore(path: data + "/g.sqlite")
        runner = ExchangeRunner(config: config, store: store, flows: Repo.flows, logger: silentLogger)
        runner.sleep = { _ in }
        runner.day = Self.day
        (runner.programmes, runner.structures) = try ProgrammeLoader.load(directory: Repo.mappings)
        if let mail = config.mail {
            runner.notifier = try Notifier(settings: mail, mappings: Repo.mappings, environment: [:])
        }
    }

    func outbox(_ folder: String) -> String { directory.path("data/outbox/" + folder) }

    /// Every exchange once, in the cycle's order.
    func runAll() -> [String: ExchangeSummary] {
        var summaries: [String: ExchangeSummary] = [:]
        for exchange in config.ordered(config.exchanges) { summaries[exchange.id] = runner.run(exchange) }
        return summaries
    }
}

@Suite("A whole cycle unattended: sourcing, feedback, reports in the declared order")
struct CycleTests {
    @Test("One run of the samples' cycle: the feedback finds its proposals, every output goes once, dated by the run")
    func samplesCycle() throws {
        let cycle = try SampleCycle()
        let first = cycle.runAll()
        for (id, summary) in first {
            #expect(summary.outcome == .succeeded, "\(id): \(summary)")
        }
        // The feedback came after the sourcing of the same run: every answer found its proposal.
        let feedback = try #require(first["retours-sourcing"])
        #expect(feedback.applied == 1 && feedback.quarantined == 0, "\(feedback)")
        #expect(try cycle.store.ledger.quarantined(QuarantineFilter(waitingOnly: true)).isEmpty)
        // Each team gets its posts' candidates in its own format.
        let de = files(in: cycle.outbox("developpeurs-emploi"))
        let cre = files(in: cycle.outbox("conseillers-relais-entreprises"))
        #expect(de.contains("candidats-DE67-2026-0412-20261102.csv"), "\(de)")
        #expect(cre.contains("candidats-CRE68-2026-0087-20261102.json"), "\(cre)")
        #expect(de.allSatisfy { $0.hasSuffix(".csv") } && cre.allSatisfy { $0.hasSuffix(".json") })
        #expect(!de.contains { $0.contains("CRE68") } && !cre.contains { $0.contains("DE67") })
        // Proposals dated by the run, outcomes from the feedback.
        var proposals: [[String]] = []
        try cycle.store.export(.proposals) { proposals.append($0) }
        proposals.removeFirst()  // the header
        #expect(!proposals.isEmpty && proposals.allSatisfy { $0[6] == "2026-11-02" }, "\(proposals)")
        #expect(proposals.contains { $0[0] == "CRE68-2026-0087:OP68-COACHING:C9-0102" && $0[7] == "hired" })
        // The reports and the CV check, dated, for the data team.
        let reports = files(in: cycle.outbox("reports/equipe-donnees"))
        #expect(
            Set(reports) == [
                "constats-20261102.csv", "depot-cv-20261102.csv", "cv-manquants-20261102.csv",
                "indicateurs-20261102.csv", "indicateurs-per-20261102.csv", "tableau-de-bord-20261102.html",
                "controle-depot-cv-20261102.csv",
            ], "\(reports)")
        #expect(first["rapports"]?.sent == 6 && first["controle-depot-cv"]?.sent == 1)
        // The sample exchange asks for French decimals, and the page is dated by the run that produced it.
        let indicators = try String(
            contentsOfFile: cycle.outbox("reports/equipe-donnees") + "/indicateurs-20261102.csv", encoding: .utf8)
        #expect(indicators.contains(",0 %") && !indicators.contains(".0 %"), "\(indicators)")
        let page = try String(
            contentsOfFile: cycle.outbox("reports/equipe-donnees") + "/tableau-de-bord-20261102.html", encoding: .utf8)
        #expect(page.contains("Édité le <time datetime=\"2026-11-02\">"))
        // The samples' job-ready people do not all have a CV: the check says so, naming no one.
        let check = try #require(first["controle-depot-cv"]?.message)
        #expect(check.hasPrefix("Dépôt des CV sous l'objectif — fiche "), "\(check)")

        // The samples' mails are .eml files: one per operator alerted, per candidates' file, and the data team's.
        let mails = files(in: cycle.outbox("courriels"))
        let expected = files(in: cycle.outbox("operators")).count + de.count + cre.count + 2
        #expect(mails.count == expected && mails.allSatisfy { $0.hasSuffix(".eml") }, "\(mails)")

        // The same cycle again: nothing new comes in, nothing is proposed or sent twice.
        var before: [[String]] = []
        try cycle.store.export(.proposals) { before.append($0) }
        let again = cycle.runAll()
        for (id, summary) in again {
            #expect(summary.outcome == .succeeded && summary.sent == 0 && summary.applied == 0, "\(id): \(summary)")
        }
        var after: [[String]] = []
        try cycle.store.export(.proposals) { after.append($0) }
        #expect(after == before)
        #expect(files(in: cycle.outbox("developpeurs-emploi")) == de)
        #expect(files(in: cycle.outbox("courriels")) == mails)
    }

    @Test("Metrics after a cycle: runs by outcome, files and records by flow, durations, mails")
    func metricsAfterRun() throws {
        var cycle = try SampleCycle()
        let metrics = GatewayMetrics()
        cycle.runner.metrics = metrics
        _ = cycle.runAll()
        let text = String(decoding: metrics.emit(), as: UTF8.self)
        for expected in [
            #"gateway_exchange_runs_total{exchange="cnaf",outcome="succeeded"} 1"#,
            #"gateway_exchange_runs_total{exchange="candidats-de67",outcome="succeeded"} 1"#,
            #"gateway_exchange_files_total{exchange="rapports",outcome="sent"} 6"#,
            #"gateway_files_total{flow="caf-beneficiaires",outcome="applied"}"#,
            #"gateway_records_total{flow="sourcing-feedback",outcome="accepted"}"#,
            "gateway_exchange_run_duration_seconds_bucket", "gateway_exchange_duration_seconds_bucket",
            #"gateway_mails_total{outcome="sent"}"#,
        ] {
            #expect(text.contains(expected), "\(expected)")
        }
    }

    @Test("Candidates: only people not yet proposed; a post closed or filled gets nothing more")
    func candidatesOnce() throws {
        let cycle = try SampleCycle()
        let inbound = cycle.config.exchanges.filter { $0.direction == .in && $0.id != "retours-sourcing" }
        for exchange in inbound { #expect(cycle.runner.run(exchange).outcome == .succeeded) }
        let de = try #require(cycle.config.exchange("candidats-de67"))
        let first = cycle.runner.run(de)
        #expect(first.sent > 0 && first.records > 0, "\(first)")
        let posts = try cycle.store.partnerRecords.sourcingPosts().filter { $0.post.territory == "67" }
        let sourced = posts.filter { !$0.proposedPeople.isEmpty }
        #expect(!sourced.isEmpty)
        // Again, with the cursor put back (as when new files came): nobody new, so no file.
        try cycle.store.exchanges.setCursor(de.id, 0)
        let second = cycle.runner.run(de)
        #expect(second.sent == 0 && second.records == 0, "\(second)")
        // Open / closed / filled, as the sourcing decides it.
        let post = try #require(sourced.first?.post)
        let day = SampleCycle.day
        #expect(post.isOpen(on: day, hired: 0))
        #expect(!post.isOpen(on: day, hired: max(1, post.positions ?? 1)))
        var closed = post
        closed.closedOn = day
        #expect(!closed.isOpen(on: day, hired: 0) && closed.isOpen(on: day.adding(days: -1), hired: 0))
    }
}
