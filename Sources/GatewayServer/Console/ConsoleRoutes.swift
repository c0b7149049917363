import Foundation
import GatewayCore
import GatewayMapping
import GatewayPipeline
import GatewayReports
import GatewayStore
import Hummingbird
import HummingbirdAuth
import NIOCore

/// One page or action of the console: who may reach it, and what it does. The table in `ConsoleRoutes.all` is
/// the only list: the router registers from it, and the tests walk it (every page, every role).
struct ConsoleRoute: Sendable {
    enum Name: String, Sendable, CaseIterable {
        case overview, files, file, fileRetry, quarantine, quarantineRecord, quarantineReveal, quarantineReprocess
        case quarantineResolve, quarantineBulkReprocess, exchanges, people, person, personExport, reports, dashboard
        case users, exchangeRun, audit, fileNotice, keys, keyAdd, keyRevoke
        case userAdd, userDisable
    }

    let name: Name
    let method: HTTPRequest.Method
    /// Under `/console`, as Hummingbird's router writes it.
    let path: String
    let role: StaffRole
}

enum ConsoleRoutes {
    static let all: [ConsoleRoute] = [
        ConsoleRoute(name: .overview, method: .get, path: "", role: .viewer),
        ConsoleRoute(name: .files, method: .get, path: "files", role: .viewer),
        ConsoleRoute(name: .file, method: .get, path: "files/:id", role: .viewer),
        ConsoleRoute(name: .fileRetry, method: .post, path: "files/:id/retry", role: .operator),
        ConsoleRoute(name: .fileNotice, method: .get, path: "files/:id/notice", role: .viewer),
        ConsoleRoute(name: .quarantine, method: .get, path: "quarantine", role: .viewer),
        ConsoleRoute(name: .quarantineBulkReprocess, method: .post, path: "quarantine/reprocess", role: .operator),
        ConsoleRoute(name: .quarantineRecord, method: .get, path: "quarantine/:id", role: .viewer),
        ConsoleRoute(name: .quarantineReveal, method: .post, path: "quarantine/:id/reveal", role: .operator),
        ConsoleRoute(name: .quarantineReprocess, method: .post, path: "quarantine/:id/reprocess", role: .operator),
        ConsoleRoute(name: .quarantineResolve, method: .post, path: "quarantine/:id/resolve", role: .operator),
        ConsoleRoute(name: .exchanges, method: .get, path: "exchanges", role: .viewer),
        ConsoleRoute(name: .exchangeRun, method: .post, path: "exchanges/:exchange/run", role: .operator),
        ConsoleRoute(name: .people, method: .get, path: "people", role: .viewer),
        ConsoleRoute(name: .person, method: .get, path: "people/:id", role: .viewer),
        ConsoleRoute(name: .personExport, method: .post, path: "people/:id/export", role: .operator),
        ConsoleRoute(name: .reports, method: .get, path: "reports", role: .viewer),
        ConsoleRoute(name: .dashboard, method: .get, path: "reports/dashboard", role: .viewer),
        ConsoleRoute(name: .users, method: .get, path: "users", role: .admin),
        ConsoleRoute(name: .audit, method: .get, path: "audit", role: .admin),
        ConsoleRoute(name: .keys, method: .get, path: "keys", role: .admin),
        ConsoleRoute(name: .keyAdd, method: .post, path: "keys", role: .admin),
        ConsoleRoute(name: .keyRevoke, method: .post, path: "keys/:key/revoke", role: .admin),
        ConsoleRoute(name: .userAdd, method: .post, path: "users", role: .admin),
        ConsoleRoute(name: .userDisable, method: .post, path: "users/:login/disable", role: .admin),
    ]
}

/// A console request once the staff member is known: who, their session, what the form posted.
struct ConsoleCall {
    var request: Request
    var context: APIContext
    var account: StaffAccount
    var session: ConsoleSession
    var form: FormFields
    var query: FormFields

    var actor: String { "console:" + account.login }
}

/// A console page that cannot be shown: its status and a French message.
struct ConsoleError: Error {
    var status: HTTPResponse.Status
    var message: String

    static func notFound(_ message: String) -> ConsoleError { ConsoleError(status: .notFound, message: message) }
    static func badRequest(_ message: String) -> ConsoleError { ConsoleError(status: .badRequest, message: message) }
}

extension GatewayAPI {
    static let signInCookie = "igw_signin"
    static let sessionCookie = "igw_session"

    /// The console's routes under `/console`, behind hummingbird-auth's session middleware.
    func addConsole(to router: Router<APIContext>) {
        let console = configuration.console
        let cookie = SessionCookieParameters(
            name: Self.sessionCookie, path: "/console", secure: console.secureCookies, sameSite: .strict)
        let group = router.group("console").add(
            middleware: SessionMiddleware<APIContext>(
                storage: sessionStore,
                configuration: SessionMiddlewareConfiguration(
                    sessionCookieParameters: cookie, keyPrefix: "console.",
                    defaultSessionExpiration: console.sessionLifetime)))
        group.get("style.css") { _, _ in
            let css = try ConsoleTemplates.shared.get().stylesheet
            return Response(
                status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=3600"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: css)))
        }
        group.get("sign-in") { request, context in try await self.signInPage(request, context, message: nil) }
        group.post("sign-in") { request, context in try await self.signIn(request, context) }
        group.post("sign-out") { request, context in try await self.signOut(request, context) }
        for route in ConsoleRoutes.all {
            group.on(RouterPath(stringLiteral: route.path), method: route.method) { request, context in
                try await self.console(route, request, context)
            }
        }
    }

    // MARK: Signing in

    func signInPage(
        _ request: Request, _ context: APIContext, message: String?, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let token = randomToken()
        let next = (try? FormFields(request.uri.query ?? ""))?["next"] ?? ""
        var response = Response.html(
            try ConsoleTemplates.shared.get().render(
                "sign-in",
                [
                    "title": "Connexion", "csrf": token, "next": Self.safeNext(next) ?? "",
                    "error": message as Any,
                ]), status: status)
        // Double-submit: the form's token and this cookie must agree (no session exists yet).
        response.setCookie(
            Cookie(
                name: Self.signInCookie, value: token, maxAge: 1800, path: "/console",
                secure: configuration.console.secureCookies, httpOnly: true, sameSite: .strict))
        return response
    }

    /// Where to go after signing in: a console page only, never another site.
    static func safeNext(_ next: String) -> String? {
        guard next.hasPrefix("/console"), !next.hasPrefix("//"), !next.contains("\\"),
            next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
        else { return nil }
        return next
    }

    func signIn(_ request: Request, _ context: APIContext) async throws -> Response {
        let form = (try? await FormFields.read(request)) ?? FormFields()
        let address = context.remoteAddress?.ipAddress ?? "inconnue"
        let login = (form["login"] ?? "").lowercased()
        let shownLogin = SQLStaffRepository.isValidLogin(login) ? login : "?"
        guard let cookie = request.cookies[Self.signInCookie]?.value, sameToken(String(cookie), form["csrf"] ?? "")
        else {
            await consoleAudit(
                actor: "console:" + shownLogin, action: "sign-in-refused", subject: "csrf", purpose: "connexion",
                status: 403)
            return try await signInPage(
                request, context, message: "Formulaire expiré ou venu d'ailleurs : recommencer.", status: .forbidden)
        }
        for key in ["address:" + address, "login:" + login] {
            if let wait = signInFailures.waiting(key) {
                await consoleAudit(
                    actor: "console:" + shownLogin, action: "sign-in-blocked", subject: shownLogin,
                    purpose: "connexion", status: 429)
                return try await signInPage(
                    request, context,
                    message: "Trop d'échecs de connexion : réessayer dans \(Int(wait.rounded(.up))) secondes.",
                    status: .tooManyRequests)
            }
        }
        let password = form.values["password"] ?? ""
        let staff = repositories.staff
        let account = try await offload { () -> StaffAccount? in
            let account = try staff.account(login: login)
            // The hash is checked even for an unknown login, so that timing does not tell which logins exist.
            let verified = StaffPasswords.verify(password, hash: account?.passwordHash ?? Self.decoyHash)
            guard let account, account.isActive, verified else { return nil }
            return account
        }
        guard let account else {
            _ = signInFailures.take("address:" + address)
            _ = signInFailures.take("login:" + login)
            await consoleAudit(
                actor: "console:" + shownLogin, action: "sign-in-failed", subject: shownLogin, purpose: "connexion",
                status: 401)
            return try await signInPage(
                request, context, message: "Identifiant ou mot de passe incorrect, ou compte désactivé.",
                status: .unauthorized)
        }
        let lifetime = configuration.console.sessionLifetime
        let now = configuration.console.now().timeIntervalSince1970
        context.sessions.createSession(
            ConsoleSession(
                login: account.login, csrf: randomToken(), expiresAt: now + Double(lifetime.components.seconds),
                flash: nil), expiresIn: lifetime)
        await consoleAudit(
            actor: "console:" + account.login, action: "sign-in", subject: account.login, purpose: "connexion",
            status: 303)
        var response = Response.seeOther(Self.safeNext(form["next"] ?? "") ?? "/console")
        response.setCookie(
            Cookie(
                name: Self.signInCookie, value: "", maxAge: 0, path: "/console",
                secure: configuration.console.secureCookies, httpOnly: true, sameSite: .strict))
        return response
    }

    /// A bcrypt hash of a random password nobody knows, checked for unknown logins (made once, at the default cost).
    static let decoyHash = StaffPasswords.hash(randomToken())

    func signOut(_ request: Request, _ context: APIContext) async throws -> Response {
        let form = (try? await FormFields.read(request)) ?? FormFields()
        if let session = context.sessions.session, sameToken(session.csrf, form["csrf"] ?? "") {
            context.sessions.clearSession()
            await consoleAudit(
                actor: "console:" + session.login, action: "sign-out", subject: session.login, purpose: "connexion",
                status: 303)
        }
        return .seeOther("/console/sign-in")
    }

    // MARK: Dispatch

    /// A console route: the session checked (signed in, not expired, account active), the role, the CSRF token of a
    /// form; then the page, or an error page in French.
    func console(_ route: ConsoleRoute, _ request: Request, _ context: APIContext) async throws -> Response {
        let signIn =
            "/console/sign-in?next="
            + (request.uri.path.addingPercentEncoding(
                withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "/-_"))) ?? "")
        guard let session = context.sessions.session else { return .seeOther(signIn) }
        guard configuration.console.now().timeIntervalSince1970 < session.expiresAt else {
            context.sessions.clearSession()
            return .seeOther(signIn)
        }
        let staff = repositories.staff
        guard let account = try await offload({ try staff.account(login: session.login) }), account.isActive else {
            context.sessions.clearSession()
            return .seeOther(signIn)
        }
        var call = ConsoleCall(
            request: request, context: context, account: account, session: session, form: FormFields(),
            query: FormFields())
        if let flash = session.flash {
            context.sessions.withLockedSession { $0?.flash = nil }
            call.session.flash = flash
        }
        guard account.role >= route.role else {
            await consoleAudit(
                actor: call.actor, action: "denied", subject: "\(route.method.rawValue) \(request.uri.path)",
                purpose: "console", status: 403)
            return try page(
                call, "error", title: "Accès refusé",
                ["message": "Votre rôle (\(account.role.label)) ne permet pas cette page ou cette action."],
                status: .forbidden)
        }
        do {
            call.query = try FormFields(request.uri.query ?? "")
            if route.method == .post {
                call.form = try await FormFields.read(request)
                guard sameToken(session.csrf, call.form["csrf"] ?? "") else {
                    await consoleAudit(
                        actor: call.actor, action: "csrf-refused", subject: "/console/\(route.path)",
                        purpose: "console", status: 403)
                    return try page(
                        call, "error", title: "Formulaire refusé",
                        [
                            "message":
                                "Ce formulaire n'est pas celui de votre session : rechargez la page et recommencez."
                        ], status: .forbidden)
                }
            }
            return try await handle(route, call)
        } catch let error as ConsoleError {
            return try page(call, "error", title: "Erreur", ["message": error.message], status: error.status)
        } catch let error as ReplayError {
            return try page(
                call, "error", title: "Action impossible", ["message": error.description], status: .conflict)
        }
    }

    func handle(_ route: ConsoleRoute, _ call: ConsoleCall) async throws -> Response {
        switch route.name {
        case .overview: return try await overviewPage(call)
        case .files: return try await filesPage(call)
        case .file: return try await filePage(call)
        case .fileRetry: return try await retryFile(call)
        case .fileNotice:
            let id = try number(call)
            guard let notice = try await noticeResponse(fileID: id, where: { _ in true }) else {
                throw ConsoleError.notFound("Fichier n° \(id) inconnu du registre.")
            }
            await consoleAudit(
                actor: call.actor, action: "read-rejection-notice", subjectKind: .file, subject: "file:\(id)",
                purpose: "avis de rejet", status: 200)
            return notice
        case .quarantine: return try await quarantinePage(call)
        case .quarantineRecord: return try await recordPage(call, revealed: false)
        case .quarantineReveal: return try await revealRecord(call)
        case .quarantineReprocess: return try await reprocessRecord(call)
        case .quarantineResolve: return try await resolveRecord(call)
        case .quarantineBulkReprocess: return try await reprocessFilter(call)
        case .exchanges: return try await exchangesPage(call)
        case .exchangeRun: return try await runExchange(call)
        case .audit: return try await auditPage(call)
        case .keys: return try await keysPage(call, created: nil)
        case .keyAdd: return try await addKey(call)
        case .keyRevoke: return try await revokeKey(call)
        case .people: return try await peoplePage(call)
        case .person: return try await personPage(call)
        case .personExport: return try await exportPerson(call)
        case .reports: return try await reportsPage(call)
        case .dashboard: return try await dashboardPage(call)
        case .users: return try await usersPage(call)
        case .userAdd: return try await addUser(call)
        case .userDisable: return try await disableUser(call)
        }
    }

    /// A page of the layout: the staff member, the navigation, the session's token for forms, a one-time message.
    func page(
        _ call: ConsoleCall, _ template: String, title: String, _ data: [String: Any],
        status: HTTPResponse.Status = .ok
    ) throws -> Response {
        let sections: [(String, String, StaffRole)] = [
            ("/console", "Vue d’ensemble", .viewer), ("/console/files", "Fichiers", .viewer),
            ("/console/quarantine", "Quarantaine", .viewer), ("/console/exchanges", "Échanges", .viewer),
            ("/console/people", "Personnes", .viewer), ("/console/reports", "Rapports", .viewer),
            ("/console/users", "Comptes", .admin), ("/console/keys", "Clés d’API", .admin),
            ("/console/audit", "Audit", .admin),
        ]
        let path = call.request.uri.path
        var all = data
        // `{{#rowsAny}}` around a table: whether the list `rows` has any row (a table's head is written once).
        for (key, value) in data {
            if let list = value as? [Any] { all[key + "Any"] = !list.isEmpty }
        }
        all["title"] = title
        all["csrf"] = call.session.csrf
        all["flash"] = call.session.flash as Any
        all["canAct"] = call.account.role >= .operator
        all["isAdmin"] = call.account.role >= .admin
        all["user"] = ["name": call.account.displayName, "role": call.account.role.label]
        all["nav"] = sections.filter { call.account.role >= $0.2 }.map { href, label, _ in
            [
                "href": href, "label": label,
                "current": href == "/console" ? path == "/console" : path.hasPrefix(href),
            ] as [String: Any]
        }
        return .html(try ConsoleTemplates.shared.get().render(template, Self.sectionReady(all)), status: status)
    }

    /// The data as Mustache sections read it: an empty text or an absent value is left out (Mustache would open a
    /// section for an empty text), within lists and nested objects too.
    static func sectionReady(_ data: [String: Any]) -> [String: Any] {
        // In a list, an empty text stays: it is a table's empty cell.
        func ready(_ value: Any, inList: Bool) -> Any? {
            if let text = value as? String { return text.isEmpty && !inList ? nil : text }
            if let object = value as? [String: Any] { return sectionReady(object) }
            if let list = value as? [Any] { return list.compactMap { ready($0, inList: true) } }
            let mirror = Mirror(reflecting: value)
            if mirror.displayStyle == .optional {
                guard let wrapped = mirror.children.first?.value else { return nil }
                return ready(wrapped, inList: inList)
            }
            return value
        }
        return data.compactMapValues { ready($0, inList: false) }
    }

    /// After an action: a message for the next page, then back to `location`.
    func done(_ call: ConsoleCall, _ message: String, then location: String) -> Response {
        call.context.sessions.withLockedSession { $0?.flash = message }
        return .seeOther(location)
    }

    /// The number in the path's `name`.
    func number(_ call: ConsoleCall, _ name: String = "id") throws -> Int64 {
        guard let text = call.context.parameters.get(name), let value = Int64(text), value > 0 else {
            throw ConsoleError.notFound("Numéro attendu dans l'adresse.")
        }
        return value
    }

    /// Appends to the audit log, as the API does; a failure there is logged, never shown.
    func consoleAudit(
        actor: String, action: String, subjectKind: AuditSubject = .route, subject: String, purpose: String,
        status: Int
    ) async {
        let entry = AuditEntry(
            actor: actor, partner: nil, action: action, subjectKind: subjectKind, subject: subject, purpose: purpose,
            route: "console", status: status)
        let access = repositories.access
        do {
            try await offload { try access.audit(entry) }
        } catch {
            logger.error("audit log write failed", metadata: ["error": "\(type(of: error))"])
        }
    }
}
