import Domain
import Foundation
import Privacy
import SQLKit
import Storage

/// Notes staff write on their decisions (a risk case, a complaint, an appeal). They are about a person, so they
/// are sealed under that person's key like everything else about them (and shredded with it), and they must not
/// carry card, identity or phone numbers or e-mail addresses at all: the case already names the people (2.3.2).
enum StaffNotes {
    static func validate(_ raw: String, field: String = "note") throws -> String {
        let note = try TextInput.singleLine(maximumLength: 500).validate(raw, field: field)
        if ListingScreening.identifiesPerson(note) {
            throw Problem.invalid(
                field,
                "A note must not contain card, identity or phone numbers or e-mail addresses: refer to the case instead."
            )
        }
        return note
    }

    /// Stored in the note's text column: a marker and the base64 of the sealed note.
    static let prefix = "sealed:"

    static func seal(
        _ note: String, about subject: String, table: String, row: String, platform: Platform, on db: any SQLDatabase
    ) async throws -> String {
        let key = try await SubjectKeys.keyForWriting(subject: subject, platform: platform, on: db)
        let context = FieldContext(table: table, column: "note", row: row)
        return prefix + (try FieldCipher.seal(note, key: key, context: context)).base64EncodedString()
    }

    /// The note as written; nil when the person's key was destroyed (erased). Notes from before sealing read as
    /// they were stored.
    static func open(_ stored: String?, about subject: String, table: String, row: String, platform: Platform) async
        -> String?
    {
        guard let stored, stored.hasPrefix(prefix) else { return stored }
        guard let sealed = Data(base64Encoded: String(stored.dropFirst(prefix.count))),
            let key = try? await SubjectKeys.key(subject: subject, platform: platform, on: platform.db.sql)
        else { return nil }
        return try? FieldCipher.open(sealed, key: key, context: FieldContext(table: table, column: "note", row: row))
    }
}
