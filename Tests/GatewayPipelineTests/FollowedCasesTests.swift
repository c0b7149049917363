import Foundation
import GatewayCore
import GatewayMapping
import GatewayPipeline
import GatewayStore
import GatewayTestSupport
import Testing

/// What the programme rules read back from the store: when the CNAF flagged a person entering droits et devoirs,
/// and each platform's CV apart.
@Suite("Followed cases: new entrants from the CNAF files, CVs per platform")
struct FollowedCasesTests {
    static let followupHeader =
        "operateur;id_accompagnement;fiche;referent;nir;identifiant_ft;organisme;matricule;role;nom;prenom;date_naissance;date_debut;date_fin;cer_debut;cer_fin;pret_emploi;rome_cible;mobilite;sortie_type;sortie_date;reorientation;date_reorientation;rdv_date;rdv_mode;rdv_employeur;date_pret_emploi"
    static let cvHeader =
        "id_profil;nir;identifiant_ft;nom;prenom;date_naissance;date_depot_cv;date_maj_cv;statut_profil;visible_employeurs"

    @Test(
        "The MSA sample's entrant is a new entrant for fiche 9; a Cap emploi CV does not count, and is shown",
        arguments: Backend.available)
    func entrantsAndPlatforms(backend: Backend) throws {
        let store = try backend.store()
        let flows = try MappingLoader.loadAll(directory: Repo.mappings.path)
        let directory = try TempDirectory()
        func load(_ flow: FlowMapping, _ path: String) throws {
            let report = try FilePipeline(flow: flow, logger: silentLogger).importFile(path: path, ledger: store.ledger)
            #expect(report.outcome == .applied, "\(path): \(report.outcome)")
        }
        // SCHAEFFER (NIR 2870668112077) is flagged TOPPERSENTDRODEVORSA = 1 in the file of 2026-09-30; SP-9002's
        // person (BŒUF, in the CAF file) never is.
        try load(flows["caf-beneficiaires"]!, Repo.sample("msa-67-2026-09.xml"))
        try load(flows["caf-beneficiaires"]!, Repo.sample("caf-67-2026-09.xml"))
        let followup = directory.path("suivi.csv")
        try [
            Self.followupHeader,
            "OP68-COACHING;C9-9001;9;Réf. C07;2870668112077;;;;;;;;01/10/2026;;01/10/2026;31/12/2026;O;N1103;68;;;;;01/10/2026;TEL;N;05/10/2026",
            "OP68-COACHING;C9-9002;9;Réf. C07;1840367482123;;;;;;;;01/10/2026;;01/10/2026;31/12/2026;O;N1103;68;;;;;01/10/2026;IND;N;",
        ].joined(separator: "\r\n").appending("\r\n").write(toFile: followup, atomically: true, encoding: .utf8)
        try load(flows["operator-followup"]!, followup)
        // Job Connexion knows C9-9002's person; a Cap emploi export (same layout, another partner) knows C9-9001's.
        let jobConnexion = directory.path("jc.csv")
        try [Self.cvHeader, "JC-9002;1840367482123;;;;;02/10/2026;;ACTIF;O"].joined(separator: "\r\n")
            .appending("\r\n").write(toFile: jobConnexion, atomically: true, encoding: .utf8)
        try load(flows["jobconnexion-cv"]!, jobConnexion)
        let mappingText = try String(
            contentsOfFile: Repo.mappings.appendingPathComponent("jobconnexion-cv-csv.yaml").path, encoding: .utf8)
        let capEmploiMapping = try MappingLoader.load(
            yaml: mappingText.replacingOccurrences(of: "flow: jobconnexion-cv", with: "flow: capemploi-cv")
                .replacingOccurrences(of: "partner: job-connexion", with: "partner: cap-emploi"))
        let capEmploi = directory.path("cap.csv")
        try [Self.cvHeader, "CE-77;2870668112077;;;;;15/09/2026;20/09/2026;ACTIF;O"].joined(separator: "\r\n")
            .appending("\r\n").write(toFile: capEmploi, atomically: true, encoding: .utf8)
        try load(capEmploiMapping, capEmploi)

        let cases = try store.partnerRecords.followedCases()
        let entrant = try #require(cases.first { $0.accompaniment.id == "C9-9001" })
        let other = try #require(cases.first { $0.accompaniment.id == "C9-9002" })
        #expect(entrant.enteredDroitsDevoirs == LocalDate(iso: "2026-09-30"))
        #expect(entrant.isNewEntrant(within: .months(3)))
        #expect(other.enteredDroitsDevoirs == nil)
        #expect(Set(entrant.cvs.keys) == ["cap-emploi"])
        #expect(Set(other.cvs.keys) == [CVDeposit.jobConnexion])
        #expect(entrant.accompaniment.jobReadySince == LocalDate(iso: "2026-10-05"))

        let (programmes, structures) = try ProgrammeLoader.load(directory: Repo.mappings.path)
        let asOf = LocalDate(iso: "2026-10-20")!
        let findings = RuleChecks.findings(cases, programmes: programmes, structures: structures, asOf: asOf)
        #expect(findings.filter { $0.rule == .notNewEntrant }.map(\.accompanimentID) == ["C9-9002"])
        let report = CVDepositReport.compute(cases, programmes: programmes, asOf: asOf)
        let nine = try #require(report.byProgramme.first { $0.fiche == .jobCoaching })
        #expect(nine.jobReady == 2 && nine.deposited == 1 && nine.depositedElsewhere == 1)
        let missing = try #require(nine.missing.first)
        #expect(missing.accompanimentID == "C9-9001")
        #expect(missing.since == LocalDate(iso: "2026-10-05"))
        #expect(missing.elsewhere.map(\.platform) == ["cap-emploi"])
        #expect(!missing.personKey.contains("2870668112077"), "masked")
    }
}
