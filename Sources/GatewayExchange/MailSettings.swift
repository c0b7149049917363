import Foundation
import GatewayTransport

/// `mail:` in `gateway.yaml`: where the mails to the people who must act go, from whom, to whom, and how often a
/// mail the server did not take is tried again.
public struct MailSettings: Sendable {
    public enum Destination: Sendable, Equatable {
        /// An SMTP server (STARTTLS or implicit TLS, always verified).
        case server(SMTPServer)
        /// `.eml` files in a folder.
        case folder(String)
    }

    public var destination: Destination
    public var from: String
    /// The addresses of each partner's people, by the partner's id as the exchanges name it: an operator's code
    /// (its alerts), `developpeurs-emploi` and `conseillers-relais-entreprises` (the candidates), `equipe-donnees`
    /// (failures, refused files, notices sent, CV deposit under target).
    public var recipients: [String: [String]]
    /// The folder of the templates (`<event>.mustache`); the mappings' `mail/` when nil.
    public var templates: String?
    /// The API's public address, for the links in the mails (none when nil).
    public var apiURL: String?
    /// Attempts of one mail before it is abandoned, and the wait between two (doubled each time).
    public var retries = MailSettings.defaultRetries

    public init(
        destination: Destination, from: String, recipients: [String: [String]], templates: String? = nil,
        apiURL: String? = nil
    ) {
        self.destination = destination
        self.from = from
        self.recipients = recipients
        self.templates = templates
        self.apiURL = apiURL
    }

    /// The sender of `destination`; `environment` holds the variables its password may name.
    public func sender(environment: [String: String]) throws -> any MailSender {
        switch destination {
        case .server(let server): try SMTPMailer(server: server, environment: environment)
        case .folder(let folder): MailFolder(folder: folder)
        }
    }
}

extension ConfigReader {
    /// Reads `mail:`, every problem listed with the others of the file.
    mutating func mail(_ value: Any) -> MailSettings? {
        let at = "mail"
        guard let object = value as? [String: Any] else {
            problem("mail : un objet { server ou folder, from, recipients, … }")
            return nil
        }
        let before = problems.count
        unknownKeys(
            object,
            allowed: [
                "server", "folder", "from", "credentials", "tls", "timeouts", "recipients", "templates", "api-url",
                "retries",
            ], at: at)
        var destination: MailSettings.Destination?
        switch (string(object, "server", at: at), string(object, "folder", at: at)) {
        case (let url?, nil):
            let parsed = URL(string: url)
            if let scheme = parsed?.scheme?.lowercased(), ["smtp", "smtps"].contains(scheme), parsed?.host != nil {
                if parsed?.password != nil {
                    problem("mail : secret en clair refusé dans l'URL du serveur : utiliser credentials")
                }
                var server = SMTPServer(url: url)
                server.user = parsed?.user
                (server.connectTimeout, server.idleTimeout) = timeouts(
                    object["timeouts"], at: at, defaults: (server.connectTimeout, server.idleTimeout))
                if let spec = object["credentials"] as? [String: Any] {
                    unknownKeys(spec, allowed: ["user", "password-env", "password-file"], at: "mail credentials")
                    server.user = string(spec, "user", at: at) ?? server.user
                    server.password = reference(spec, "password", at: at)
                } else if object["credentials"] != nil {
                    problem("mail : credentials : un objet { user, password-env ou password-file }")
                }
                if let spec = object["tls"] as? [String: Any] {
                    unknownKeys(spec, allowed: ["ca-file"], at: "mail tls")
                    server.caFile = readableFile(spec, "ca-file", at: at)
                } else if object["tls"] != nil {
                    problem("mail : tls : { ca-file: chemin }")
                }
                destination = .server(server)
            } else {
                problem("mail : server « \(url) » : smtp://hôte:port (STARTTLS) ou smtps://hôte:port attendu")
            }
        case (nil, let folder?) where !folder.isEmpty:
            for key in ["credentials", "tls", "timeouts"] where object[key] != nil {
                problem("mail : \(key) : seulement avec server")
            }
            destination = .folder(folder)
        default: problem("mail : server (smtp:// ou smtps://) ou folder (dossier de fichiers .eml), l'un des deux")
        }
        let from = string(object, "from", at: at) ?? ""
        if !Self.isAddress(from) { problem("mail : from : une adresse (ex. passerelle@departement.fr) requise") }
        var recipients: [String: [String]] = [:]
        if let spec = object["recipients"] as? [String: Any], !spec.isEmpty {
            for (partner, value) in spec {
                let addresses: [String] =
                    switch value {
                    case let one as String: [one]
                    case let many as [Any]: many.compactMap { $0 as? String }
                    default: []
                    }
                if addresses.isEmpty || !addresses.allSatisfy(Self.isAddress) {
                    problem("mail : recipients.\(partner) : une adresse ou une liste d'adresses")
                }
                recipients[partner] = addresses
            }
        } else {
            problem("mail : recipients : les adresses par partenaire (ex. equipe-donnees: [donnees@…]) requises")
        }
        let apiURL = string(object, "api-url", at: at)
        if let apiURL, !(apiURL.hasPrefix("https://") || apiURL.hasPrefix("http://")) {
            problem("mail : api-url : l'adresse publique de l'API (https://…)")
        }
        let templates = string(object, "templates", at: at)
        let retries = self.retries(object["retries"], at: at, defaults: MailSettings.defaultRetries)
        guard problems.count == before, let destination else { return nil }
        var settings = MailSettings(
            destination: destination, from: from, recipients: recipients, templates: templates,
            apiURL: apiURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 })
        settings.retries = retries
        return settings
    }

    /// One address, `local@domain`, without anything that would end an SMTP command or a header.
    static func isAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
            && !text.contains(where: { $0.isWhitespace || "<>,;\"()".contains($0) || !$0.isASCII })
    }
}

extension MailSettings {
    static let defaultRetries = Exchange.Retries(attempts: 8, backoff: 60, maxBackoff: 3600)
}
