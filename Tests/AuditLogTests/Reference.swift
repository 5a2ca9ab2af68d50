import AuditLog
import Crypto
import Foundation

/// A naive, recursive transcription of RFC 9162 §2.1 (MTH, PATH, SUBPROOF) over all leaf hashes,
/// used as the reference the store-based proofs must match.
enum Reference {
    static func root(_ leaves: ArraySlice<MerkleHash>) -> MerkleHash {
        switch leaves.count {
        case 0: return .emptyTree
        case 1: return leaves.first!
        default:
            let k = split(leaves.count)
            return .node(root(leaves.prefix(k)), root(leaves.dropFirst(k)))
        }
    }

    static func path(_ m: Int, _ leaves: ArraySlice<MerkleHash>) -> [MerkleHash] {
        guard leaves.count > 1 else { return [] }
        let k = split(leaves.count)
        if m < k {
            return path(m, leaves.prefix(k)) + [root(leaves.dropFirst(k))]
        }
        return path(m - k, leaves.dropFirst(k)) + [root(leaves.prefix(k))]
    }

    static func subproof(_ m: Int, _ leaves: ArraySlice<MerkleHash>, _ b: Bool) -> [MerkleHash] {
        let n = leaves.count
        if m == n { return b ? [] : [root(leaves)] }
        let k = split(n)
        if m <= k {
            return subproof(m, leaves.prefix(k), b) + [root(leaves.dropFirst(k))]
        }
        return subproof(m - k, leaves.dropFirst(k), false) + [root(leaves.prefix(k))]
    }

    /// The largest power of two smaller than `n`.
    private static func split(_ n: Int) -> Int {
        var k = 1
        while k * 2 < n { k *= 2 }
        return k
    }
}

/// Distinct leaf hashes for test logs.
func testLeafHashes(_ count: Int) -> [MerkleHash] {
    (0..<count).map { MerkleHash.leaf(Data("leaf \($0)".utf8)) }
}

/// A memory store holding `leafHashes`.
func makeStore(_ leafHashes: [MerkleHash]) async -> MemoryMerkleStore {
    let store = MemoryMerkleStore()
    await store.append(leafHashes)
    return store
}

/// `hash` with its first bit flipped.
func tampered(_ hash: MerkleHash) -> MerkleHash {
    var bytes = Array(hash.data)
    bytes[0] ^= 0x80
    return MerkleHash(bytes: bytes)!
}

/// SHA-256 of `text`, as a `MerkleHash` (for details hashes).
func sha256(_ text: String) -> MerkleHash {
    MerkleHash(bytes: Array(SHA256.hash(data: Data(text.utf8))))!
}

/// Whether `body` throws.
func rejects(_ body: () throws -> Void) -> Bool {
    do {
        try body()
        return false
    } catch {
        return true
    }
}
