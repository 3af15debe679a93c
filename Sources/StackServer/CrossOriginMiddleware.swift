import HTTPTypes
import Hummingbird

/// CORS for browser clients on another origin: answers preflights (`OPTIONS` with `Origin`) with 204 and adds
/// `Access-Control-Allow-Origin` to every other response, following `CORSPolicy`.
///
/// Hummingbird's `CORSMiddleware` has one origin rule and a fixed header list per router; stack needs two rules on the
/// API port (cookie routes vs bearer routes) and must echo the headers the web SDK asks for.
struct CrossOriginMiddleware<Context: RequestContext>: RouterMiddleware {
    let policy: CORSPolicy

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        let grant = policy.grant(path: request.uri.path, origin: origin)
        if request.method == .options {
            var headers: HTTPFields = [.vary: "Origin"]
            if case .allowed = grant {
                headers[.accessControlAllowMethods] = CORSPolicy.allowedMethods
                headers[.accessControlAllowHeaders] = CORSPolicy.allowedHeaders(
                    requested: request.headers[.accessControlRequestHeaders])
                headers[.accessControlMaxAge] = String(CORSPolicy.maxAgeSeconds)
                Self.add(grant, to: &headers)
            }
            return Response(status: .noContent, headers: headers)
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            // A 404 or a body error thrown by Hummingbird: the page should still see its status.
            response = try error.response(from: request, context: context)
        }
        response.headers[values: .vary].append("Origin")
        Self.add(grant, to: &response.headers)
        return response
    }

    private static func add(_ grant: CORSPolicy.Grant, to headers: inout HTTPFields) {
        guard case .allowed(let origin, let credentials) = grant else { return }
        headers[.accessControlAllowOrigin] = origin
        if credentials { headers[.accessControlAllowCredentials] = "true" }
    }
}
