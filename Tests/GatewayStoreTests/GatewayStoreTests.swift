import Foundation
import GatewayCore
import GatewayStore
import GatewayTestSupport
import Testing

@Suite("Embedded store")
struct GatewayStoreTests {
    static func household(
        matricule: String = "1234567", state: RightState = .openPaid, commune: String = "67482",
        people: [Person]? = nil, events: [CNAFEvent] = []
    ) throws -> Household {
        let applicant = Person(
            nir: try NIR(validating: "1840567482123"), civility: .monsieur, surname: "Exemple", firstName: "Jean",
            birthDate: LocalDate(year: 1984, month: 5, day: 2), sex: 1, role: .applicant, soumisDroitsDevoirs: true)
        return Household(
            organisme: .caf, organismeNumber: "671", matricule: try Matricule(validating: matricule),
            address: Address(commune: try INSEECommune(validating: commune)), people: people ?? [applicant],
            right: RightStatus(state: state), events: events)
    }

    static func arrival(_ sha: String) -> FileArrival {
        FileArrival(partner: "caf-msa", flow: "caf-beneficiaires", name: "\(sha).xml", size: 10, sha256: sha)
    }

    @Test("A file is recorded once per partner and content", arguments: Backend.available)
    func ledgerUniqueness(backend: Backend) throws {
        let store = try backend.store()
        _ = try store.ledger.apply(Self.arrival("a"), referenceDate: nil) { _ in }
        #expect(try store.ledger.receivedFile(partner: "caf-msa", sha256: "a") != nil)
        #expect(try store.ledger.receivedFile(partner: "other", sha256: "a") == nil)
        #expect(throws: (any Error).self) { _ = try store.ledger.apply(Self.arrival("a"), referenceDate: nil) { _ in } }
        // Another partner may send the same bytes.
        _ = try store.ledger.recordRefusedFile(
            FileArrival(partner: "other", flow: "caf-beneficiaires", name: "a.xml", size: 10, sha256: "a"),
            outcome: .unreadable, records: 0, issues: [], keptPath: nil)
        #expect(try store.ledger.receivedFiles().map(\.outcome) == [.applied, .unreadable])
    }

    @Test(
        "A file rolled back leaves no gap: the next file, refused or applied, takes the next number",
        arguments: Backend.available)
    func ledgerNumbersWithoutGaps(backend: Backend) throws {
        struct Interrupted: Error {}
        let store = try backend.store()
        _ = try store.ledger.apply(Self.arrival("a"), referenceDate: nil) { _ in }
        // A file whose import fails (as a gateway killed mid-import) keeps nothing, not even its number.
        #expect(throws: Interrupted.self) {
            _ = try store.ledger.apply(Self.arrival("b"), referenceDate: nil) { _ in throw Interrupted() }
        }
        let refused = try store.ledger.recordRefusedFile(
            Self.arrival("c"), outcome: .unreadable, records: 0, issues: [], keptPath: nil)
        #expect(throws: Interrupted.self) {
            _ = try store.ledger.apply(Self.arrival("d"), referenceDate: nil) { _ in throw Interrupted() }
        }
        let (applied, _) = try store.ledger.apply(Self.arrival("b"), referenceDate: nil) { _ in }
        #expect(try store.ledger.receivedFiles().map(\.id) == [1, 2, 3])
        #expect(refused.id == 2 && applied.id == 3)
    }

    @Test(
        "Mail outbox: one mail per event, held by one gateway at a time, tried again when due, abandoned at last",
        arguments: Backend.available)
    func mailOutbox(backend: Backend) throws {
        let store = try backend.store()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let mail = OutgoingMail(
            eventKey: "fichier-refuse:cnaf:abc", event: "fichier-refuse",
            recipients: ["donnees@departement.test", "autre@departement.test"], subject: "Objet é", body: "Corps\n")
        #expect(try store.mail.enqueue(mail, at: now))
        #expect(try !store.mail.enqueue(mail, at: now.addingTimeInterval(10)))
        // Two gateways: the first takes it, the second finds nothing while the first holds it.
        let taken = try store.mail.claimDue(instance: "a", at: now, lease: 60, limit: 5)
        #expect(taken.count == 1 && taken[0].attempts == 1 && taken[0].recipients == mail.recipients)
        #expect(taken[0].subject == "Objet é" && taken[0].state == .sending)
        #expect(try store.mail.claimDue(instance: "b", at: now, lease: 60, limit: 5).isEmpty)
        // A failed attempt waits for its time; only its holder can mark it.
        try store.mail.markFailed(id: taken[0].id, instance: "b", error: "x", retryAt: now)
        #expect(try store.mail.counts() == [.sending: 1])
        try store.mail.markFailed(
            id: taken[0].id, instance: "a", error: "unreachable", retryAt: now.addingTimeInterval(120))
        #expect(try store.mail.claimDue(instance: "b", at: now.addingTimeInterval(60), lease: 60, limit: 5).isEmpty)
        let again = try store.mail.claimDue(instance: "b", at: now.addingTimeInterval(130), lease: 60, limit: 5)
        #expect(again.map(\.attempts) == [2] && again.first?.lastError == "unreachable")
        // Its holder gone (the lease ran out), another gateway takes it over.
        let over = try store.mail.claimDue(instance: "c", at: now.addingTimeInterval(200), lease: 60, limit: 5)
        #expect(over.map(\.attempts) == [3])
        try store.mail.markSent(id: over[0].id, instance: "c", at: now.addingTimeInterval(201))
        #expect(try store.mail.mails(states: [.sent], limit: 10).map(\.id) == [over[0].id])
        // A mail failing its last attempt is abandoned, and stays listed.
        var last = mail
        last.eventKey = "echange-en-echec:7"
        try store.mail.enqueue(last, at: now)
        let held = try #require(try store.mail.claimDue(instance: "a", at: now, lease: 60, limit: 5).first)
        try store.mail.markFailed(id: held.id, instance: "a", error: "refused", retryAt: nil)
        #expect(try store.mail.claimDue(instance: "a", at: now.addingTimeInterval(1e6), lease: 60, limit: 5).isEmpty)
        #expect(try store.mail.counts() == [.sent: 1, .abandoned: 1])
    }

    @Test(
        "Upsert on the business key; the same household twice in one file is a duplicate or a conflict",
        arguments: Backend.available)
    func upsertAndDuplicates(backend: Backend) throws {
        let store = try backend.store()
        let (_, counts) = try store.ledger.apply(
            Self.arrival("1"), referenceDate: LocalDate(year: 2026, month: 9, day: 30)
        ) {
            session in
            let first = try session.apply(Self.household())
            #expect(first == .accepted(statusChanges: 1))
            let again = try session.apply(Self.household())
            #expect(again == .duplicate)
            let different = try session.apply(Self.household(state: .closed))
            #expect(different == .conflict)
            try session.quarantine(index: 2, line: 40, key: "CAF ****567", raw: "<x/>", issues: [])
        }
        #expect(counts.records == 3)
        #expect(counts.records == counts.accepted + counts.duplicates + counts.quarantined)
        #expect(counts.duplicates == 1 && counts.quarantined == 1)
        #expect(try store.tableCounts()["household"] == 1)
    }

    @Test(
        "A household's record is kept packed, read back as received, and rewritten only when it changed",
        arguments: Backend.available)
    func householdRecordKept(backend: Backend) throws {
        let store = try backend.store()
        let record =
            "<InfosFoyerRSA><NOMNAI>ÉLODIE BŒUF</NOMNAI>" + String(repeating: "<Activite>SAL</Activite>", count: 200)
            + "</InfosFoyerRSA>"
        func load(_ sha: String, day: Int, source: String) throws {
            _ = try store.ledger.apply(Self.arrival(sha), referenceDate: LocalDate(year: 2026, month: 9, day: day)) {
                _ = try $0.apply(Self.household(), source: Array(source.utf8))
            }
        }
        func kept() throws -> (raw: String, file: Int64, keys: Set<String>) {
            let id = try #require(try store.people.findPeople("1840567482123").first)
            let export = try #require(try store.people.personExport(id))
            let json = try #require(try JSONSerialization.jsonObject(with: export) as? [String: Any])
            let records = try #require(json["cnafRecords"] as? [[String: Any]])
            #expect(records.count == 1)
            let first = try #require(records.first)
            return (
                try #require(first["raw"] as? String), try #require((first["file_id"] as? NSNumber)?.int64Value),
                Set(first.keys)
            )
        }
        try load("1", day: 1, source: record)
        let (raw, firstFile, keys) = try kept()
        #expect(raw == record)
        #expect(keys == ["household_id", "file_id", "raw"], "the packed bytes are not shown, their text is")
        // The same record in a later file: nothing rewritten, it still names the file it came in.
        try load("2", day: 2, source: record)
        #expect(try kept().file == firstFile)
        // Another record: kept in place of the first.
        try load("3", day: 3, source: record + "<x/>")
        let changed = try kept()
        #expect(changed.raw == record + "<x/>" && changed.file != firstFile)
    }

    @Test("An older file does not overwrite a newer state", arguments: Backend.available)
    func staleFile(backend: Backend) throws {
        let store = try backend.store()
        _ = try store.ledger.apply(Self.arrival("new"), referenceDate: LocalDate(year: 2026, month: 10, day: 31)) {
            session in
            _ = try session.apply(Self.household(state: .closed))
        }
        _ = try store.ledger.apply(Self.arrival("old"), referenceDate: LocalDate(year: 2026, month: 9, day: 30)) {
            session in
            let outcome = try session.apply(Self.household(state: .openPaid))
            #expect(outcome == .stale)
        }
        var states: [String] = []
        try store.export(.households) { row in states.append(row[12]) }
        #expect(states == ["etat_droit", "5"])
    }

    @Test(
        "CNAF events already recorded are not new changes when a later file repeats them", arguments: Backend.available)
    func eventsOnce(backend: Backend) throws {
        let store = try backend.store()
        let event = CNAFEvent(
            liquidationDate: LocalDate(year: 2026, month: 9, day: 2)!, liquidationTime: "10:00:00", code: "ADR")
        _ = try store.ledger.apply(Self.arrival("1"), referenceDate: LocalDate(year: 2026, month: 9, day: 30)) {
            session in
            let outcome = try session.apply(Self.household(events: [event]))
            #expect(outcome == .accepted(statusChanges: 2))
        }
        let (file, _) = try store.ledger.apply(
            Self.arrival("2"), referenceDate: LocalDate(year: 2026, month: 10, day: 31)
        ) {
            session in
            let outcome = try session.apply(Self.household(state: .openPaymentSuspended, events: [event]))
            #expect(outcome == .accepted(statusChanges: 1))
        }
        #expect(try store.people.statusChanges(fileID: file.id).map(\.kind) == ["right-state"])
    }

    @Test("The store on disk survives reopening, and migrations run once")
    func reopen() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("data/g.sqlite").path
        do {
            let store = try GatewayStore(path: path)
            _ = try store.ledger.apply(Self.arrival("1"), referenceDate: nil) { session in
                _ = try session.apply(Self.household())
            }
        }
        let reopened = try GatewayStore(path: path)
        #expect(try reopened.tableCounts()["household"] == 1)
    }
}
