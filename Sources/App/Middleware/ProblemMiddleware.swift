public import Domain
import Foundation
public import HTTPTypes
public import Hummingbird
import Logging
import Marketplace
import Storage

/// Outermost: turns every error into `application/problem+json` with a stable type, never an internal
/// message (2.2).
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            return Self.render(problem)
        } catch let invalid as TextInputError {
            // Text validated without naming its field (a header, a query): still the caller's mistake, a 422.
            return Self.render(Problem.invalid("text", invalid.message))
        } catch let error as any HTTPResponseError {
            return Self.render(Self.problem(for: error.status))
        } catch let error where Self.isPoolExhausted(error) {
            // Every database connection stayed busy past the pool's wait: overload, not a fault; retry shortly.
            context.logger.warning("database connection pool exhausted")
            return Self.render(Self.busy)
        } catch {
            context.logger.error(
                "unhandled error",
                metadata: ["error.type": "\(String(reflecting: type(of: error)))", "error": "\(error)"])
            return Self.render(.internalError)
        }
    }

    static let busy = Problem(
        type: "busy", status: 503, title: "Busy", detail: "The service is busy. Please try again in a moment.",
        retryAfter: 1)

    /// AsyncKit's pool timeout, named rather than imported: the drivers bring AsyncKit, the app does not use it.
    static func isPoolExhausted(_ error: any Error) -> Bool {
        String(reflecting: type(of: error)) == "AsyncKit.ConnectionPoolTimeoutError"
    }

    static func problem(for status: HTTPResponse.Status) -> Problem {
        switch status.code {
        case 404: Problem.notFound("The resource")
        case 405:
            Problem(
                type: "method-not-allowed", status: 405, title: "Method not allowed",
                detail: "This method is not allowed here.")
        case 413: .tooLarge
        case 400: .malformed("The request could not be read.")
        case 401: .unauthenticated
        case 403: .forbidden("This request is not allowed.")
        case 429: .throttled(retryAfter: 60)
        case 400..<500:
            Problem(
                type: "client-error", status: status.code, title: status.reasonPhrase,
                detail: "The request was refused.")
        default: .internalError
        }
    }

    static func render(_ problem: Problem) -> Response {
        var body: [String: ProblemValue] = [
            "type": .string("https://covenant.dev/problems/\(problem.type)"),
            "title": .string(problem.title),
            "status": .int(problem.statusCode),
            "detail": .string(problem.detail),
        ]
        if let field = problem.field { body["field"] = .string(field) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = (try? encoder.encode(body)) ?? Data()
        var headers: HTTPFields = [.contentType: "application/problem+json", .cacheControl: "no-store"]
        if let retry = problem.retryAfter { headers[.retryAfter] = String(retry) }
        return Response(
            status: HTTPResponse.Status(code: problem.statusCode), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    enum ProblemValue: Encodable {
        case string(String)
        case int(Int)
        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let s): try container.encode(s)
            case .int(let i): try container.encode(i)
            }
        }
    }
}

/// Lets inner middleware (metrics) see a problem's real status instead of a 500.
extension Problem: HTTPResponseError {
    public var status: HTTPResponse.Status { HTTPResponse.Status(code: self.statusCode) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        ProblemMiddleware.render(self)
    }
}
