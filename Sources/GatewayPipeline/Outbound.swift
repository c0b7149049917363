import Foundation
import GatewayCore
import GatewayFormats
import GatewayMapping
import GatewayStore
import Logging

/// The emitters: candidates for a post, alerts for operators, rejection notices for partners. Each writes through
/// an outbound mapping file (`Mappings/out-*.yaml`), which lists the only fields the partner receives.
public struct Outbound {
    public let flows: [String: FlowMapping]
    public let ledger: any LedgerRepository
    public let partnerRecords: any PartnerRecordRepository
    public let exchanges: any ExchangeRepository
    public let access: any AccessRepository

    /// The emitters over the repositories they read and write: partner records (posts, candidates, proposals,
    /// alerts), the ledger (notices); the journal and the audit log for the replay of waiting feedback.
    public init(
        flows: [String: FlowMapping], ledger: any LedgerRepository, partnerRecords: any PartnerRecordRepository,
        exchanges: any ExchangeRepository, access: any AccessRepository
    ) {
        self.flows = flows
        self.ledger = ledger
        self.partnerRecords = partnerRecords
        self.exchanges = exchanges
        self.access = access
    }

    /// The emitters over the store's repositories.
    public init(flows: [String: FlowMapping], store: GatewayStore) {
        self.init(
            flows: flows, ledger: store.ledger, partnerRecords: store.partnerRecords, exchanges: store.exchanges,
            access: store.access)
    }

    /// What an emitter wrote.
    public struct Written: Sendable, Codable, Equatable {
        public var path: String
        public var partner: String
        public var records: Int

        public init(path: String, partner: String, records: Int) {
            self.path = path
            self.partner = partner
            self.records = records
        }
    }

    public struct OutboundError: Error, CustomStringConvertible {
        public var description: String

        public init(description: String) { self.description = description }
    }

    /// The layout of an outbound flow in `format`.
    func layout(_ id: String, format: FileFormat) throws -> FlowMapping {
        guard let flow = flows[id] else {
            throw OutboundError(description: "Mapping du flux sortant « \(id) » absent.")
        }
        guard let chosen = ([flow] + flow.variants).first(where: { $0.format == format }) else {
            throw OutboundError(
                description: "Le flux « \(id) » ne s'écrit pas en \(format.rawValue.uppercased()).")
        }
        return chosen
    }

    /// Selects and ranks the candidates for a post, writes them in the format of the post's employer team
    /// (Développeurs Emploi for the Bas-Rhin, Conseillers Relais Entreprises for the Haut-Rhin) and records the
    /// proposals, whose references the team's feedback will carry.
    public func source(
        postID: String, format: FileFormat, directory: String, on day: LocalDate, limit: Int = 20
    ) throws -> Written {
        guard let post = try partnerRecords.jobPost(id: postID) else {
            throw OutboundError(description: "Offre « \(postID) » inconnue : importer d'abord le flux job-posts.")
        }
        guard post.team != nil else {
            throw OutboundError(description: "L'offre « \(postID) » n'est suivie par aucune équipe entreprises.")
        }
        let written = try write(
            post, candidates: try partnerRecords.sourcingCandidates(), format: format, directory: directory, on: day,
            limit: limit)
        try replayWaitingFeedback()
        return written
    }

    /// The scheduled sourcing: for each post still open on `day` (of `territory` when given), the candidates not
    /// yet proposed for it, ranked, in its team's format. A post closed or filled, or with nobody new to propose,
    /// gets no file.
    public func sourceOpenPosts(
        territory: String?, format: FileFormat, directory: String, on day: LocalDate, limit: Int = 20
    ) throws -> [Written] {
        let candidates = try partnerRecords.sourcingCandidates()
        var written: [Written] = []
        for known in try partnerRecords.sourcingPosts()
        where known.post.team != nil && (territory == nil || known.post.territory == territory)
            && known.post.isOpen(on: day, hired: known.hired)
        {
            let fresh = candidates.filter { !known.proposedPeople.contains($0.personID) }
            let file = try write(
                known.post, candidates: fresh, format: format, directory: directory, on: day, limit: limit)
            if file.records == 0 {
                try? FileManager.default.removeItem(atPath: file.path)
            } else {
                written.append(file)
            }
        }
        try replayWaitingFeedback()
        return written
    }

    /// Ranks `candidates` for `post`, writes the best `limit` for the post's team and records them as proposed.
    private func write(
        _ post: JobPost, candidates: [Sourcing.Candidate], format: FileFormat, directory: String, on day: LocalDate,
        limit: Int
    ) throws -> Written {
        let flow = try layout(
            post.team == .developpeursEmploi ? "de-candidates" : "cre-candidates", format: format)
        let ranked = Sourcing.rank(candidates, for: post, on: day).prefix(limit)
        let folder = (directory as NSString).appendingPathComponent(flow.partner)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = (folder as NSString).appendingPathComponent(
            "candidats-\(Self.safe(post.id))-\(day.formatted(.compact)).\(format.rawValue)")
        let emitter = try MappingEmitter(flow: flow, path: path)
        var proposals: [(id: String, post: JobPost, candidate: Sourcing.Candidate, rank: Int, score: Int)] = []
        for (offset, (candidate, closeness)) in ranked.enumerated() {
            let fields = Sourcing.fields(candidate, closeness: closeness, rank: offset + 1, post: post)
            try emitter.write(fields)
            proposals.append(
                (
                    Sourcing.proposalID(post: post, accompaniment: candidate.accompaniment), post, candidate,
                    offset + 1, closeness.score
                ))
        }
        try emitter.finish()
        try partnerRecords.recordProposals(proposals, on: day)
        return Written(path: path, partner: flow.partner, records: proposals.count)
    }

    /// Feedback read before the proposals it answers were made waited for them: it is applied now.
    private func replayWaitingFeedback() throws {
        guard try !ledger.quarantined(QuarantineFilter(waitingOnly: true)).isEmpty else { return }
        _ = try Replayer(
            flows: flows, ledger: ledger, exchanges: exchanges, access: access,
            logger: Logger(label: "insertion-gateway")
        )
        .reprocess(QuarantineFilter(waitingOnly: true), actor: "sourcing")
    }

    /// One alert file per operator, for the changes recorded after `afterFileID` (all when nil).
    public func alerts(directory: String, afterFileID: Int64? = nil, on day: LocalDate) throws -> [Written] {
        let flow = try layout("operator-alerts", format: .csv)
        var byOperator: [String: [CanonicalFields]] = [:]
        for alert in try partnerRecords.operatorAlerts(afterFileID: afterFileID) {
            byOperator[alert.operatorCode, default: []].append(alert.fields)
        }
        var written: [Written] = []
        for operatorCode in byOperator.keys.sorted() {
            let folder = ((directory as NSString).appendingPathComponent("operators") as NSString)
                .appendingPathComponent(Self.safe(operatorCode))
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let path = (folder as NSString).appendingPathComponent("alertes-\(day.formatted(.compact)).csv")
            let emitter = try MappingEmitter(flow: flow, path: path)
            for fields in byOperator[operatorCode] ?? [] { try emitter.write(fields) }
            try emitter.finish()
            written.append(Written(path: path, partner: operatorCode, records: emitter.recordsWritten))
        }
        return written
    }

    /// The rejection notice of a received file: one line per error, in French, in the encoding and with the
    /// delimiter of the partner's own flow.
    public func notice(fileID: Int64, directory: String) throws -> Written {
        guard let (file, records) = try ledger.rejections(fileID: fileID) else {
            throw OutboundError(description: "Fichier n° \(fileID) inconnu du registre.")
        }
        var flow = try layout("rejection-notices", format: .csv)
        if let inbound = flows[file.flow], inbound.format == .csv {
            flow.encoding = inbound.encoding ?? flow.encoding
            flow.delimiter = inbound.delimiter ?? flow.delimiter
        }
        let folder = ((directory as NSString).appendingPathComponent("notices") as NSString)
            .appendingPathComponent(Self.safe(file.partner))
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = (folder as NSString).appendingPathComponent(
            "rejets-\(file.id)-\(Self.safe((file.name as NSString).deletingPathExtension)).csv")
        let emitter = try MappingEmitter(flow: flow, path: path)
        func line(_ issue: ValidationIssue, record: Int?) throws {
            var fields = CanonicalFields()
            fields["file"] = file.name
            fields["record"] = record.map { String($0 + 1) }
            fields["line"] = issue.line.map(String.init)
            fields["column"] = issue.path
            fields["field"] = issue.field
            fields["type"] = issue.check.map { "anomalie:" + $0 } ?? issue.type.rawValue
            fields["value"] = issue.value
            fields["message"] = issue.message
            fields["hint"] =
                issue.check != nil
                ? "Enregistrement appliqué : vérifier la donnée signalée et la corriger dans un prochain envoi si besoin."
                : issue.field == "person"
                    ? "Vérifier les identifiants de la personne (NIR, identifiant France Travail, matricule) : ils désignent deux personnes différentes."
                    : Self.hint(for: issue.type)
            try emitter.write(fields)
        }
        for issue in file.issues { try line(issue, record: nil) }
        for (index, _, issues) in records {
            for issue in issues { try line(issue, record: index) }
        }
        // The anomalies of applied records, when the partner's flow asks for them: the records were applied, the
        // partner is told what looked odd.
        if flows[file.flow]?.noticeListsAnomalies == true {
            for anomaly in try ledger.recordAnomalies(fileID: file.id) {
                try line(anomaly.issue, record: anomaly.record.map { $0 - 1 })
            }
        }
        try emitter.finish()
        return Written(path: path, partner: file.partner, records: emitter.recordsWritten)
    }

    /// What the partner should do about an error of this type.
    public static func hint(for type: IssueType) -> String {
        switch type {
        case .missingCell: "Renseigner la valeur manquante, puis renvoyer l'enregistrement."
        case .missingLabel: "Ajouter la colonne attendue à l'en-tête (son nom exact), puis renvoyer le fichier."
        case .typeError: "Corriger le format de la valeur (date JJ/MM/AAAA ou AAAA-MM-JJ, nombre, code)."
        case .constraintError: "Vérifier la valeur et les colonnes voisines (colonnes décalées ?), puis la corriger."
        case .uniqueError: "Supprimer le doublon ou corriger l'identifiant : une clé ne figure qu'une fois par fichier."
        case .structureError: "Vérifier le séparateur, les guillemets et le nombre de colonnes de la ligne."
        case .reconciliationError: "Renvoyer le fichier complet : le nombre annoncé ne correspond pas au contenu."
        case .schemaError: "Valider le fichier contre le schéma convenu avant l'envoi."
        case .formatError: "Renvoyer le fichier dans le format et l'encodage convenus."
        case .securityError: "Retirer la déclaration DOCTYPE ou les entités externes : elles ne sont pas acceptées."
        @unknown default: "Contacter l'équipe données du département."
        }
    }

    /// A partner's id or a file name as a file or folder name: letters, digits, `-` and `.`; anything else `_`.
    public static func safe(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" })
    }
}
