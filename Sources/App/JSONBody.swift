import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Marketplace
import NIOCore
import Storage

/// A request body type with a closed set of fields: anything else is refused (no mass assignment).
protocol StrictDecodable: Decodable {
    static var fields: Set<String> { get }
}

/// Reads JSON request bodies defensively: media type, size, nesting depth, unknown fields, control
/// characters, card numbers (2.4.2) and types are all checked before a use case sees a value.
enum JSONBody {
    static let maxDepth = 16
    static let maxStringLength = 10_000

    static func decode<T: StrictDecodable>(_ type: T.Type, from request: Request, maxBytes: Int) async throws -> T {
        guard isJSON(request) else { throw Problem.unsupportedMediaType }
        let buffer = try await request.body.collect(upTo: maxBytes)
        return try decode(type, data: Data(buffer.readableBytesView))
    }

    static func isJSON(_ request: Request) -> Bool {
        request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true
    }

    /// Decodes a body already read (when the raw bytes are needed too, as for idempotency).
    static func decode<T: StrictDecodable>(_ type: T.Type, data: Data) throws -> T {
        try checkDepth(data)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw Problem.malformed("The body is not valid JSON (UTF-8).")
        }
        guard let fields = object as? [String: Any] else { throw Problem.malformed("The body must be a JSON object.") }
        for key in fields.keys.sorted() where !T.fields.contains(key) { throw Problem.unknownField(key) }
        try inspect(object, path: "")
        do {
            // Decode what was inspected: with duplicate keys, the parser and the decoder could otherwise see
            // different values.
            let inspected = try JSONSerialization.data(withJSONObject: object)
            return try JSONDecoder().decode(T.self, from: inspected)
        } catch let error as DecodingError {
            throw problem(for: error)
        }
    }

    /// Refuses nesting deeper than `maxDepth` before parsing, so a pathological body cannot exhaust the stack.
    private static func checkDepth(_ data: Data) throws {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in data {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if depth > maxDepth { throw Problem.malformed("The body is nested too deeply.") }
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
        }
    }

    /// Every string: bounded, no control characters, no card number anywhere.
    private static func inspect(_ value: Any, path: String) throws {
        if let string = value as? String {
            let field = path.isEmpty ? "body" : path
            if string.count > maxStringLength { throw Problem.invalid(field, "The value is too long.") }
            if string.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                throw Problem.invalid(field, "The value contains control characters.")
            }
            if CardNumberDetector.containsCardNumber(string) {
                throw Problem(
                    type: "card-number-refused", status: 422, title: "Card numbers are not accepted",
                    detail: "Covenant never takes card numbers. Pay on the payment provider's page instead.",
                    field: field)
            }
        } else if let object = value as? [String: Any] {
            for (key, inner) in object { try inspect(inner, path: path.isEmpty ? key : "\(path).\(key)") }
        } else if let array = value as? [Any] {
            for (index, inner) in array.enumerated() { try inspect(inner, path: "\(path)[\(index)]") }
        }
    }

    private static func problem(for error: DecodingError) -> Problem {
        switch error {
        case .keyNotFound(let key, _): .invalid(key.stringValue, "The field '\(key.stringValue)' is required.")
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            .invalid(fieldName(context), "The field '\(fieldName(context))' has the wrong type.")
        case .dataCorrupted(let context):
            .invalid(fieldName(context), "The field '\(fieldName(context))' is not valid.")
        @unknown default: .malformed("The body could not be read.")
        }
    }

    private static func fieldName(_ context: DecodingError.Context) -> String {
        context.codingPath.map(\.stringValue).joined(separator: ".")
    }
}

/// JSON responses from transfer types (never from database rows).
enum JSONResponse {
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        raw(try encode(value), status: status)
    }

    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try encoder.encode(value)
    }

    static func raw(_ data: Data, status: HTTPResponse.Status) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// A reviewer's decision on something held for a person (a listing, a verification), with the reason given.
struct ReviewDecisionBody: StrictDecodable {
    static let fields: Set<String> = ["approve", "reason"]
    let approve: Bool
    let reason: String
}
