import HTTPTypes
import Hummingbird
import Logging
import StackAuth
import StackPostgres

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `PUT /api/powersync/upload`: authenticate, bound the body, parse, apply.
public struct UploadRoutes<Context: RequestContext>: Sendable {
    let service: UploadService
    let auth: AuthService
    let maximumBodyBytes: Int

    static var clientIDHeader: HTTPField.Name { HTTPField.Name("X-Client-Id")! }

    /// Routes applying through `service`, authenticating through `auth`, refusing bodies above `maximumBodyBytes`.
    public init(service: UploadService, auth: AuthService, maximumBodyBytes: Int) {
        self.service = service
        self.auth = auth
        self.maximumBodyBytes = maximumBodyBytes
    }

    /// Adds the route.
    public func register(on router: Router<Context>) {
        router.put("/api/powersync/upload") { request, _ in
            do {
                // Fails fast with 503 while Postgres cannot be reached, instead of waiting in the pool's queue.
                return try await auth.availability.guarding { try await upload(request) }
            } catch let error as UploadError {
                return Self.response(status: error.status, body: error.responseBody)
            } catch let error as AuthError {
                // A 401 says why (expired, wrong audience, …): the connector's log is where a developer looks.
                return Self.response(status: error.status, body: error.explainedResponseBody)
            } catch {
                service.logger.warning("upload failed", metadata: ["error": "\(PostgresErrorText.describe(error))"])
                let unavailable = UploadError.unavailable(PostgresErrorText.describe(error))
                return Self.response(status: unavailable.status, body: unavailable.responseBody)
            }
        }
    }

    func upload(_ request: Request) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maximumBodyBytes {
            throw UploadError.tooLarge(limit: maximumBodyBytes)
        }
        // Only the Authorization header: a cookie would let another site's page upload as the user.
        let user = try await auth.authenticate(authorization: request.headers[.authorization], cookie: nil)
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maximumBodyBytes)
        } catch {
            throw UploadError.tooLarge(limit: maximumBodyBytes)
        }
        let parsed = try UploadRequest(
            bytes: Array(buffer.readableBytesView), clientIDHeader: request.headers[Self.clientIDHeader])
        let outcome = try await service.apply(parsed, userID: user.id)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return Self.response(status: 200, body: try encoder.encode(outcome))
    }

    static func response(status: Int, body: Data) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if status == 503 { headers[.retryAfter] = String(DatabaseAvailability.retryAfterSeconds) }
        return Response(
            status: HTTPResponse.Status(code: status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
