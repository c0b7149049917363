import Foundation
import GatewayExchange
import Testing

@Suite("gateway.yaml and the cron schedule")
struct ConfigTests {
    @Test("The sample configuration loads: every exchange, its defaults and its schedule")
    func sample() throws {
        let config = try GatewayConfig.load(path: Repo.sample("gateway.yaml"), knownFlows: Set(Repo.flows.keys))
        #expect(config.exchanges.count == 12)
        let cnaf = try #require(config.exchange("cnaf"))
        #expect(cnaf.direction == .in && cnaf.archive == .keep && cnaf.readiness == .stableSeconds(2))
        #expect(cnaf.retries.attempts == 3 && cnaf.retries.backoff == 5)
        #expect(cnaf.matches("caf-67-2026-09.xml") && !cnaf.matches("README.md"))
        #expect(config.exchange("alertes-operateurs")?.direction == .out)
        let candidates = try #require(config.exchange("candidats-cre68"))
        #expect(candidates.output.territory == "68" && candidates.output.format == .json)
        #expect(config.exchange("rapports")?.output.decimalComma == true)
        // The cycle's order: files in, then the sourcing, the feedback it awaits, then alerts, notices, reports.
        let order = config.ordered(config.exchanges).map(\.id)
        func position(_ id: String) -> Int { order.firstIndex(of: id) ?? -1 }
        #expect(position("suivi-operateurs") < position("candidats-de67"))
        #expect(position("candidats-de67") < position("retours-sourcing"))
        #expect(position("candidats-cre68") < position("retours-sourcing"))
        #expect(position("retours-sourcing") < position("alertes-operateurs"))
        #expect(position("alertes-operateurs") < position("rapports"))
        #expect(Set(order) == Set(config.exchanges.map(\.id)))
    }

    @Test(
        "deploy/gateway.yaml, the production example: every key known; only its secrets and host files are missing here"
    )
    func productionExample() throws {
        let path = Repo.root.appendingPathComponent("deploy/gateway.yaml").path
        let yaml = try String(contentsOfFile: path, encoding: .utf8)
        do {
            let config = try GatewayConfig.parse(
                yaml: yaml, knownFlows: Set(Repo.flows.keys), environment: ["GATEWAY_CRE68_TOKEN": "t"])
            Issue.record("expected the missing files to be listed, got \(config.exchanges.count) exchanges")
        } catch let error as ConfigError {
            // On the server, these files exist; nothing else may be wrong.
            let other = error.problems.filter { !$0.contains("illisible") && !$0.contains("schema introuvable") }
            #expect(other.isEmpty, "\(other)")
        }
        let unit = try String(
            contentsOfFile: Repo.root.appendingPathComponent("deploy/insertion-gateway.service").path, encoding: .utf8)
        for hardening in ["DynamicUser=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/insertion-gateway"] {
            #expect(unit.contains(hardening))
        }
    }

    @Test("after: an unknown exchange, an exchange after itself or a cycle is refused at load")
    func order() throws {
        func problems(_ exchanges: String) throws -> String {
            let yaml = "exchanges:\n" + exchanges
            let error = #expect(throws: ConfigError.self) {
                try GatewayConfig.parse(yaml: yaml, knownFlows: Set(Repo.flows.keys))
            }
            return try #require(error?.problems).joined(separator: "\n")
        }
        func exchange(_ id: String, after: String) -> String {
            """
              - id: \(id)
                direction: out
                flow: operator-alerts
                transport: folder
                location: /tmp/out
                after: \(after)

            """
        }
        #expect(try problems(exchange("a", after: "[nowhere]")).contains("échange « nowhere » inconnu"))
        #expect(try problems(exchange("a", after: "a")).contains("après lui-même"))
        let cycle = try problems(exchange("a", after: "[c]") + exchange("b", after: "[a]") + exchange("c", after: "b"))
        #expect(cycle.contains("échanges en cycle (after) : a → c → b → a"), "\(cycle)")
        #expect(try problems(exchange("a", after: "{x: 1}")).contains("after : un id d'échange ou une liste"))
        // The order follows after: first, the file's order otherwise.
        let yaml =
            "exchanges:\n" + exchange("notices", after: "[feedback]") + exchange("alerts", after: "[]")
            + exchange("feedback", after: "[sourcing]") + exchange("sourcing", after: "[]")
        let config = try GatewayConfig.parse(yaml: yaml, knownFlows: Set(Repo.flows.keys))
        #expect(config.ordered(config.exchanges).map(\.id) == ["alerts", "sourcing", "feedback", "notices"])
        // Of the chosen exchanges only: one left out does not hold the others back.
        let chosen = config.exchanges.filter { $0.id != "sourcing" }
        #expect(config.ordered(chosen).map(\.id) == ["alerts", "feedback", "notices"])
    }

    @Test("Outbound options: format, territory and limit (candidates), decimal-comma (reports), each checked")
    func outputOptions() throws {
        let yaml = """
            exchanges:
              - id: a
                direction: out
                flow: candidates
                transport: folder
                location: /tmp/out
                format: pdf
                territory: 75
                limit: 0
              - id: b
                direction: out
                flow: reports
                transport: folder
                location: /tmp/out
                format: csv
                decimal-comma: oui
              - id: c
                direction: out
                flow: operator-alerts
                transport: folder
                location: /tmp/out
                decimal-comma: true
            """
        let error = #expect(throws: ConfigError.self) {
            try GatewayConfig.parse(yaml: yaml, knownFlows: Set(Repo.flows.keys))
        }
        let text = try #require(error?.problems).joined(separator: "\n")
        for expected in [
            "format : csv, json ou xml", "territory : 67 (Développeurs Emploi) ou 68", "limit : un nombre entier ≥ 1",
            "(b) : format : seulement pour un échange de flow « candidates »", "(b) : decimal-comma : true ou false",
            "(c) : decimal-comma : seulement pour un échange de flow « reports »",
        ] {
            #expect(text.contains(expected), "missing: \(expected)\n\(text)")
        }
    }

    @Test("An invalid configuration is refused with every problem listed")
    func everyProblem() throws {
        let yaml = """
            exchanges:
              - id: a
                direction: sideways
                flow: no-such-flow
                transport: carrier-pigeon
                location: x
                schedule: "61 * * * *"
              - id: b
                direction: in
                flow: caf-beneficiaires
                transport: sftp
                location: sftp://partner.example/in/
                pattern: "*.xml"
                credentials: { user: gw, password: hunter2 }
                readiness: { stable-seconds: 5, done-file: "{name}.ok" }
                retries: { attempts: 0 }
                archiv: done
              - id: b
                direction: out
                flow: operator-alerts
                transport: https
                location: https://user:pw@partner.example/out/
                credentials: { token-env: IG_TEST_SURELY_UNSET_TOKEN }
            """
        let error = #expect(throws: ConfigError.self) {
            try GatewayConfig.parse(yaml: yaml, knownFlows: Set(Repo.flows.keys))
        }
        let problems = try #require(error?.problems)
        let text = problems.joined(separator: "\n")
        for expected in [
            "direction : in ou out", "transport : folder, sftp, ftps ou https", "minute « 61 » hors de 0–59",
            "secret en clair refusé (« password »)", "host-key requis", "readiness : stable-seconds",
            "retries : attempts ≥ 1", "archiv : clé inconnue", "id en double", "secret en clair refusé dans l'URL",
            "IG_TEST_SURELY_UNSET_TOKEN absente",
        ] {
            #expect(text.contains(expected), "missing: \(expected)\n\(text)")
        }
        #expect(problems.count >= 11)
    }

    @Test("Cron: steps, ranges, lists, both day fields, Europe/Paris across the clock changes")
    func cron() throws {
        let paris = TimeZone(identifier: "Europe/Paris")!
        func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }
        let daily = try CronSchedule("30 6 * * *")
        // 2026-03-29: clocks go forward at 02:00 in Paris; 06:30 is 04:30 UTC that day, 05:30 UTC the day before.
        #expect(daily.next(after: date("2026-03-28T06:00:00Z")) == date("2026-03-29T04:30:00Z"))
        #expect(daily.next(after: date("2026-03-27T12:00:00Z")) == date("2026-03-28T05:30:00Z"))
        let quarter = try CronSchedule("*/15 8-9 * * 1-5", timeZone: paris)
        // Saturday 2026-11-21 → Monday 2026-11-23 08:00 Paris = 07:00 UTC.
        #expect(quarter.next(after: date("2026-11-21T10:00:00Z")) == date("2026-11-23T07:00:00Z"))
        #expect(quarter.next(after: date("2026-11-23T07:00:00Z")) == date("2026-11-23T07:15:00Z"))
        // Day of month or day of week (Vixie cron): the 1st, or any Sunday.
        let either = try CronSchedule("0 12 1 * 0", timeZone: paris)
        #expect(either.next(after: date("2026-11-23T12:00:00Z")) == date("2026-11-29T11:00:00Z"))
        #expect(either.next(after: date("2026-11-29T12:00:00Z")) == date("2026-12-01T11:00:00Z"))
        for bad in ["* * * *", "60 * * * *", "* 24 * * *", "*/0 * * * *", "5-1 * * * *", "a * * * *"] {
            #expect(throws: CronSchedule.ParseError.self) { try CronSchedule(bad) }
        }
        #expect(try CronSchedule("@hourly").next(after: date("2026-11-23T10:20:00Z")) == date("2026-11-23T11:00:00Z"))
    }
}
