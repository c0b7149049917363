import Foundation
import GatewayCore
import GatewayMapping
import GatewayServer
import GatewayStore
import GatewayTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

/// A console over a fresh store holding the CNAF September sample and the operators' file with unknown codes (two
/// records quarantined), with one account per role; its mappings are a copy the tests may fix.
struct ConsoleFixture: Sendable {
    let api: APIFixture
    let mappings: TempDirectory
    static let password = "un mot de passe assez long"

    /// The clock sessions expire by: the tests move it.
    final class Clock: Sendable {
        let now = Mutex(Date())
    }

    let sessionClock: Clock

    init(backend: Backend = .sqlite) async throws {
        let mappings = try TempDirectory()
        for name in try FileManager.default.contentsOfDirectory(atPath: Repo.mappings) {
            try FileManager.default.copyItem(
                atPath: (Repo.mappings as NSString).appendingPathComponent(name), toPath: mappings.path(name))
        }
        self.mappings = mappings
        let sessionClock = Clock()
        self.sessionClock = sessionClock
        api = try APIFixture(backend: backend) { configuration in
            configuration.mappingDirectory = mappings.path(".")
            configuration.console.secureCookies = false
            configuration.console.sessionLifetime = .seconds(3600)
            configuration.console.now = { sessionClock.now.withLock { $0 } }
        }
        for (login, role) in [("lea.viewer", StaffRole.viewer), ("omar.operator", .operator), ("ada.admin", .admin)] {
            try api.store.staff.add(
                login: login, displayName: login.capitalized, role: role,
                passwordHash: StaffPasswords.hash(Self.password, cost: 4))
        }
        let caf = try api.store.access.createAPIKey(partner: "caf-msa", scopes: [.push(flow: "caf-beneficiaires")]).key
        let api = api
        try await api.app().test(.router) { client in
            let cnaf = try await client.execute(
                uri: "/v1/flows/caf-beneficiaires/files", method: .post, headers: .key(caf),
                body: try fileBody(Repo.sample("cnaf/caf-67-2026-09.xml")))
            #expect(cnaf.status == .created, "\(cnaf.text)")
            let followup = try await client.execute(
                uri: "/v1/flows/operator-followup/files?name=suivi-unknown-codes.csv", method: .post,
                headers: .key(api.operatorKey),
                body: try fileBody(Repo.sample("operator-followup/bad/suivi-unknown-codes.csv")))
            #expect(followup.status == .created, "\(followup.text)")
        }
    }

    /// Adds `7 → 5` to the CSV operators' fiche codes, as a data team would after reading the quarantine.
    func fixFicheCodes() throws {
        let path = mappings.path("operator-followup-csv.yaml")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let fixed = text.replacingOccurrences(of: #"F9: "9" }"#, with: #"F9: "9", "7": "5" }"#)
        #expect(fixed != text)
        try fixed.write(toFile: path, atomically: true, encoding: .utf8)
    }
}

/// A browser's side of a console conversation: its session cookie and the form token of the last page.
struct Staff {
    var cookie = ""
    var csrf = ""

    var headers: HTTPFields { cookie.isEmpty ? [:] : [.cookie: cookie] }

    func form(_ fields: [String: String]) -> (HTTPFields, ByteBuffer) {
        var all = fields
        if all["csrf"] == nil { all["csrf"] = csrf }
        let body = all.map { key, value in
            "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
        }.joined(separator: "&")
        var headers = headers
        headers[.contentType] = "application/x-www-form-urlencoded"
        return (headers, ByteBuffer(string: body))
    }

    /// The value of `name=` in a response's cookies.
    static func cookie(_ name: String, in response: TestResponse) -> String? {
        for header in response.headers[values: .setCookie] where header.hasPrefix(name + "=") {
            return String(header.dropFirst(name.count + 1).prefix { $0 != ";" })
        }
        return nil
    }

    /// The form token written in a page.
    static func csrf(in page: String) -> String? {
        guard let range = page.range(of: #"name="csrf" value=""#) else { return nil }
        return String(page[range.upperBound...].prefix { $0 != "\"" })
    }

    mutating func read(_ response: TestResponse) {
        if let token = Self.csrf(in: response.text) { csrf = token }
    }
}

extension TestClientProtocol {
    /// Signs `login` in through the form, as a browser does: the sign-in page's cookie and token, then the POST.
    func signIn(_ login: String, password: String = ConsoleFixture.password) async throws -> (Staff, TestResponse) {
        let page = try await execute(uri: "/console/sign-in", method: .get)
        let token = try #require(Staff.csrf(in: page.text))
        let signInCookie = try #require(Staff.cookie("igw_signin", in: page))
        var staff = Staff(cookie: "igw_signin=\(signInCookie)", csrf: token)
        let (headers, body) = staff.form(["login": login, "password": password])
        let response = try await execute(uri: "/console/sign-in", method: .post, headers: headers, body: body)
        if let session = Staff.cookie("igw_session", in: response) {
            staff.cookie = "igw_session=\(session)"
            let overview = try await execute(uri: "/console", method: .get, headers: staff.headers)
            staff.read(overview)
        }
        return (staff, response)
    }

    func get(_ uri: String, _ staff: Staff) async throws -> TestResponse {
        try await execute(uri: uri, method: .get, headers: staff.headers)
    }

    func post(_ uri: String, _ staff: Staff, _ fields: [String: String] = [:]) async throws -> TestResponse {
        let (headers, body) = staff.form(fields)
        return try await execute(uri: uri, method: .post, headers: headers, body: body)
    }
}

@Suite("Staff console: sign-in, pages, roles, CSRF, quarantine replay")
struct ConsoleTests {
    /// The fixture's quarantined records: (fiche 7, CDD/MAIL).
    static func quarantined(_ fixture: ConsoleFixture) throws -> [QuarantineEntry] {
        try fixture.api.store.ledger.quarantineEntries(
            QuarantineQuery(filter: QuarantineFilter(flow: "operator-followup"))
        )
        .sorted { $0.record < $1.record }
    }

    @Test(
        "Signing in: a session cookie HTTP-only and SameSite; wrong password, unknown or disabled login refused alike")
    func signIn() async throws {
        let fixture = try await ConsoleFixture()
        try fixture.api.store.staff.add(
            login: "gone", displayName: "Gone", role: .admin,
            passwordHash: StaffPasswords.hash(ConsoleFixture.password, cost: 4))
        try fixture.api.store.staff.disable(login: "gone")
        try await fixture.api.app().test(.router) { client in
            let anonymous = try await client.execute(uri: "/console/files", method: .get)
            #expect(anonymous.status == .seeOther)
            #expect(anonymous.headers[.location] == "/console/sign-in?next=/console/files")
            let (staff, response) = try await client.signIn("omar.operator")
            #expect(response.status == .seeOther && response.headers[.location] == "/console")
            let cookie = try #require(response.headers[values: .setCookie].first { $0.hasPrefix("igw_session=") })
            #expect(
                cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/console"))
            let overview = try await client.get("/console", staff)
            #expect(overview.status == .ok)
            #expect(overview.text.contains("Omar.Operator") && overview.text.contains("<html lang=\"fr\">"))
            for (login, password) in [
                ("omar.operator", "mauvais mot de passe"), ("nobody", ConsoleFixture.password),
                ("gone", ConsoleFixture.password),
            ] {
                let (_, refused) = try await client.signIn(login, password: password)
                #expect(refused.status == .unauthorized)
                #expect(refused.text.contains("Identifiant ou mot de passe incorrect"))
                #expect(Staff.cookie("igw_session", in: refused) == nil)
            }
            // A sign-in form posted without the page's cookie (from another site) is refused.
            var forged = Staff(cookie: "", csrf: "forged")
            forged.csrf = "forged"
            let (headers, body) = forged.form(["login": "omar.operator", "password": ConsoleFixture.password])
            let crossSite = try await client.execute(
                uri: "/console/sign-in", method: .post, headers: headers, body: body)
            #expect(crossSite.status == .forbidden)
            // Signing out ends the session.
            let out = try await client.post("/console/sign-out", staff)
            #expect(out.status == .seeOther)
            #expect(try await client.get("/console", staff).status == .seeOther)
        }
        let audit = try fixture.api.store.access.auditLog()
        #expect(audit.filter { $0.action == "sign-in-failed" }.count == 3)
        #expect(audit.contains { $0.action == "sign-in" && $0.actor == "console:omar.operator" })
        #expect(audit.contains { $0.action == "sign-out" })
    }

    @Test("Failed sign-ins are rate-limited per login and audited")
    func signInRateLimited() async throws {
        let fixture = try await ConsoleFixture()
        try await fixture.api.app().test(.router) { client in
            for _ in 0..<5 {
                let (_, refused) = try await client.signIn("ada.admin", password: "pas le bon mot de passe")
                #expect(refused.status == .unauthorized)
            }
            // The right password now waits too: a guesser cannot tell.
            let (_, blocked) = try await client.signIn("ada.admin")
            #expect(blocked.status == .tooManyRequests)
            #expect(blocked.text.contains("échecs de connexion : réessayer dans"))
        }
        let audit = try fixture.api.store.access.auditLog()
        #expect(audit.contains { $0.action == "sign-in-blocked" && $0.subject == "ada.admin" })
    }

    @Test("A session ends at its expiry, whatever is done meanwhile")
    func sessionExpiry() async throws {
        let fixture = try await ConsoleFixture()
        try await fixture.api.app().test(.router) { client in
            let (staff, _) = try await client.signIn("lea.viewer")
            #expect(try await client.get("/console/files", staff).status == .ok)
            fixture.sessionClock.now.withLock { $0 += 3_599 }
            #expect(try await client.get("/console/files", staff).status == .ok)
            fixture.sessionClock.now.withLock { $0 += 2 }
            let expired = try await client.get("/console/files", staff)
            #expect(expired.status == .seeOther)
            #expect(expired.headers[.location]?.hasPrefix("/console/sign-in") == true)
        }
    }

    @Test("Every page answers each role as its table says; a viewer cannot replay, reveal or manage accounts")
    func roles() async throws {
        let fixture = try await ConsoleFixture()
        let record = try #require(try Self.quarantined(fixture).first).id
        let pages = [
            "/console", "/console/files", "/console/files/2", "/console/quarantine", "/console/quarantine?status=all",
            "/console/quarantine/\(record)", "/console/exchanges", "/console/people", "/console/people?q=1",
            "/console/people/1", "/console/reports", "/console/reports/dashboard",
        ]
        try await fixture.api.app().test(.router) { client in
            let (viewer, _) = try await client.signIn("lea.viewer")
            for uri in pages {
                let page = try await client.get(uri, viewer)
                #expect(page.status == .ok, "\(uri): \(page.status)")
            }
            for adminPage in ["/console/users", "/console/keys", "/console/audit"] {
                #expect(try await client.get(adminPage, viewer).status == .forbidden, "\(adminPage)")
            }
            let recordPage = try await client.get("/console/quarantine/\(record)", viewer)
            #expect(!recordPage.text.contains("/reprocess") && !recordPage.text.contains("/reveal"))
            for action in ["reprocess", "resolve", "reveal"] {
                let refused = try await client.post(
                    "/console/quarantine/\(record)/\(action)", viewer, ["reason": "x", "purpose": "x"])
                #expect(refused.status == .forbidden, "\(action)")
                #expect(refused.text.contains("Accès refusé"))
            }
            #expect(try await client.post("/console/quarantine/reprocess", viewer).status == .forbidden)
            let (operatorStaff, _) = try await client.signIn("omar.operator")
            #expect(try await client.get("/console/users", operatorStaff).status == .forbidden)
            let (admin, _) = try await client.signIn("ada.admin")
            for adminPage in ["/console/users", "/console/keys", "/console/audit"] {
                #expect(try await client.get(adminPage, admin).status == .ok, "\(adminPage)")
            }
            #expect(try await client.get("/console/files/999", admin).status == .notFound)
            #expect(try await client.get("/console/files?from=demain", admin).status == .badRequest)
        }
        #expect(try Self.quarantined(fixture).allSatisfy { $0.status == "open" })
        let denied = try fixture.api.store.access.auditLog().filter { $0.action == "denied" }
        #expect(denied.count >= 5 && denied.allSatisfy { $0.actor.hasPrefix("console:") })
    }

    @Test("Every form needs the session's token: without it, nothing is done")
    func csrf() async throws {
        let fixture = try await ConsoleFixture()
        try fixture.fixFicheCodes()
        let record = try #require(try Self.quarantined(fixture).first).id
        try await fixture.api.app().test(.router) { client in
            var (staff, _) = try await client.signIn("omar.operator")
            staff.csrf = "pas-le-bon-jeton"
            let refused = try await client.post("/console/quarantine/\(record)/reprocess", staff)
            #expect(refused.status == .forbidden)
            #expect(refused.text.contains("Formulaire refusé"))
            #expect(try await client.post("/console/quarantine/reprocess", staff).status == .forbidden)
        }
        #expect(try Self.quarantined(fixture).allSatisfy { $0.status == "open" })
        #expect(try fixture.api.store.access.auditLog().contains { $0.action == "csrf-refused" })
    }

    @Test(
        "Quarantine: find the operator's record, fix the mapping, reprocess from the page: applied, journaled, audited",
        arguments: Backend.available)
    func reprocessAfterFix(backend: Backend) async throws {
        let fixture = try await ConsoleFixture(backend: backend)
        let entries = try Self.quarantined(fixture)
        #expect(entries.count == 2)
        let record = entries[0].id
        try await fixture.api.app().test(.router) { client in
            let (staff, _) = try await client.signIn("omar.operator")
            let list = try await client.get("/console/quarantine?flow=operator-followup", staff)
            #expect(list.text.contains("/console/quarantine/\(record)\""))
            // Before the fix: reprocessed, still refused, with its error.
            let before = try await client.post("/console/quarantine/\(record)/reprocess", staff)
            #expect(before.status == .seeOther)
            let still = try await client.get("/console/quarantine/\(record)", staff)
            #expect(still.text.contains("toujours refusé") && still.text.contains(">ouvert<"))
            try fixture.fixFicheCodes()
            let after = try await client.post("/console/quarantine/\(record)/reprocess", staff)
            #expect(after.status == .seeOther && after.headers[.location] == "/console/quarantine/\(record)")
            let applied = try await client.get("/console/quarantine/\(record)", staff)
            #expect(applied.text.contains("repris et appliqué") && applied.text.contains(">repris<"))
            #expect(!applied.text.contains("/reprocess\""), "no action on a record already applied")
            // The file's rejection notice, as the partner receives it.
            let notice = try await client.get("/console/files/\(entries[0].fileID)/notice", staff)
            #expect(notice.status == .ok && notice.headers[.contentType]?.hasPrefix("text/csv") == true)
            #expect(notice.text.contains("sortie_type") && !notice.text.contains("HAEGEL"), "\(notice.text)")
            // The file's page shows the replay.
            let file = try await client.get("/console/files/\(entries[0].fileID)", staff)
            #expect(file.text.contains("Reprises") && file.text.contains("console:omar.operator"))
        }
        #expect(try Self.quarantined(fixture).map(\.status) == ["reprocessed", "open"])
        let audit = try fixture.api.store.access.auditLog()
        #expect(audit.contains { $0.action == "reprocess" && $0.actor == "console:omar.operator" })
    }

    @Test("Bulk reprocess of a filter; resolve by hand needs a reason and closes the record")
    func bulkAndResolve() async throws {
        let fixture = try await ConsoleFixture()
        let entries = try Self.quarantined(fixture)
        try await fixture.api.app().test(.router) { client in
            let (staff, _) = try await client.signIn("omar.operator")
            let noReason = try await client.post("/console/quarantine/\(entries[1].id)/resolve", staff)
            #expect(noReason.status == .badRequest)
            let resolved = try await client.post(
                "/console/quarantine/\(entries[1].id)/resolve", staff, ["reason": "corrigé dans le fichier d'octobre"])
            #expect(resolved.status == .seeOther)
            let again = try await client.post(
                "/console/quarantine/\(entries[1].id)/resolve", staff, ["reason": "deux fois"])
            #expect(again.status == .conflict)
            try fixture.fixFicheCodes()
            let bulk = try await client.post(
                "/console/quarantine/reprocess", staff, ["flow": "operator-followup", "status": "open"])
            #expect(bulk.status == .seeOther)
            let page = try await client.get("/console/quarantine", staff)
            #expect(page.text.contains("1 enregistrement(s), 1 appliqué(s)"))
        }
        let after = try Self.quarantined(fixture)
        #expect(after.map(\.status) == ["reprocessed", "resolved"])
        #expect(after[1].resolution == "corrigé dans le fichier d'octobre")
        #expect(try fixture.api.store.access.auditLog().contains { $0.action == "resolve" })
    }

    @Test("The raw record is masked by default; revealing it needs a purpose, is audited, and is never cached")
    func reveal() async throws {
        let fixture = try await ConsoleFixture()
        let record = try Self.quarantined(fixture)[1].id
        try await fixture.api.app().test(.router) { client in
            let (staff, _) = try await client.signIn("omar.operator")
            let masked = try await client.get("/console/quarantine/\(record)", staff)
            #expect(masked.text.contains("H*****") && !masked.text.contains("HAEGEL"))
            #expect(!masked.text.contains("17/04/1988"))
            #expect(try await client.post("/console/quarantine/\(record)/reveal", staff).status == .badRequest)
            let shown = try await client.post(
                "/console/quarantine/\(record)/reveal", staff, ["purpose": "vérifier la date de sortie"])
            #expect(shown.status == .ok && shown.text.contains("HAEGEL") && shown.text.contains("17/04/1988"))
            #expect(shown.headers[.cacheControl] == "no-store")
        }
        let reveal = try #require(try fixture.api.store.access.auditLog().first { $0.action == "reveal-raw" })
        #expect(reveal.actor == "console:omar.operator" && reveal.subject == "record:\(record)")
        #expect(reveal.purpose == "vérifier la date de sortie")
    }

    @Test("No page shows a full NIR or a name: lists, a person's page, a record, the reports")
    func personalDataMasked() async throws {
        let fixture = try await ConsoleFixture()
        let store = fixture.api.store
        let people = try store.people.findPeople("1")
        var names: Set<String> = ["HAEGEL", "Loic"]
        var nirs: Set<String> = []
        var uris = [
            "/console", "/console/files", "/console/quarantine?status=all", "/console/exchanges", "/console/reports",
            "/console/reports/dashboard", "/console/users", "/console/keys",
        ]
        for id in 1...20 {
            guard let person = try store.people.person(Int64(id)) else { continue }
            names.insert(person.surname)
            if person.firstName.count > 2 { names.insert(person.firstName) }
            uris.append("/console/people/\(id)")
        }
        for file in try store.ledger.receivedFiles() { uris.append("/console/files/\(file.id)") }
        for entry in try Self.quarantined(fixture) { uris.append("/console/quarantine/\(entry.id)") }
        let xml = try String(contentsOfFile: Repo.sample("cnaf/caf-67-2026-09.xml"), encoding: .isoLatin1)
        for match in xml.matches(of: /<NIR>([0-9AB]{13,15})<\/NIR>/) { nirs.insert(String(match.output.1)) }
        #expect(!nirs.isEmpty && names.count > 3)
        _ = people
        uris.append("/console/people?q=x")
        uris.append("/console/audit")
        let (allURIs, allNIRs, allNames) = (uris, nirs, names)
        let firstNIR = try #require(nirs.first)
        try await fixture.api.app().test(.router) { client in
            let (uris, nirs, names) = (allURIs, allNIRs, allNames)
            let (staff, _) = try await client.signIn("ada.admin")
            let search = try await client.get("/console/people?q=\(firstNIR)", staff)
            for (uri, page) in [("search", search)]
                + (try await uris.asyncMap { ($0, try await client.get($0, staff)) })
            {
                #expect(page.status == .ok, "\(uri)")
                for nir in nirs { #expect(!page.text.contains(nir), "\(uri) shows a NIR") }
                for name in names where name.count > 2 {
                    #expect(
                        !page.text.contains(">\(name)<") && !page.text.contains(" \(name) "), "\(uri) shows \(name)")
                }
            }
        }
        #expect(try store.access.auditLog().contains { $0.action == "search-person" && !$0.subject.contains(firstNIR) })
    }

    @Test(
        "People: found by a masked identifier as reports write it (every person it may stand for), audited masked",
        arguments: Backend.available)
    func maskedSearch(backend: Backend) async throws {
        let fixture = try await ConsoleFixture(backend: backend)
        let people = fixture.api.store.people
        let known = try #require(try (1...20).compactMap { try people.person(Int64($0)) }.first { $0.maskedNIR != nil })
        let masked = try #require(known.maskedNIR)
        let found = try people.findPeople("NIR " + masked)
        #expect(found.contains(known.personID))
        for id in found { #expect(try people.person(id)?.maskedNIR?.prefix(3) == masked.prefix(3)) }
        #expect(try people.findPeople("***").isEmpty)
        // A person's page shows their household's status changes, with the file each came from.
        let changed = try #require(
            try (1...30).first { !(try people.statusChanges(personID: Int64($0))).isEmpty }.map(Int64.init))
        let change = try #require(try people.statusChanges(personID: changed).first)
        try await fixture.api.app().test(.router) { client in
            let (staff, _) = try await client.signIn("lea.viewer")
            let page = try await client.get(
                "/console/people?q=" + ("NIR " + masked).addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
                staff)
            #expect(page.status == .ok && page.text.contains("/console/people/\(known.personID)\""))
            let person = try await client.get("/console/people/\(changed)", staff)
            #expect(person.text.contains("Changements de situation") && person.text.contains(change.change.kind))
            #expect(person.text.contains("/console/files/\(change.fileID)\""))
        }
    }

    @Test("An administrator adds and disables accounts from the console; a short password is refused")
    func accounts() async throws {
        let fixture = try await ConsoleFixture()
        try await fixture.api.app().test(.router) { client in
            let (admin, _) = try await client.signIn("ada.admin")
            let short = try await client.post(
                "/console/users", admin, ["login": "new.one", "name": "New", "role": "viewer", "password": "court"])
            #expect(short.status == .badRequest && short.text.contains("trop court"))
            let added = try await client.post(
                "/console/users", admin,
                ["login": "new.one", "name": "New One", "role": "operator", "password": ConsoleFixture.password])
            #expect(added.status == .seeOther)
            let (newOne, signedIn) = try await client.signIn("new.one")
            #expect(signedIn.status == .seeOther && !newOne.csrf.isEmpty)
            #expect(try await client.post("/console/users/new.one/disable", admin).status == .seeOther)
            #expect(try await client.get("/console", newOne).status == .seeOther, "a disabled account's session ends")
            #expect(try await client.post("/console/users/ada.admin/disable", admin).status == .badRequest)
        }
        #expect(try fixture.api.store.staff.account(login: "new.one")?.isActive == false)
        let actions = Set(try fixture.api.store.access.auditLog().map(\.action))
        #expect(actions.isSuperset(of: ["staff-account-created", "staff-account-disabled"]))
    }

    @Test(
        "Exchanges: « relancer maintenant » starts the scheduler's exchange (operator only, audited); audit page for admins"
    )
    func runExchangeNow() async throws {
        let fixture = try await ConsoleFixture()
        let started = Mutex<[String]>([])
        var api = fixture.api.api
        api.schedulerHealth = {
            SchedulerHealth(
                alive: true, lastLook: nil, running: [],
                exchanges: [.init(id: "cnaf", outcome: "failed", finishedAt: "2026-12-06T05:30:00Z", durationMS: 12)])
        }
        api.runExchangeNow = { id in
            guard id == "cnaf" else { return .unknown }
            started.withLock { $0.append(id) }
            return .started
        }
        let app = Application(router: api.buildRouter(), logger: APIFixture.silent)
        try await app.test(.router) { client in
            let (viewer, _) = try await client.signIn("lea.viewer")
            let page = try await client.get("/console/exchanges", viewer)
            #expect(page.text.contains("cnaf") && page.text.contains("échoué") && !page.text.contains("Relancer"))
            #expect(try await client.post("/console/exchanges/cnaf/run", viewer).status == .forbidden)
            let (operatorStaff, _) = try await client.signIn("omar.operator")
            #expect(try await client.get("/console/exchanges", operatorStaff).text.contains("Relancer maintenant"))
            let run = try await client.post("/console/exchanges/cnaf/run", operatorStaff)
            #expect(run.status == .seeOther && run.headers[.location] == "/console/exchanges?exchange=cnaf")
            #expect(try await client.post("/console/exchanges/inconnu/run", operatorStaff).status == .notFound)
            #expect(try await client.get("/console/audit", operatorStaff).status == .forbidden)
            let (admin, _) = try await client.signIn("ada.admin")
            let audit = try await client.get("/console/audit?action=run-exchange", admin)
            #expect(audit.status == .ok && audit.text.contains("console:omar.operator"))
            #expect(audit.text.components(separatedBy: "class=\"audit-entry\"").count - 1 == 2)
        }
        #expect(started.withLock { $0 } == ["cnaf"])
    }

    @Test("A refused file retried from its page; a person exported for the right of access, with a purpose, audited")
    func retryAndExport() async throws {
        let fixture = try await ConsoleFixture()
        let caf = try fixture.api.store.access.createAPIKey(
            partner: "caf-msa", scopes: [.push(flow: "caf-beneficiaires")]
        )
        .key
        let person = try #require(try fixture.api.store.people.findPeople("1").first)
        try await fixture.api.app().test(.router) { client in
            let refused = try await client.execute(
                uri: "/v1/flows/caf-beneficiaires/files", method: .post, headers: .key(caf),
                body: try fileBody(Repo.sample("cnaf/bad/undefined-byte.xml")))
            let fileID = try #require(
                ((refused.json as? [String: Any])?["report"] as? [String: Any])?["fileID"] as? Int)
            let followup = try await client.execute(
                uri: "/v1/flows/operator-followup/files?name=suivi-operateurs-2026-09.csv", method: .post,
                headers: .key(fixture.api.operatorKey),
                body: try fileBody(Repo.sample("operator-followup/suivi-operateurs-2026-09.csv")))
            #expect(followup.status == .created)
            let (viewer, _) = try await client.signIn("lea.viewer")
            let page = try await client.get("/console/files/\(fileID)", viewer)
            #expect(page.text.contains("illisible") && !page.text.contains("/retry\""))
            #expect(try await client.post("/console/files/\(fileID)/retry", viewer).status == .forbidden)
            #expect(
                try await client.post("/console/people/\(person)/export", viewer, ["purpose": "x"]).status == .forbidden
            )
            let (staff, _) = try await client.signIn("omar.operator")
            #expect(try await client.get("/console/files/\(fileID)", staff).text.contains("/retry\""))
            let retried = try await client.post("/console/files/\(fileID)/retry", staff)
            #expect(retried.status == .seeOther && retried.headers[.location] == "/console/files/\(fileID)")
            let after = try await client.get("/console/files/\(fileID)", staff)
            #expect(
                after.text.contains("Nouvelle tentative du fichier n° \(fileID)") && after.text.contains("Tentative 2"))
            #expect(try await client.post("/console/people/\(person)/export", staff).status == .badRequest)
            let export = try await client.post(
                "/console/people/\(person)/export", staff, ["purpose": "demande de la personne"])
            #expect(export.status == .ok && export.headers[.contentType] == "application/json")
            #expect(export.headers[.contentDisposition]?.contains("personne-\(person).json") == true)
            let json = try #require(export.json as? [String: Any])
            #expect(json["households"] != nil)
            // The reports page: indicators for the period, the CV deposit, the findings.
            let reports = try await client.get("/console/reports?from=2025-01-01&as-of=2026-11-02", staff)
            #expect(reports.status == .ok && reports.text.contains("Indicateurs des fiches action, du 2025-01-01"))
            #expect(reports.text.contains("href=\"/console/people?q=NIR%20"), "a finding's masked NIR is a link")
            #expect(
                try await client.get("/console/reports?from=2027-01-01&as-of=2026-11-02", staff).status == .badRequest)
        }
        let audit = try fixture.api.store.access.auditLog()
        #expect(audit.contains { $0.action == "people-export" && $0.purpose == "demande de la personne" })
        #expect(audit.contains { $0.action == "retry" && $0.actor == "console:omar.operator" })
    }

    @Test("An administrator makes a partner's key (shown once, scopes checked) and revokes it; the key then fails")
    func apiKeys() async throws {
        let fixture = try await ConsoleFixture()
        try await fixture.api.app().test(.router) { client in
            let (operatorStaff, _) = try await client.signIn("omar.operator")
            #expect(try await client.get("/console/keys", operatorStaff).status == .forbidden)
            let (admin, _) = try await client.signIn("ada.admin")
            let wrong = try await client.post(
                "/console/keys", admin, ["partner": "job-connexion", "scopes": "flow:jobconnexion-cv:out"])
            #expect(wrong.status == .badRequest && wrong.text.contains("entrant (in)"))
            let made = try await client.post(
                "/console/keys", admin,
                [
                    "partner": "job-connexion", "scopes": "flow:jobconnexion-cv:in flow:rejection-notices:out",
                    "label": "Équipe Job Connexion",
                ])
            #expect(made.status == .ok && made.headers[.cacheControl] == "no-store")
            let page = made.text
            let start = try #require(page.range(of: #"<pre class="raw" id="new-key">"#))
            let key = String(page[start.upperBound...].prefix { $0 != "<" })
            #expect(key.hasPrefix("igw_"))
            let works = try await client.execute(
                uri: "/v1/partners/job-connexion/rejections", method: .get, headers: .key(key))
            #expect(works.status == .ok)
            // Listed by its prefix, never again in full.
            let listed = try await client.get("/console/keys", admin)
            #expect(!listed.text.contains(key) && listed.text.contains("Équipe Job Connexion"))
            let record = try #require(
                try fixture.api.store.access.apiKeys().first { $0.label == "Équipe Job Connexion" })
            let revoked = try await client.post("/console/keys/\(record.keyID)/revoke", admin)
            #expect(revoked.status == .seeOther)
            let refused = try await client.execute(
                uri: "/v1/partners/job-connexion/rejections", method: .get, headers: .key(key))
            #expect(refused.status == .unauthorized)
        }
        let actions = try fixture.api.store.access.auditLog().filter { $0.actor == "console:ada.admin" }.map(\.action)
        #expect(actions.contains("key-created") && actions.contains("key-revoked"))
    }

    @Test("Raw masking: values reduced to their first character, a NIR to three, structure kept")
    func rawMasking() {
        #expect(
            RawMasking.mask("OP67-SOCIOPRO;SP-1203;5;HAEGEL;Loic;17/04/1988;;O")
                == "O************;S******;5;H*****;L***;1*********;;O")
        #expect(
            RawMasking.mask("<NIR>1840367482123</NIR><NOM>DUPONT</NOM>") == "<NIR>184**********</NIR><NOM>D*****</NOM>")
        #expect(
            RawMasking.mask(#"{"nom": "Marie Claire", "code": "CAF"}"#) == #"{"nom": "M***********", "code": "CAF"}"#)
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
