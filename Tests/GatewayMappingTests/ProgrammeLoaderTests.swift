import Foundation
import GatewayCore
import Testing

@testable import GatewayMapping

private let mappingsDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Mappings").path

private func problems(_ yaml: String) -> [String] {
    do {
        _ = try ProgrammeLoader.load(yaml: yaml)
        return []
    } catch { return error.problems }
}

@Suite("Programmes and structures files")
struct ProgrammeLoaderTests {
    @Test("Mappings/programmes.yaml carries the fiches' figures")
    func realProgrammes() throws {
        let (programmes, structures) = try ProgrammeLoader.load(directory: mappingsDirectory)
        #expect(Set(programmes.programmes.keys) == Set(Fiche.allCases))
        let social = try #require(programmes[.socialSupport])
        #expect(social.capacity == .perETP(100))
        #expect(social.contact == .every(.weeks(6)))
        #expect(social.contactModes == [.individual, .collective, .telephone])
        #expect(social.duration.limit(from: LocalDate(iso: "2026-01-01")!) == nil)
        #expect(social.targets == .init(repriseActivite: 15, sortieEmploi: 15))
        let passerelle = try #require(programmes[.redynamisation])
        #expect(passerelle.capacity == .setByOperator)
        #expect(passerelle.contact == .atLeast(2, per: .week))
        #expect(passerelle.contactModes == [.individual, .collective, .telephone])
        #expect(passerelle.duration.maximum == .months(24))
        #expect(passerelle.targets == .init(repriseActivite: 30, sortieEmploi: 20))
        let sociopro = try #require(programmes[.socioprofessional])
        #expect(sociopro.capacity == .perETP(80))
        #expect(sociopro.contact == .atLeast(2, per: .month))
        #expect(sociopro.contactModes == [.individual, .collective])
        #expect(sociopro.duration.initial == .months(12))
        #expect(sociopro.duration.renewal == .months(6))
        #expect(sociopro.duration.maxRenewals == 2)
        #expect(sociopro.cvDeposit?.requiredPercent == 100)
        #expect(sociopro.jobFollowUp?.duration == .months(6))
        #expect(sociopro.targets == .init(repriseActivite: 40, sortieEmploi: 30))
        let coaching = try #require(programmes[.jobCoaching])
        #expect(coaching.capacity == .perETP(40))
        #expect(coaching.cer.duration == .months(3))
        #expect(coaching.contactModes == [.individual, .collective, .telephone])
        #expect(coaching.duration.initial == .months(3))
        #expect(coaching.duration.afterLimit == "reorientation")
        #expect(coaching.outcomeCheckpoints == [.months(1), .months(3), .months(6)])
        #expect(coaching.targets == .init(repriseActivite: 60, sortieEmploi: 50))
        let per = try #require(programmes[.parcoursEmploiRenforce])
        #expect(per.capacity == .perStructure(70))
        #expect(per.perIndicators)
        #expect(per.contact == nil)
        #expect(programmes.sortieEmploiExits == Set(ExitType.allCases).subtracting([.qualifyingTraining]))

        #expect(structures["OP67-SOCIAL"]?.referents["Réf. S12"] == 1)
        #expect(structures["OP67-PASSERELLE"]?.fileActive[.redynamisation] == 24)
    }

    @Test("Territories, Isère's period, new entrants, fiche 4's intake and targets, the « dispositif rSa » wording")
    func ficheWording() throws {
        let (programmes, structures) = try ProgrammeLoader.load(directory: mappingsDirectory)
        #expect(programmes[.jobCoaching]?.territory == ["68"])
        #expect(programmes[.parcoursEmploiRenforce]?.territory == ["38"])
        #expect(programmes[.parcoursEmploiRenforce]?.period?.from == LocalDate(iso: "2023-01-01"))
        #expect(programmes[.parcoursEmploiRenforce]?.period?.to == LocalDate(iso: "2025-12-31"))
        #expect(programmes[.parcoursEmploiRenforce]?.cer.required == false)
        #expect(programmes[.jobCoaching]?.newEntrantsWithin == .months(3))
        #expect(programmes[.redynamisation]?.yearlyIntakeSetByOperator == true)
        #expect(programmes[.redynamisation]?.duration.minimum == .months(3))
        #expect(programmes[.redynamisation]?.duration.reviews == [.months(3), .months(6)])
        let needingClosure = Fiche.allCases.filter { programmes[$0]?.sortieEmploiNeedsRightClosed == true }
        #expect(needingClosure == [.jobCoaching])
        #expect(programmes[.socioprofessional]?.cvDeposit?.platforms == ["job-connexion"])
        let passerelle = try #require(structures["OP67-PASSERELLE"])
        #expect(passerelle.yearlyIntake[.redynamisation] == 60)
        let fiche4 = try #require(programmes[.redynamisation])
        #expect(passerelle.targets(for: fiche4).repriseActivite == 25)
        #expect(structures.structures.values.allSatisfy { $0.departement != "67" || !$0.fiches.contains(.jobCoaching) })
    }

    @Test("Bad territory, period, intake and platforms are listed; a fiche 4 structure without its yearly intake")
    func ficheWordingProblems() throws {
        var found: [String] = []
        do {
            _ = try ProgrammeLoader.load(
                yaml: """
                    exits: { reprise-activite: [CDI], sortie-emploi: [CDI] }
                    programmes:
                      "9":
                        title: T
                        territory: ["Haut-Rhin"]
                        period: { from: 2025-12-31, to: 2023-01-01 }
                        yearly-intake: { set-by-operator: false }
                        file-active: { per-etp: 40 }
                        cer: { duration: 3 months }
                        duration: {}
                        cv-deposit: { required-percent: 100, max-age: 6 months, platforms: [] }
                    """)
        } catch { found = error.problems }
        for expected in [
            "programmes.9.territory : liste de codes de département", "programmes.9.period : « to » précède « from »",
            "programmes.9.yearly-intake : { set-by-operator: true } attendu",
            "programmes.9.cv-deposit.platforms : liste de partenaires",
        ] {
            #expect(found.contains { $0.hasPrefix(expected) }, "\(expected) in \(found)")
        }
        let programmes = try ProgrammeLoader.load(
            yaml: String(contentsOfFile: mappingsDirectory + "/programmes.yaml", encoding: .utf8))
        let structures = try ProgrammeLoader.loadStructures(
            yaml: """
                structures:
                  OP-P:
                    departement: "67"
                    fiches: ["4"]
                    file-active: { "4": 10 }
                    targets: { "5": { reprise-activite: 20 } }
                    referents: { "Réf. A": 1 }
                """)
        let problems = ProgrammeLoader.crossCheck(programmes, structures)
        #expect(
            problems.contains { $0.hasPrefix("OP-P : la fiche 4 demande le nombre maximum d'accueil") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("OP-P : targets pour la fiche 5, absente") }, "\(problems)")
    }

    @Test("Every operator and référent of the operator follow-up samples is declared")
    func samplesDeclared() throws {
        let (_, structures) = try ProgrammeLoader.load(directory: mappingsDirectory)
        let declared: [(String, String)] = [
            ("OP67-SOCIAL", "Réf. S12"), ("OP67-PASSERELLE", "Réf. P03"), ("OP67-SOCIOPRO", "Réf. T21"),
            ("OP67-SOCIOPRO", "Réf. P07"), ("OP67-SOCIOPRO", "Réf. P09"),
            ("OP68-COACHING", "Réf. C07"), ("OP68-COACHING", "Réf. C11"), ("OP38-PER", "Réf. R02"),
        ]
        for (code, referent) in declared {
            #expect(structures[code]?.referents[referent] != nil, "\(code) \(referent)")
        }
    }

    @Test("The flow loader still skips the programme files")
    func flowLoaderSkips() throws {
        let flows = try MappingLoader.loadAll(directory: mappingsDirectory)
        #expect(!flows.isEmpty)
    }

    @Test("Every problem is listed, in French, with its place")
    func problemsListed() {
        let found = problems(
            """
            exits:
              reprise-activite: [CDI, CDD]
            programmes:
              "7": { title: X }
              "5":
                title: Socioprofessionnel
                file-active: { per-etp: 80, per-structure: 70 }
                cer: { duration: 6 mois, renewable: true }
                contact: { at-least: 2, per: fortnight, modes: [individual, pigeon] }
                duration: { initial: 12 months, max-renewals: 2 }
                targets: { reprise-activite: 140 }
                cv-deposit: { required-percent: 100 }
                colour: blue
            """)
        let expected = [
            "exits.reprise-activite : type de sortie « CDD » inconnu",
            "exits.sortie-emploi : obligatoire",
            "programmes.7 : fiche inconnue",
            "programmes.5.file-active : une seule de per-etp",
            "programmes.5.contact.modes : une liste parmi individual, collective, telephone, video",
            "programmes.5.contact : « every: 6 weeks » ou « at-least: 2, per: week|month »",
            "programmes.5.duration : « max-renewals » demande « renewal »",
            "programmes.5.targets.reprise-activite : pourcentage entre 0 et 100",
            "programmes.5.cv-deposit : « required-percent » et « max-age » sont obligatoires",
            "programmes.5.colour : clé inconnue",
        ]
        for text in expected {
            #expect(found.contains { $0.hasPrefix(text) }, "\(text) in \(found)")
        }
        #expect(found.count == expected.count, "\(found)")
    }

    @Test("Structures: bad fiches, ETP and a fiche 4 without its file active")
    func structureProblems() throws {
        var found: [String] = []
        do {
            _ = try ProgrammeLoader.loadStructures(
                yaml: """
                    structures:
                      OP-X:
                        fiches: ["8"]
                        referents: { "Réf. A": 1.5 }
                    """)
        } catch { found = error.problems }
        #expect(found.contains { $0.hasPrefix("structures.OP-X.fiches : fiche « 8 » inconnue") })
        #expect(found.contains { $0.hasPrefix("structures.OP-X.referents.Réf. A : ETP attendu") })
        let programmes = try ProgrammeLoader.load(
            yaml: String(contentsOfFile: mappingsDirectory + "/programmes.yaml", encoding: .utf8))
        let structures = try ProgrammeLoader.loadStructures(
            yaml: """
                structures:
                  OP-P:
                    fiches: ["4"]
                    referents: { "Réf. A": 1 }
                """)
        #expect(
            ProgrammeLoader.crossCheck(programmes, structures).first?.hasPrefix("OP-P : la fiche 4 demande") == true)
    }
}
