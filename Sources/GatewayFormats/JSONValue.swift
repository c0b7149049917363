import GatewayCore

/// A JSON value as read, numbers kept as their literal text so no digit is lost.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// The number's literal text as written: `12.50` keeps its trailing zero, a long integer every digit.
    case number(String)
    case string(String)
    case array([JSONValue])
    /// An object, members in file order.
    case object(JSONObject)

    /// The member `key` of an object; nil for a missing key or a value that is not an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    /// The element at `index` of an array; nil when out of range or not an array.
    public subscript(index: Int) -> JSONValue? {
        if case .array(let elements) = self, elements.indices.contains(index) { return elements[index] }
        return nil
    }

    /// The value found by following `path` through nested objects (a numeric component also indexes an array).
    public func value(at path: [String]) -> JSONValue? {
        var current = self
        for component in path {
            switch current {
            case .object(let object):
                guard let next = object[component] else { return nil }
                current = next
            case .array(let elements):
                guard let index = Int(component), elements.indices.contains(index) else { return nil }
                current = elements[index]
            default:
                return nil
            }
        }
        return current
    }

    /// A string's text, a number's literal, or `true`/`false`; nil for null, arrays and objects.
    public var stringValue: String? {
        switch self {
        case .string(let text), .number(let text): text
        case .bool(let flag): flag ? "true" : "false"
        case .null, .array, .object: nil
        }
    }

    /// True for `null`.
    public var isNull: Bool { self == .null }

    /// The members when the value is an object.
    public var objectValue: JSONObject? {
        if case .object(let object) = self { return object }
        return nil
    }

    /// The elements when the value is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// Compact JSON text for the value (members in their order, numbers as read).
    public var jsonText: String {
        var output = ""
        write(to: &output)
        return output
    }

    private func write(to output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let flag): output += flag ? "true" : "false"
        case .number(let literal): output += literal
        case .string(let text): output += JSONText.quoted(text)
        case .array(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += "," }
                element.write(to: &output)
            }
            output += "]"
        case .object(let object):
            output += "{"
            for index in 0..<object.count {
                if index > 0 { output += "," }
                output += JSONText.quoted(object.keys[index])
                output += ":"
                object.values[index].write(to: &output)
            }
            output += "}"
        }
    }

    /// `text` as a JSON string literal, quotes included.
    public static func quoted(_ text: String) -> String { JSONText.quoted(text) }
}

/// A JSON object's members in file order; keys are unique (the reader refuses duplicates).
///
/// Two objects are equal when they have the same members in the same order.
public struct JSONObject: Sendable, Hashable {
    /// Member names, in order.
    public private(set) var keys: [String]
    /// Member values, parallel to `keys`.
    public private(set) var values: [JSONValue]

    /// Creates an object from members in order; a repeated key replaces the earlier value in place.
    public init(_ members: [(key: String, value: JSONValue)] = []) {
        keys = []
        values = []
        for member in members { self[member.key] = member.value }
    }

    /// Number of members.
    public var count: Int { keys.count }

    /// The members in order.
    public var members: [(key: String, value: JSONValue)] {
        Array(zip(keys, values))
    }

    /// The value of member `key`; setting appends a new key or replaces the value in place, nil removes.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let index = keys.firstIndex(of: key) else { return nil }
            return values[index]
        }
        set {
            let index = keys.firstIndex(of: key)
            switch (index, newValue) {
            case (let index?, let value?): values[index] = value
            case (let index?, nil):
                keys.remove(at: index)
                values.remove(at: index)
            case (nil, let value?):
                keys.append(key)
                values.append(value)
            case (nil, nil): break
            }
        }
    }

    /// Appends a member without checking for an existing key, for the parser.
    mutating func appendUnchecked(key: String, value: JSONValue) {
        keys.append(key)
        values.append(value)
    }
}
