import Foundation
import GatewayCore
import Logging

/// A log handler writing one JSON object per line on stderr, for services whose logs are collected:
/// `{"time","level","label","message","metadata":{…}}`, the time in ISO 8601 with the local offset. Values reach it
/// through `EscapingLogHandler`, already masked and bounded.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let given = event.metadata { all.merge(given) { _, new in new } }
        var line = "{\"time\":\(JSONText.quoted(Self.stamp(Date()))),\"level\":\(JSONText.quoted(event.level.rawValue))"
        line += ",\"label\":\(JSONText.quoted(label)),\"message\":\(JSONText.quoted(event.message.description))"
        if !all.isEmpty {
            line += ",\"metadata\":{"
            line += all.sorted { $0.key < $1.key }.map { "\(JSONText.quoted($0.key)):\(Self.json($0.value))" }
                .joined(separator: ",")
            line += "}"
        }
        line += "}\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): JSONText.quoted(text)
        case .stringConvertible(let convertible): JSONText.quoted(convertible.description)
        case .array(let values): "[" + values.map(json).joined(separator: ",") + "]"
        case .dictionary(let values):
            "{"
                + values.sorted { $0.key < $1.key }.map { "\(JSONText.quoted($0.key)):\(json($0.value))" }
                .joined(separator: ",") + "}"
        }
    }

    /// ISO 8601 with milliseconds and the offset of the process's time zone (`TZ`).
    static func stamp(_ date: Date) -> String {
        TimeStamp.iso8601(
            seconds: date.timeIntervalSince1970, utcOffset: TimeZone.current.secondsFromGMT(for: date))
    }
}
