import Foundation
import GatewayExchange
import Testing

@Suite("gateway.yaml and the cron schedule")
struct ConfigTests {
    @Test("The sample configuration loads: every exchange, its defaults and its schedule")
    func sample() throws {
        let config = try GatewayConfig.load(path: Repo.sample("gateway.yaml"), knownFlows: Set(Repo.flows.keys))
        #expect(config.exchanges.count == 8)
        let cnaf = try #require(config.exchange("cnaf"))
        #expect(cnaf.direction == .in && cnaf.archive == .keep && cnaf.readiness == .stableSeconds(2))
        #expect(cnaf.retries.attempts == 3 && cnaf.retries.backoff == 5)
        #expect(cnaf.matches("caf-67-2026-09.xml") && !cnaf.matches("README.md"))
        #expect(config.exchange("alertes-operateurs")?.direction == .out)
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
