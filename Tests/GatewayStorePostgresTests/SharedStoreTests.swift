import Foundation
import GatewayStore
import GatewayStorePostgres
import GatewayTestSupport
import Testing

/// Runs `body` with `instances` stores on one fresh database of `backend` (several gateway instances sharing it).
func withStores(
    _ backend: Backend, instances: Int = 1,
    _ body: @Sendable ([GatewayStore]) async throws -> Void
) async throws {
    try await body(try backend.stores(instances))
}

@Suite("Shared store (keys, audit, work claims): the same tests on SQLite and PostgreSQL")
struct SharedStoreTests {
    @Test("Keys: stored hashed, found by digest, listed, revoked", arguments: Backend.available)
    func keys(backend: Backend) async throws {
        try await withStores(backend) { stores in
            let store = stores[0]
            let (key, record) = try store.access.createAPIKey(
                partner: "job-connexion", scopes: [.push(flow: "jobconnexion-cv")], label: "test")
            #expect(key.hasPrefix(record.keyID + "_"))
            let found = try store.access.apiKey(sha256: GatewayStore.keyDigest(key))
            #expect(found == record)
            #expect(try store.access.apiKey(sha256: GatewayStore.keyDigest(key + "x")) == nil)
            _ = try store.access.createAPIKey(partner: "departement", scopes: [.admin], label: nil)
            #expect(try store.access.apiKeys().map(\.partner) == ["job-connexion", "departement"])
            #expect(try store.access.revokeAPIKey(keyID: record.keyID))
            #expect(!(try store.access.revokeAPIKey(keyID: record.keyID)))
            #expect(try store.access.apiKey(sha256: GatewayStore.keyDigest(key)) == nil)
            #expect(try store.access.apiKeys().first?.revokedAt != nil)
        }
    }

    @Test(
        "Staff accounts: added with their hash, a login taken or malformed refused, listed, disabled once",
        arguments: Backend.available)
    func staffAccounts(backend: Backend) async throws {
        try await withStores(backend) { stores in
            let store = stores[0]
            let added = try store.staff.add(
                login: "marie.martin", displayName: "Marie Martin", role: .operator, passwordHash: "$2b$04$hash")
            #expect(added.isActive && added.role == .operator)
            #expect(throws: StaffAccountError.loginTaken("marie.martin")) {
                try store.staff.add(login: "marie.martin", displayName: "Autre", role: .viewer, passwordHash: "x")
            }
            #expect(throws: StaffAccountError.invalidLogin("Marie Martin")) {
                try store.staff.add(login: "Marie Martin", displayName: "M", role: .viewer, passwordHash: "x")
            }
            try store.staff.add(login: "admin", displayName: "Équipe données", role: .admin, passwordHash: "y")
            #expect(try store.staff.accounts().map(\.login) == ["marie.martin", "admin"])
            #expect(try store.staff.account(login: "marie.martin")?.passwordHash == "$2b$04$hash")
            #expect(try store.staff.disable(login: "marie.martin"))
            #expect(!(try store.staff.disable(login: "marie.martin")))
            #expect(try store.staff.account(login: "marie.martin")?.isActive == false)
            #expect(try store.staff.setPasswordHash(login: "admin", "z"))
            #expect(try store.staff.account(login: "admin")?.passwordHash == "z")
            #expect(StaffRole.viewer < .operator && StaffRole.operator < .admin)
        }
    }

    @Test("Audit log: appended, read by date and partner, oldest first", arguments: Backend.available)
    func audit(backend: Backend) async throws {
        try await withStores(backend) { stores in
            let store = stores[0]
            for (at, partner) in [
                ("2026-11-01T10:00:00Z", "job-connexion"), ("2026-11-02T10:00:00Z", "france-travail"),
                ("2026-11-03T10:00:00Z", "job-connexion"),
            ] {
                try store.access.audit(
                    AuditEntry(
                        at: at, actor: "igw_test", partner: partner, action: "read-outbox-file",
                        subjectKind: .outboxFile, subject: "notices/rejets-1.csv", purpose: "test",
                        route: "GET /v1/partners/{partner}/outbox/{area}/{name}", status: 200))
            }
            try store.access.audit(
                AuditEntry(
                    actor: "cli", partner: nil, action: "purge", subjectKind: .store, subject: "before:2026-01-01",
                    purpose: "test"))
            #expect(try store.access.auditLog(since: nil, partner: nil, limit: 100).count == 4)
            let partner = try store.access.auditLog(since: nil, partner: "job-connexion", limit: 100)
            #expect(partner.map(\.at) == ["2026-11-01T10:00:00Z", "2026-11-03T10:00:00Z"])
            let since = try store.access.auditLog(since: "2026-11-02", partner: nil, limit: 100)
            #expect(since.count == 3 && since.first?.partner == "france-travail" && since.first?.status == 200)
            #expect(try store.access.auditLog(since: nil, partner: nil, limit: 2).count == 2)
        }
    }

    @Test("Work: enqueued once, claimed by one instance, a lapsed lease claimed again", arguments: Backend.available)
    func claims(backend: Backend) async throws {
        try await withStores(backend, instances: 2) { stores in
            let (a, b) = (stores[0], stores[1])
            #expect(try a.exchanges.enqueue(kind: "push", key: "file-1"))
            #expect(!(try b.exchanges.enqueue(kind: "push", key: "file-1")), "the same item twice is one item")
            let claimed = try #require(try a.exchanges.claim(kind: "push", instance: "a", lease: .seconds(60)))
            #expect(claimed.key == "file-1")
            #expect(try b.exchanges.claim(kind: "push", instance: "b", lease: .seconds(60)) == nil, "held by a")
            #expect(try b.exchanges.claim(kind: "other", instance: "b", lease: .seconds(60)) == nil)
            #expect(!(try b.exchanges.complete(claimed, instance: "b", outcome: "applied")))
            #expect(try a.exchanges.complete(claimed, instance: "a", outcome: "applied"))
            // An instance that dies holding an item: its lease runs out and another takes it.
            _ = try a.exchanges.enqueue(kind: "push", key: "file-2")
            let lost = try #require(try a.exchanges.claim(kind: "push", instance: "a", lease: .milliseconds(50)))
            try await Task.sleep(for: .milliseconds(1_100))
            let retaken = try #require(try b.exchanges.claim(kind: "push", instance: "b", lease: .seconds(60)))
            #expect(retaken.id == lost.id)
            #expect(!(try a.exchanges.complete(lost, instance: "a", outcome: "applied")), "a's lease is gone")
            #expect(try b.exchanges.complete(retaken, instance: "b", outcome: "applied"))
        }
    }

    @Test("Two instances on one database share the work without doing any item twice", arguments: Backend.available)
    func twoInstances(backend: Backend) async throws {
        try await withStores(backend, instances: 2) { stores in
            let count = 200
            for index in 0..<count { _ = try stores[0].exchanges.enqueue(kind: "exchange", key: "run-\(index)") }
            // Each instance first claims one item while the other holds one (so both take part however the tasks
            // below are scheduled), then both drain the queue at the same time. The leases outlast any run of the
            // test: with 60 s, a loaded machine let one run out, and the other instance rightly took the item over.
            var firsts: [ClaimedWork] = []
            for (number, store) in stores.enumerated() {
                firsts.append(
                    try #require(
                        try store.exchanges.claim(
                            kind: "exchange", instance: "instance-\(number)", lease: .seconds(3600))
                    ))
            }
            #expect(Set(firsts.map(\.id)).count == stores.count, "a held item is skipped by the other instance")
            let held = firsts
            let done = try await withThrowingTaskGroup(of: [String].self) { group in
                for (number, store) in stores.enumerated() {
                    group.addTask {
                        var mine: [String] = []
                        var next: ClaimedWork? = held[number]
                        while true {
                            let work: ClaimedWork
                            if let first = next {
                                work = first
                                next = nil
                            } else if let claimed = try store.exchanges.claim(
                                kind: "exchange", instance: "instance-\(number)", lease: .seconds(3600))
                            {
                                work = claimed
                            } else {
                                break
                            }
                            #expect(try store.exchanges.complete(work, instance: "instance-\(number)", outcome: "ok"))
                            mine.append(work.key)
                        }
                        return mine
                    }
                }
                var all: [[String]] = []
                for try await keys in group { all.append(keys) }
                return all
            }
            let flat = done.flatMap { $0 }
            #expect(flat.count == count, "every item done")
            #expect(Set(flat).count == count, "no item done twice")
            #expect(done.allSatisfy { !$0.isEmpty }, "both instances took part: \(done.map(\.count))")
        }
    }
}
