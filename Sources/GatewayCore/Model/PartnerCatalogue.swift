/// The canonical entities of the partner flows other than the CNAF flux: France Travail enrolments, Job Connexion
/// CV deposits, job posts, operators' accompaniments and the employer teams' sourcing feedback.
extension Catalogue {
    /// The identity fields a partner record may carry to name a person; the matching cascade reads them.
    /// Prefixed `person.` in every entity so that one routine reads them whatever the flow.
    static let identityFields: [FieldSpec] = [
        FieldSpec("person.nir", .nir, personal: true, doc: "NIR (13 ou 15 caractères)"),
        FieldSpec(
            "person.nirCheck", .nir, personal: true,
            doc: "Second NIR du fichier France Travail (`nir2`), qui doit être égal au premier"),
        FieldSpec("person.franceTravailID", .franceTravailID, personal: true, doc: "Identifiant France Travail"),
        FieldSpec(
            "person.organisme", .text, allowed: Organisme.allCases.map(\.rawValue),
            doc: "Organisme payeur du RSA (CAF, MSA)"),
        FieldSpec("person.matricule", .matricule, doc: "Matricule (numéro allocataire CAF ou MSA)"),
        FieldSpec(
            "person.role", .text, allowed: PersonRole.allCases.map(\.rawValue), doc: "Rôle dans le foyer RSA"),
        FieldSpec("person.surname", .text, personal: true, doc: "Nom"),
        FieldSpec("person.firstName", .text, personal: true, doc: "Prénom"),
        FieldSpec("person.birthDate", .date, personal: true, doc: "Date de naissance"),
    ]

    /// A France Travail enrolment event or stock line (`ft-inscriptions`).
    public static let enrolment = EntitySpec(
        name: "enrolment",
        fields: identityFields + [
            FieldSpec(
                "kind", .text, mandatory: true, allowed: EnrolmentKind.allCases.map(\.rawValue),
                doc: "Nature de la ligne : inscription, cessation, radiation, stock"),
            FieldSpec(
                "eventDate", .date,
                doc:
                    "Date de l'événement (colonne `date` des fichiers par nature : inscription, cessation ou radiation)"
            ),
            FieldSpec("category", .integer, allowed: (1...8).map(String.init), doc: "Catégorie de demandeur d'emploi"),
            FieldSpec("startDate", .date, doc: "Date d'inscription"),
            FieldSpec("cessationDate", .date, doc: "Date de cessation d'inscription"),
            FieldSpec("cessationReason", .text, doc: "Motif de cessation"),
            FieldSpec("radiationDate", .date, doc: "Date de radiation"),
            FieldSpec("radiationReason", .text, doc: "Motif de radiation"),
            FieldSpec("reason", .text, doc: "Motif (colonne `motif` des fichiers de cessations et de radiations)"),
            FieldSpec("ppaeSignedOn", .date, doc: "Date de signature du PPAE"),
            FieldSpec("lastInterviewOn", .date, doc: "Date du dernier entretien PPAE"),
            FieldSpec("adviser", .text, doc: "Conseiller France Travail"),
            FieldSpec("rome", .rome, doc: "Code ROME du métier recherché"),
            FieldSpec("commune", .inseeCommune, doc: "Code INSEE de la commune"),
            FieldSpec("locality", .text, doc: "Localité"),
            FieldSpec("address", .text, personal: true, doc: "Adresse"),
            FieldSpec("agency", .text, doc: "Agence France Travail (ALE)"),
        ])

    /// A CV deposit on Job Connexion (`jobconnexion-cv`).
    public static let cvDeposit = EntitySpec(
        name: "cv-deposit",
        fields: identityFields + [
            FieldSpec("profileID", .text, mandatory: true, doc: "Identifiant du profil sur Job Connexion"),
            FieldSpec("depositedOn", .date, doc: "Date de dépôt du CV (absente : aucun CV déposé)"),
            FieldSpec("updatedOn", .date, doc: "Date de dernière mise à jour du CV"),
            FieldSpec(
                "profileStatus", .text, mandatory: true, allowed: CVProfileStatus.allCases.map(\.rawValue),
                doc: "État du profil : active, incomplete, archived"),
            FieldSpec("visibleToEmployers", .boolean, doc: "CV visible des employeurs"),
        ])

    /// A job post published by Développeurs Emploi (Bas-Rhin) or the Conseillers Relais Entreprises (Haut-Rhin).
    public static let jobPost = EntitySpec(
        name: "job-post",
        fields: [
            FieldSpec("id", .text, mandatory: true, maxLength: 40, doc: "Identifiant de l'offre"),
            FieldSpec("title", .text, mandatory: true, doc: "Intitulé du poste"),
            FieldSpec("rome", .rome, mandatory: true, doc: "Code ROME"),
            FieldSpec("romeLabel", .text, doc: "Libellé ROME"),
            FieldSpec("commune", .inseeCommune, doc: "Code INSEE de la commune du lieu de travail"),
            FieldSpec("postalCode", .postalCode, doc: "Code postal du lieu de travail"),
            FieldSpec("communeName", .text, doc: "Lieu de travail"),
            FieldSpec(
                "contractType", .text, mandatory: true, allowed: ContractType.allCases.map(\.rawValue),
                doc: "Type de contrat : CDI, CDD, MIS (intérim), SAI (saisonnier), ALT (alternance), IAE"),
            FieldSpec("workingTime", .text, doc: "Durée de travail"),
            FieldSpec("employer", .text, doc: "Employeur"),
            FieldSpec("siret", .siret, doc: "SIRET de l'établissement employeur"),
            FieldSpec("createdOn", .date, doc: "Date de création de l'offre"),
            FieldSpec("positions", .integer, doc: "Nombre de postes"),
            FieldSpec("qualification", .text, doc: "Code de qualification"),
            FieldSpec(
                "territory", .text, allowed: ["67", "68"],
                doc: "Département de l'offre (déduit de la commune ou du code postal s'il manque)"),
            FieldSpec("closedOn", .date, doc: "Date de clôture de l'offre (pourvue ou retirée)"),
        ])

    static let meeting = EntitySpec(
        name: "meeting",
        fields: [
            FieldSpec("date", .date, mandatory: true, doc: "Date du rendez-vous"),
            FieldSpec(
                "mode", .text, allowed: MeetingMode.allCases.map(\.rawValue),
                doc: "individual ou collective"),
            FieldSpec("employerRelated", .boolean, doc: "Rendez-vous en lien avec un employeur"),
        ])

    /// An operator's accompaniment of one person under a fiche action (`operator-followup`).
    public static let accompaniment = EntitySpec(
        name: "accompaniment",
        fields: identityFields + [
            FieldSpec(
                "id", .text, mandatory: true, maxLength: 40, doc: "Identifiant de l'accompagnement chez l'opérateur"),
            FieldSpec("operator", .text, mandatory: true, maxLength: 40, doc: "Structure référente (code)"),
            FieldSpec(
                "fiche", .text, mandatory: true, allowed: Fiche.allCases.map(\.rawValue),
                doc: "Fiche action : 1, 4, 5, 9 ou PER"),
            FieldSpec("referent", .text, doc: "Référent de parcours"),
            FieldSpec("startDate", .date, mandatory: true, doc: "Début de l'accompagnement"),
            FieldSpec("endDate", .date, doc: "Fin de l'accompagnement"),
            FieldSpec("cerStart", .date, doc: "Début du CER en cours"),
            FieldSpec("cerEnd", .date, doc: "Fin du CER en cours"),
            FieldSpec("jobReady", .boolean, doc: "Prêt à l'emploi"),
            FieldSpec("jobReadySince", .date, doc: "Prêt à l'emploi depuis le"),
            FieldSpec("reviewDate", .date, doc: "Date du bilan d'étape (fiche 4 : à l'issue des 3 ou 6 premiers mois)"),
            FieldSpec("targetROME", .rome, doc: "Code ROME visé"),
            FieldSpec(
                "mobility", .text,
                doc:
                    "Communes (code INSEE) ou départements où la personne accepte de travailler, séparés par des espaces"
            ),
            FieldSpec(
                "exit.type", .text, allowed: ExitType.allCases.map(\.rawValue),
                doc: "Type de sortie : CDI, CDD6+, CDD6-, INTERIM, IAE, FORMATION, CREATION"),
            FieldSpec("exit.date", .date, doc: "Date de la sortie"),
            FieldSpec("reorientation", .text, doc: "Réorientation : fiche ou structure vers laquelle la personne part"),
            FieldSpec("reorientationDate", .date, doc: "Date de réorientation"),
        ],
        collections: ["meetings": meeting])

    /// What became of a candidate the gateway proposed for a post (`sourcing-feedback`).
    public static let sourcingFeedback = EntitySpec(
        name: "sourcing-feedback",
        fields: [
            FieldSpec(
                "proposalID", .text, mandatory: true, doc: "Référence de la proposition envoyée par la passerelle"),
            FieldSpec("postID", .text, mandatory: true, doc: "Identifiant de l'offre"),
            FieldSpec(
                "outcome", .text, mandatory: true, allowed: SourcingOutcome.allCases.map(\.rawValue),
                doc: "interview, hired ou not-retained"),
            FieldSpec("date", .date, doc: "Date de l'entretien ou de la décision"),
            FieldSpec("contractType", .text, allowed: ContractType.allCases.map(\.rawValue), doc: "Contrat signé"),
            FieldSpec("startDate", .date, doc: "Date d'embauche"),
            FieldSpec("reason", .text, doc: "Motif de non-retenue"),
        ])

    /// The partner entities, by name.
    static let partnerEntities: [String: EntitySpec] = [
        enrolment.name: enrolment, cvDeposit.name: cvDeposit, jobPost.name: jobPost,
        accompaniment.name: accompaniment, sourcingFeedback.name: sourcingFeedback,
    ]
}

/// The outbound entities: what the gateway writes to partners. Their mapping files list the only fields each
/// partner receives.
extension Catalogue {
    /// A candidate proposed for a job post, as an employer relations adviser sees it: no NIR, no benefit data.
    public static let candidate = EntitySpec(
        name: "candidate",
        fields: [
            FieldSpec(
                "proposalID", .text, mandatory: true, doc: "Référence de la proposition, à rappeler dans le retour"),
            FieldSpec("postID", .text, mandatory: true, doc: "Identifiant de l'offre"),
            FieldSpec("rank", .integer, mandatory: true, doc: "Rang du candidat pour l'offre"),
            FieldSpec("score", .integer, doc: "Proximité (métier × 10 + lieu)"),
            FieldSpec(
                "romeMatch", .text, allowed: ["same-code", "same-family"], doc: "Code ROME identique ou de même famille"
            ),
            FieldSpec(
                "placeMatch", .text, allowed: ["commune", "departement"],
                doc: "Mobilité couvrant la commune ou le département"),
            FieldSpec("firstName", .text, personal: true, doc: "Prénom"),
            FieldSpec("surnameInitial", .text, doc: "Initiale du nom"),
            FieldSpec("targetROME", .rome, doc: "Métier visé"),
            FieldSpec("mobility", .text, doc: "Mobilité déclarée"),
            FieldSpec("fiche", .text, doc: "Fiche action de l'accompagnement"),
            FieldSpec("operator", .text, doc: "Structure qui accompagne la personne"),
            FieldSpec("referent", .text, doc: "Référent à contacter"),
            FieldSpec("cvProfileID", .text, doc: "Profil Job Connexion"),
            FieldSpec("cvDeposited", .boolean, doc: "CV déposé sur Job Connexion"),
        ])

    /// An alert for the operator following a person whose situation changed.
    public static let statusAlert = EntitySpec(
        name: "status-alert",
        fields: [
            FieldSpec("operator", .text, mandatory: true, doc: "Structure destinataire"),
            FieldSpec("accompanimentID", .text, mandatory: true, doc: "Accompagnement concerné"),
            FieldSpec("referent", .text, doc: "Référent"),
            FieldSpec(
                "kind", .text, mandatory: true,
                allowed: [
                    "right-closed", "right-suspended", "payment-suspended", "moved-departement",
                    "france-travail-radiation",
                ],
                doc: "Nature du changement"),
            FieldSpec("label", .text, doc: "Libellé du changement"),
            FieldSpec("effectiveDate", .date, doc: "Date d'effet"),
            FieldSpec("motive", .text, doc: "Motif transmis par le partenaire"),
            FieldSpec("source", .text, doc: "Partenaire à l'origine de l'information"),
        ])

    /// One line of a rejection notice sent back to the partner that sent a file.
    public static let rejectionNotice = EntitySpec(
        name: "rejection-notice",
        fields: [
            FieldSpec("file", .text, mandatory: true, doc: "Fichier reçu"),
            FieldSpec("record", .integer, doc: "Numéro de l'enregistrement"),
            FieldSpec("line", .integer, doc: "Ligne"),
            FieldSpec("column", .text, doc: "Colonne ou chemin de l'élément"),
            FieldSpec("field", .text, doc: "Champ"),
            FieldSpec("type", .text, mandatory: true, doc: "Type d'erreur"),
            FieldSpec("value", .text, doc: "Valeur (masquée si personnelle)"),
            FieldSpec("message", .text, mandatory: true, doc: "Erreur"),
            FieldSpec("hint", .text, doc: "Comment corriger"),
        ])

    public static let outboundEntities: [String: EntitySpec] = [
        candidate.name: candidate, statusAlert.name: statusAlert, rejectionNotice.name: rejectionNotice,
    ]
}
