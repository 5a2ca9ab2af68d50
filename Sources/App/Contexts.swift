import Domain
import Foundation
public import Hummingbird
import Logging
public import Marketplace
import NIOCore
import Storage

/// The root context: every request has one. `caller` is set by the authentication middleware.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var caller: Caller?
    /// A third-party provider's signed request (`Bearer cvp_…`), set by the authentication middleware.
    public var provider: ProviderPrincipal?
    /// The client's address as the platform sees it (peer address, or the proxy's `X-Forwarded-For`).
    public var peerAddress: String

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.caller = nil
        self.provider = nil
        self.peerAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}

/// A context that cannot exist without a caller: handlers taking it cannot run anonymously.
public protocol CallerContext: RequestContext {
    var caller: Caller { get }
    var peerAddress: String { get }
}

/// Any live session, including one that still has to enrol in two-factor or change a one-time password.
public struct SignedInContext: ChildRequestContext, CallerContext {
    public var coreContext: CoreRequestContextStorage
    public let caller: Caller
    public let peerAddress: String

    public init(context: AppRequestContext) throws {
        guard let caller = context.caller else { throw Problem.unauthenticated }
        self.coreContext = context.coreContext
        self.caller = caller
        self.peerAddress = context.peerAddress
    }
}

/// A consumer's session.
public struct ConsumerContext: ChildRequestContext, CallerContext {
    public var coreContext: CoreRequestContextStorage
    public let caller: Caller
    public let peerAddress: String

    public init(context: AppRequestContext) throws {
        guard let caller = context.caller else { throw Problem.unauthenticated }
        guard caller.kind == .consumer else { throw Problem.forbidden("This is for consumer accounts.") }
        if let problem = caller.privilegeProblem() { throw problem }
        self.coreContext = context.coreContext
        self.caller = caller
        self.peerAddress = context.peerAddress
    }
}

/// A merchant owner's or merchant staff member's session, with two-factor passed (3.2).
public struct MerchantContext: ChildRequestContext, CallerContext {
    public var coreContext: CoreRequestContextStorage
    public let caller: Caller
    public let peerAddress: String

    public init(context: AppRequestContext) throws {
        guard let caller = context.caller else { throw Problem.unauthenticated }
        guard caller.kind == .merchant else { throw Problem.forbidden("This is for merchant accounts.") }
        if let problem = caller.privilegeProblem() { throw problem }
        self.coreContext = context.coreContext
        self.caller = caller
        self.peerAddress = context.peerAddress
    }
}

/// A platform staff member's session, with two-factor passed (2.3.3).
public struct StaffContext: ChildRequestContext, CallerContext {
    public var coreContext: CoreRequestContextStorage
    public let caller: Caller
    public let peerAddress: String

    public init(context: AppRequestContext) throws {
        guard let caller = context.caller else { throw Problem.unauthenticated }
        guard caller.kind == .staff else { throw Problem.forbidden("This is for platform staff.") }
        if let problem = caller.privilegeProblem() { throw problem }
        self.coreContext = context.coreContext
        self.caller = caller
        self.peerAddress = context.peerAddress
    }
}

/// A third-party provider's request, signed and authenticated with a live credential (2.6).
public struct ProviderContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let provider: ProviderPrincipal

    public init(context: AppRequestContext) throws {
        guard let provider = context.provider else { throw Problem.unauthenticated }
        self.coreContext = context.coreContext
        self.provider = provider
    }
}

/// Wraps a handler so it runs only when the caller's role holds `permission`: checked before the body is read.
func requiring<Context: CallerContext, Output: ResponseGenerator>(
    _ permission: Permission, _ handler: @escaping @Sendable (Request, Context) async throws -> Output
) -> @Sendable (Request, Context) async throws -> Output {
    { request, context in
        try context.caller.require(permission)
        return try await handler(request, context)
    }
}
