import Foundation

/// Lists of strings stored in one text column as a JSON array (functions, scopes, fields, categories).
enum StringList {
    static func encode(_ values: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(values)) ?? Data("[]".utf8), as: UTF8.self)
    }

    /// The list, or empty when the column holds something else.
    static func decode(_ json: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? []
    }
}
