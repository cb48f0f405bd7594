/**
 * The one error catalogue. Codes are permanent: never rename or reuse one. The API serialises them as
 * RFC 9457 problem details (`type` = `https://shikaku.dev/problems/<code>`, `code` as an extension).
 */
export const errorCatalogue = {
  REQUEST_INVALID: { status: 400, title: 'The request is malformed or fails its schema' },
  IDEMPOTENCY_KEY_INVALID: { status: 400, title: 'Idempotency-Key must be one string of 1 to 255 printable characters' },
  AUTH_TOKEN_MISSING: { status: 401, title: 'A bearer token is required' },
  AUTH_TOKEN_INVALID: { status: 401, title: 'The bearer token is not valid' },
  AUTH_FORBIDDEN: { status: 403, title: 'Your role may not do this' },
  QUALIFICATION_NOT_FOUND: { status: 404, title: 'No such qualification' },
  PROCEDURE_NOT_FOUND: { status: 404, title: 'The qualification does not offer this procedure' },
  APPLICATION_NOT_FOUND: { status: 404, title: 'No such application' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such resource' },
  CERTIFICATE_NOT_FOUND: { status: 404, title: 'No such certificate' },
  ATTACHMENT_NOT_FOUND: { status: 404, title: 'No such attachment, or nothing uploaded for it' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed on this resource' },
  APPLICATION_VERSION_CONFLICT: { status: 409, title: 'The application changed since you read it' },
  PROCEDURE_NOT_AVAILABLE: { status: 409, title: 'The procedure is not open online yet' },
  APPLICATION_NOT_EDITABLE: { status: 409, title: 'The application cannot be edited in its current state' },
  IDEMPOTENCY_KEY_IN_FLIGHT: { status: 409, title: 'A request with this Idempotency-Key is still being processed' },
  REQUEST_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Send application/json' },
  ATTACHMENT_TYPE_UNSUPPORTED: { status: 415, title: 'This attachment does not accept that media type' },
  APPLICATION_DATA_INVALID: { status: 422, title: 'The application data is not valid' },
  APPLICATION_EVENT_UNKNOWN: { status: 422, title: 'This procedure has no such event' },
  APPLICATION_EVENT_NOT_ALLOWED: { status: 422, title: 'The event is not allowed now' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'This Idempotency-Key was used with a different request' },
  ATTACHMENT_INVALID: { status: 422, title: 'The file is empty, not of its declared type, or cannot be read' },
  CERTIFICATE_GLYPH_MISSING: { status: 422, title: 'No certificate font can draw a character of the printed items' },
  PRECONDITION_REQUIRED: { status: 428, title: 'Send If-Match with the version you read' },
  RATE_LIMITED: { status: 429, title: 'Too many requests; retry after the time in Retry-After' },
  DATABASE_LOCKED: { status: 503, title: 'The embedded database is in use by another process' },
  SERVICE_NOT_READY: { status: 503, title: 'The service is not ready' },
  DEFINITIONS_INVALID: { status: 500, title: 'The definitions have problems' },
  CONFIG_INVALID: { status: 500, title: 'The configuration is not valid' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

/** A coded failure; `details` become extension members of the problem document. */
export class ShikakuError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ShikakuError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return errorCatalogue[this.code].status;
  }
}
