import GatewayCore
import Testing

/// The compact JSON a partner record is stored as: the store compares states as text, so the same fields must give
/// the same text, byte for byte, from one version of the gateway to the next.
@Suite("Canonical JSON text of a record's fields")
struct CanonicalTextTests {
    @Test("Keys in order, values and collections merged, escaping as JSON wants")
    func text() {
        let element = CanonicalFields(values: ["z": "1", "a": "é"])
        let fields = CanonicalFields(
            values: ["name": "l'\"école\"\n", "b": "\\", "ctrl": "\u{1}", "m": ""],
            collections: ["meetings": [element, CanonicalFields()], "a": []])
        #expect(
            fields.jsonText
                == #"{"a":[],"b":"\\","ctrl":"\u0001","m":"","meetings":[{"a":"é","z":"1"},{}],"name":"l'\"école\"\n"}"#
        )
        #expect(CanonicalFields().jsonText == "{}")
        #expect(JSONText.quoted("tab\t") == #""tab\t""#)
    }

    @Test("Names compare as Swift strings do (accents and case included)")
    func order() {
        let fields = CanonicalFields(values: ["é": "3", "e": "1", "f": "2", "E": "0"])
        #expect(fields.jsonText == #"{"E":"0","e":"1","f":"2","é":"3"}"#)
    }
}
