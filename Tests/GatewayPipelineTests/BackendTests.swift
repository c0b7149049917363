import Foundation
import GatewayCore
import GatewayMapping
import GatewayPipeline
import GatewayStore
import GatewayTestSupport
import Synchronization
import Testing

/// What the store gives back after the samples' run: every export table (the reception times blanked: they are
/// the clock's), the indicators and CV-deposit reports, the operators' alerts, people found and shown, a purge.
struct StoreOutcome: Equatable {
    var exports: [String: [[String]]] = [:]
    var indicators: [Indicators] = []
    var cvDeposit: CVDepositReport?
    var alerts: [OperatorAlert] = []
    var people: [PersonView?] = []
    var purge: PurgeCounts?
    var exportsAfterPurge: [String: [[String]]] = [:]

    static func exports(_ store: GatewayStore) throws -> [String: [[String]]] {
        var tables: [String: [[String]]] = [:]
        for table in ExportTable.allCases {
            var rows: [[String]] = []
            try store.export(table) { row in
                var row = row
                if table == .files, !rows.isEmpty { row[6] = "" }
                rows.append(row)
            }
            tables[table.rawValue] = rows
        }
        return tables
    }

    init(_ store: GatewayStore) throws {
        try DataProtectionTests.importRun(into: store)
        exports = try Self.exports(store)
        let (programmes, _) = try ProgrammeLoader.load(directory: Repo.mappings.path)
        let cases = try store.partnerRecords.followedCases()
        indicators = [("2026-01-01", "2026-12-31"), ("2026-09-01", "2026-10-31")].map { from, to in
            Indicators.compute(cases, programmes: programmes, from: LocalDate(iso: from)!, to: LocalDate(iso: to)!)
        }
        cvDeposit = CVDepositReport.compute(cases, programmes: programmes, asOf: LocalDate(iso: "2026-11-02")!)
        alerts = try store.partnerRecords.operatorAlerts()
        for identifier in ["CAF:0457812", "1", "5", "12"] {
            for id in try store.people.findPeople(identifier) { people.append(try store.people.person(id)) }
        }
        purge = try store.retention.purge(before: LocalDate(iso: "2026-12-01")!)
        exportsAfterPurge = try Self.exports(store)
    }
}

@Suite("The store on SQLite and on PostgreSQL")
struct BackendTests {
    @Test(
        "The samples imported into SQLite and into PostgreSQL give identical exports, reports and purge",
        .enabled(if: Backend.available.contains(.postgres)))
    func sameOutcome() throws {
        let sqlite = try StoreOutcome(try Backend.sqlite.store())
        let postgres = try StoreOutcome(try Backend.postgres.store())
        #expect(sqlite.exports["households"]?.count ?? 0 > 10 && sqlite.exports["partner-records"]?.count ?? 0 > 10)
        #expect(!sqlite.alerts.isEmpty && !sqlite.people.isEmpty && sqlite.purge?.peopleErased ?? 0 > 0)
        for table in ExportTable.allCases {
            #expect(sqlite.exports[table.rawValue] == postgres.exports[table.rawValue], "export \(table.rawValue)")
            #expect(
                sqlite.exportsAfterPurge[table.rawValue] == postgres.exportsAfterPurge[table.rawValue],
                "export \(table.rawValue) after the purge")
        }
        #expect(sqlite.indicators == postgres.indicators)
        #expect(sqlite.cvDeposit == postgres.cvDeposit)
        #expect(sqlite.alerts == postgres.alerts)
        #expect(sqlite.people == postgres.people)
        #expect(sqlite.purge == postgres.purge)
    }

    @Test(
        "Two gateway instances on one database importing the same files at once apply each file once",
        arguments: Backend.available)
    func twoInstancesImport(backend: Backend) throws {
        let stores = try backend.stores(2)
        let flows = try MappingLoader.loadAll(directory: Repo.mappings.path)
        let files = DataProtectionTests.samplesRun
        let outcomes = Mutex<[String: [String]]>([:])
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { instance in
            for (flow, file) in files {
                do {
                    let report = try FilePipeline(flow: flows[flow]!, logger: silentLogger).importFile(
                        path: DataProtectionTests.samples.appendingPathComponent(file).path,
                        ledger: stores[instance].ledger)
                    outcomes.withLock { $0[file, default: []].append(report.outcome.rawValue) }
                } catch {
                    failures.withLock { $0.append("\(file): \(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        for (_, file) in files {
            let seen = outcomes.withLock { $0[file] ?? [] }.sorted()
            #expect(seen == ["already-received", "applied"], "\(file): \(seen)")
        }
        // The same store as one instance importing the files alone.
        let alone = try backend.store()
        try DataProtectionTests.importRun(into: alone)
        #expect(try stores[0].tableCounts() == alone.tableCounts())
        #expect(try stores[1].ledger.receivedFiles().count == files.count)
    }

    @Test("Two instances claiming the same exchange files at once: each file goes to one", arguments: Backend.available)
    func twoInstancesClaim(backend: Backend) throws {
        let stores = try backend.stores(2)
        let keys = (0..<40).map { ClaimKey(exchange: "cnaf-in", name: "f\($0).xml", size: 10, modified: "2026-11-01") }
        let claimed = Mutex<[Int: [ClaimKey]]>([:])
        DispatchQueue.concurrentPerform(iterations: 2) { instance in
            for key in keys {
                if (try? stores[instance].exchanges.claim(
                    key, owner: "gw-\(instance)", lease: 60, isGone: { _ in false }))
                    == .claimed
                {
                    claimed.withLock { $0[instance, default: []].append(key) }
                }
            }
        }
        let all = claimed.withLock { $0.values.flatMap { $0 } }
        #expect(all.count == keys.count && Set(all).count == keys.count, "each file claimed once")
        // Done by one, seen done by the other.
        let first = keys[0]
        let owner = claimed.withLock { $0[0]?.contains(first) == true ? 0 : 1 }
        try stores[owner].exchanges.finishClaim(first, owner: "gw-\(owner)", sha256: "abc")
        #expect(
            try stores[1 - owner].exchanges.claim(first, owner: "gw-\(1 - owner)", lease: 60, isGone: { _ in false })
                == .done(sha256: "abc"))
    }
}

@Suite("The command line on a PostgreSQL store", .serialized)
struct PostgresCLITests {
    /// `import` twice, `export`, `report indicators`, `journal` and `keys` through `--store`, on SQLite and PostgreSQL:
    /// the same output.
    @Test(
        "--store postgres://… works for import, export, keys and reports, as --store a SQLite file does",
        .enabled(if: Backend.available.contains(.postgres)))
    func sameCommands() throws {
        let directory = try TempDirectory()
        let mappings = ["--mappings", Repo.mappings.path]
        func commands(_ store: String) throws -> [String] {
            var outputs: [String] = []
            for (index, arguments) in [
                ["import", "--quiet", "--flow", "caf-beneficiaires", Repo.sample("caf-67-2026-09.xml")] + mappings,
                ["import", "--quiet", "--flow", "caf-beneficiaires", Repo.sample("caf-67-2026-10.xml")] + mappings,
                ["import", "--flow", "caf-beneficiaires", Repo.sample("caf-67-2026-10.xml")] + mappings,
                ["export", "households", "--format", "csv"], ["export", "status-changes", "--format", "json"],
                ["export", "people", "--format", "csv"], ["keys", "list"],
            ].enumerated() {
                let result = try run(
                    Repo.cli, arguments + ["--store", store], cwd: URL(fileURLWithPath: directory.path(".")))
                #expect(result.status == 0 || (index < 2 && result.status == 1), "\(arguments): \(result.err)")
                outputs.append(result.out)
            }
            return outputs
        }
        let sqlite = try commands(directory.path("g.sqlite"))
        let postgres = try commands(try Backend.newDatabase())
        #expect(sqlite == postgres)
        #expect(postgres[2].contains("déjà reçu") && postgres[3].split(whereSeparator: \.isNewline).count > 10)
    }

    @Test("An unreachable PostgreSQL server: a clear error, without the password")
    func unreachable() throws {
        let result = try run(
            Repo.cli, ["export", "households", "--store", "postgres://gateway:s3cret-word@127.0.0.1:1/insertion"])
        #expect(result.status != 0)
        #expect(result.err.contains("PostgreSQL") && result.err.contains("127.0.0.1:1/insertion"), "\(result.err)")
        #expect(!result.err.contains("s3cret-word") && !result.out.contains("s3cret-word"))
    }
}
