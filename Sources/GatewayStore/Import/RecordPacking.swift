import CLZ4
import Foundation

/// Each CNAF household's record is kept compressed: LZ4 against a dictionary of the CNAF record's elements, so that a
/// record of 3 KB needs about 800 bytes, at several hundred megabytes a second. Keeping every element of a 400 MB file
/// then costs the store, its WAL and its checkpoint about 80 MB. The same bytes always give the same packed bytes,
/// so an unchanged record is not rewritten.
///
/// Packed form: one byte naming the form (1: LZ4 block against `dictionary`), the record's length as 4 bytes
/// little-endian, the block. The dictionary is part of the stored data: never edit it, add a form.
final class RecordPacker {
    private let stream: UnsafeMutablePointer<LZ4_stream_t>
    private var output: [UInt8] = []

    init() {
        guard let stream = LZ4_createStream() else { preconditionFailure("LZ4: no memory for a stream") }
        self.stream = stream
    }

    deinit { LZ4_freeStream(stream) }

    /// Compresses `bytes` and hands the packed bytes to `body` (valid only during the call).
    func pack<Result>(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows
        -> Result
    {
        precondition(bytes.count <= Int(LZ4_MAX_INPUT_SIZE), "a record over LZ4's limit")
        let bound = Self.headerSize + Int(LZ4_compressBound(CInt(bytes.count)))
        if output.count < bound { output = [UInt8](repeating: 0, count: max(bound, 1 << 16)) }
        let written = output.withUnsafeMutableBytes { out -> Int in
            out[0] = Self.dictionaryForm
            out.storeBytes(of: UInt32(bytes.count).littleEndian, toByteOffset: 1, as: UInt32.self)
            guard let source = bytes.baseAddress, !bytes.isEmpty else { return Self.headerSize }
            Self.dictionary.withUnsafeBufferPointer { dictionary in
                dictionary.withMemoryRebound(to: CChar.self) {
                    _ = LZ4_loadDict(stream, $0.baseAddress, CInt($0.count))
                }
            }
            let target = out.baseAddress!.advanced(by: Self.headerSize)
            let size = LZ4_compress_fast_continue(
                stream, source.assumingMemoryBound(to: CChar.self), target.assumingMemoryBound(to: CChar.self),
                CInt(bytes.count), CInt(out.count - Self.headerSize), 1)
            precondition(size > 0, "LZ4 had room for the whole record")
            return Self.headerSize + Int(size)
        }
        return try output.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[..<written])) }
    }

    /// The record `pack` was given, as text; nil when the bytes are not a packed form this gateway writes.
    static func unpack(_ packed: Data) -> String? {
        guard packed.count >= headerSize, packed.first == dictionaryForm else { return nil }
        return packed.withUnsafeBytes { input -> String? in
            let length = Int(UInt32(littleEndian: input.loadUnaligned(fromByteOffset: 1, as: UInt32.self)))
            guard length <= Int(LZ4_MAX_INPUT_SIZE) else { return nil }
            if length == 0 { return input.count == headerSize ? "" : nil }
            let text = [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
                let read = dictionary.withUnsafeBufferPointer { dictionary in
                    dictionary.withMemoryRebound(to: CChar.self) { dictionary in
                        LZ4_decompress_safe_usingDict(
                            input.baseAddress!.advanced(by: headerSize).assumingMemoryBound(to: CChar.self),
                            UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self),
                            CInt(input.count - headerSize), CInt(length), dictionary.baseAddress,
                            CInt(dictionary.count))
                    }
                }
                count = read == CInt(length) ? length : 0
            }
            return text.count == length ? String(decoding: text, as: UTF8.self) : nil
        }
    }

    private static let headerSize = 5
    private static let dictionaryForm: UInt8 = 1

    /// The elements of a CNAF household of two people (`InfosFoyerRSA`, schema vrsb0801), without values or
    /// indentation: what every record repeats.
    static let dictionary: [UInt8] = Array(
        """
        <InfosFoyerRSA><IdentificationRSA><Organisme><FONORG></FONORG><NUMORG></NUMORG><MATRICULE></MATRICULE>\
        </Organisme><Partenaire><TYPEPARTE></TYPEPARTE><IDEPARTE></IDEPARTE></Partenaire><DemandeRSA><DTDEMRSA>\
        </DTDEMRSA><NUMDEMRSA></NUMDEMRSA></DemandeRSA></IdentificationRSA><Personne><Identification><QUAL>\
        </QUAL><NOM></NOM><NOMNAI></NOMNAI><PRENOM></PRENOM><NOMCOMNAI></NOMCOMNAI><DTNAI></DTNAI><NIR></NIR>\
        <SEXE></SEXE></Identification><DossierCAF><TOPRESPDOS></TOPRESPDOS><DDRATDOS></DDRATDOS></DossierCAF>\
        <Prestations><NATPREST></NATPREST><ROLEPERS></ROLEPERS><TOPCHAPERS></TOPCHAPERS></Prestations>\
        <Prestations><NATPREST></NATPREST><ROLEPERS></ROLEPERS><TOPCHAPERS></TOPCHAPERS></Prestations>\
        <DossierPoleEmploi><IDASSEDIC></IDASSEDIC></DossierPoleEmploi><MontantCalculDroitRSAPersonne>\
        <TOPPERSDRODEVORSA></TOPPERSDRODEVORSA></MontantCalculDroitRSAPersonne></Personne><Personne>\
        <Identification><QUAL></QUAL><NOM></NOM><NOMNAI></NOMNAI><PRENOM></PRENOM><NOMCOMNAI></NOMCOMNAI><DTNAI>\
        </DTNAI><NIR></NIR><SEXE></SEXE></Identification><DossierCAF><TOPRESPDOS></TOPRESPDOS><DDRATDOS>\
        </DDRATDOS></DossierCAF><Prestations><NATPREST></NATPREST><ROLEPERS></ROLEPERS><TOPCHAPERS></TOPCHAPERS>\
        </Prestations><Prestations><NATPREST></NATPREST><ROLEPERS></ROLEPERS><TOPCHAPERS></TOPCHAPERS>\
        </Prestations><DossierPoleEmploi><IDASSEDIC></IDASSEDIC></DossierPoleEmploi>\
        <MontantCalculDroitRSAPersonne><TOPPERSDRODEVORSA></TOPPERSDRODEVORSA></MontantCalculDroitRSAPersonne>\
        </Personne><DonneesAdministratives><SituationFamille><SITFAM></SITFAM><DDSITFAM></DDSITFAM>\
        </SituationFamille><Adresse><TroncCommunAdresse><RGADR></RGADR><DTEMM></DTEMM><PAYS></PAYS><TYPEADR>\
        </TYPEADR><ETATADR></ETATADR></TroncCommunAdresse><AdresseDetailleeFrance><COMPLIDEADR/><COMPLADR/>\
        <NUMVOIE></NUMVOIE><LIBTYPEVOIE></LIBTYPEVOIE><NOMVOIE></NOMVOIE><LIEUDIST/><NUMCOM></NUMCOM><CODEPOS>\
        </CODEPOS><NOMCOM></NOMCOM></AdresseDetailleeFrance></Adresse></DonneesAdministratives><PrestationRSA>\
        <SituationDossierRSA><EtatDossierRSA><ETATDOSRSA></ETATDOSRSA></EtatDossierRSA><SuspensionVersement>\
        <MOTISUSVERSRSA></MOTISUSVERSRSA><DDSUSVERSRSA></DDSUSVERSRSA></SuspensionVersement>\
        </SituationDossierRSA><DetailDroitRSA><TroncCommunDroitRSA><TOPSANSDOMFIXE></TOPSANSDOMFIXE><ORIDEMRSA>\
        </ORIDEMRSA><DTORIDEMRSA></DTORIDEMRSA><TOPFOYDRODEVORSA></TOPFOYDRODEVORSA></TroncCommunDroitRSA>\
        <MontantsCalculDroitRSA><DDELECAL></DDELECAL><MTREVMINIGARARSA></MTREVMINIGARARSA><MTREVGARARSA>\
        </MTREVGARARSA><MTRESSMENRSA></MTRESSMENRSA><MTTOTDRORSA></MTTOTDRORSA></MontantsCalculDroitRSA>\
        <DetailCalculDroitRSA><NATPF></NATPF><SOUSNATPF></SOUSNATPF><DDNATDRO></DDNATDRO><MTRSAVERS></MTRSAVERS>\
        <DTDERRSAVERS></DTDERRSAVERS></DetailCalculDroitRSA><DetailCalculDroitRSA><NATPF></NATPF><SOUSNATPF>\
        </SOUSNATPF><DDNATDRO></DDNATDRO><MTRSAVERS></MTRSAVERS><DTDERRSAVERS></DTDERRSAVERS>\
        </DetailCalculDroitRSA></DetailDroitRSA></PrestationRSA><Evenement><DTLIQ></DTLIQ><HEULIQ></HEULIQ><FG>\
        </FG></Evenement><Evenement><DTLIQ></DTLIQ><HEULIQ></HEULIQ><FG></FG></Evenement></InfosFoyerRSA>
        """.utf8)
}
