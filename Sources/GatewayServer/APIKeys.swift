import GatewayCore
import GatewayMapping
import GatewayStore

/// Creating and revoking partners' API keys, checked and audited: what `keys add|revoke` and the console's « Clés »
/// page do.
public enum APIKeys {
    /// Why a key cannot be made, in French.
    public struct Problem: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// `flow:<flow>:in`, `flow:<flow>:out` or `admin`, each naming a known flow in its direction.
    public static func scopes(_ texts: [String], flows: [String: FlowMapping]) throws -> [APIScope] {
        guard !texts.isEmpty else { throw Problem("Au moins une portée.") }
        return try texts.map { text in
            let read = APIScope(text)
            if read == .admin { return .admin }
            guard let read, let wanted = read.flow, let flow = flows[wanted.id] else {
                throw Problem(
                    "Portée invalide « \(text) » : admin, flow:<flux>:in ou flow:<flux>:out (flux : \(flows.keys.sorted().joined(separator: ", ")))."
                )
            }
            let actual = Catalogue.direction(ofEntity: flow.record.entity.name)
            guard actual == wanted.direction else {
                throw Problem(
                    "« \(text) » : le flux \(wanted.id) est \(actual == .out ? "sortant (out)" : "entrant (in)").")
            }
            return read
        }
    }

    /// The partner's name and the scopes checked, before anything is written.
    public static func check(partner: String, scopes texts: [String], flows: [String: FlowMapping]) throws -> [APIScope]
    {
        guard !partner.isEmpty, partner.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw Problem("Partenaire : lettres, chiffres, - et _ seulement.")
        }
        return try scopes(texts, flows: flows)
    }

    /// A new key for `partner`: the key itself (shown once, kept only as its SHA-256) and its record; audited.
    public static func create(
        partner: String, scopes texts: [String], label: String?, flows: [String: FlowMapping], actor: String,
        access: any AccessRepository
    ) throws -> (key: String, record: APIKeyRecord) {
        let scopes = try check(partner: partner, scopes: texts, flows: flows)
        let created = try access.createAPIKey(partner: partner, scopes: scopes, label: label)
        try access.audit(
            AuditEntry(
                actor: actor, partner: partner, action: "key-created", subjectKind: .key, subject: created.1.keyID,
                purpose: "gestion des accès"))
        return created
    }

    /// Revokes the active key `keyID` and audits it; false when there is none.
    public static func revoke(keyID: String, actor: String, access: any AccessRepository) throws -> Bool {
        guard try access.revokeAPIKey(keyID: keyID) else { return false }
        try access.audit(
            AuditEntry(
                actor: actor, partner: nil, action: "key-revoked", subjectKind: .key, subject: keyID,
                purpose: "gestion des accès"))
        return true
    }
}
