/// Evidence images (clause 2.4.4): only PNG or JPEG, recognised by their content, within a size limit, and with
/// no embedded metadata that could give away where a photo was taken (EXIF).
public enum ImageCheck {
    public enum Kind: String, Sendable, Equatable {
        case png = "image/png"
        case jpeg = "image/jpeg"
    }

    public enum Refusal: HumanReadableError, Equatable {
        case notAnImage
        case tooLarge(maximumBytes: Int)
        case hasMetadata

        public var message: String {
            switch self {
            case .notAnImage: "Only PNG and JPEG images are accepted."
            case .tooLarge(let maximum): "Images are at most \(maximum / 1024) KiB."
            case .hasMetadata: "The image carries EXIF metadata (it can include where it was taken); remove it first."
            }
        }

        public var description: String { message }
    }

    public static let maximumBytes = 2 * 1024 * 1024

    /// The image's kind when it is a well-formed PNG or JPEG without EXIF, else why not.
    public static func check(_ bytes: [UInt8], maximumBytes: Int = maximumBytes) throws(Refusal) -> Kind {
        guard bytes.count <= maximumBytes else { throw .tooLarge(maximumBytes: maximumBytes) }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return try png(bytes) }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return try jpeg(bytes) }
        throw .notAnImage
    }

    /// Walks the chunks: IHDR first, IEND last, every length inside the file, no `eXIf`.
    private static func png(_ bytes: [UInt8]) throws(Refusal) -> Kind {
        var at = 8
        var first = true
        while at + 12 <= bytes.count {
            let length = Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
            let type = String(decoding: bytes[(at + 4)..<(at + 8)], as: UTF8.self)
            guard length >= 0, at + 12 + length <= bytes.count else { throw .notAnImage }
            if first, type != "IHDR" { throw .notAnImage }
            first = false
            if type == "eXIf" { throw .hasMetadata }
            if type == "IEND" { return .png }
            at += 12 + length
        }
        throw .notAnImage
    }

    /// Walks the segments up to the image data: every length inside the file, no APP1 `Exif`, an end marker.
    private static func jpeg(_ bytes: [UInt8]) throws(Refusal) -> Kind {
        var at = 2
        while at + 4 <= bytes.count {
            guard bytes[at] == 0xFF else { throw .notAnImage }
            let marker = bytes[at + 1]
            if marker == 0xD9 { throw .notAnImage }  // ended before any image data
            let length = Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
            guard length >= 2, at + 2 + length <= bytes.count else { throw .notAnImage }
            if marker == 0xE1, length >= 8, Array(bytes[(at + 4)..<(at + 8)]) == Array("Exif".utf8) {
                throw .hasMetadata
            }
            if marker == 0xDA {  // start of scan: the compressed data runs to the end marker
                guard bytes.count >= 2, bytes[bytes.count - 2] == 0xFF, bytes[bytes.count - 1] == 0xD9 else {
                    throw .notAnImage
                }
                return .jpeg
            }
            at += 2 + length
        }
        throw .notAnImage
    }
}
